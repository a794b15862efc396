"""The checking engine: exercise specs, metrics and the checker that turns poses into reps, holds, faults and cues."""
