"""The desk posture monitor: samplers, setup checks, the control channel and the loop."""
