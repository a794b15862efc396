"""How long a fault must last to be called, and which of its readings a unit's verdict reads.

A fault must last its min_duration_s; a rep too quick for that is judged on most of it
(`must_last_in_rep`). A unit's verdict reads the most faulty level the fault held for a
share of min_duration_s (`HeldLevel`), not its most faulty frame."""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

from .reps import STEADY_S
from .spec import ExerciseSpec, FaultSpec

T = TypeVar("T")  # what is kept with each reading (the checker keeps its camera probe)

# A fault must last its min_duration_s to be a posture rather than a passing reading. A rep
# quicker than that cannot hold it so long (a 1 s squat is past the rep's start for ~0.4 s):
# there it must last this share of the time the rep was judged (more than half: what the
# rep mostly was, not a moment of it), and still clear the noise. Reps long enough to hold
# min_duration_s twice over are judged as before.
QUICK_REP_SHARE = 0.5
# ...measured without a gap, and never less than a steady reading needs (reps.STEADY_S: the
# shared clips' glitches last 1-2 frames). Only for faults whose persistence is not there to
# outlast a misreading that comes with every rep (`quick_reps` in the spec), and not in an
# exercise held at the top (its hold is judged and timed as a whole).
QUICK_REP_MIN_S = STEADY_S
# A unit's verdict on a continuous fault reads the most faulty level held for this share of
# its min_duration_s (HeldLevel): "too close to call" is close to the threshold in value
# (within the noise) and in duration (at least half of what the fault needs). Shorter is a
# passing moment: an arm going down through 3 deg in the last two frames of a bird-dog
# hold, a heel read high for a few frames as the shin passes over the ankle.
HELD_SHARE = 0.5


def shortened_in_quick_reps(f: FaultSpec, spec: ExerciseSpec) -> bool:
    """A continuous fault judged through a rep (not only in a hold, not context) whose spec
    lets a quick rep shorten its min_duration_s (`quick_reps`), in an exercise not held at
    the top (a hold is judged and timed as a whole)."""
    return spec.hold is None and f.during != "rep" and f.phase == "any" and f.quick_reps and f.kind != "context"


def must_last_in_rep(f: FaultSpec, spec: ExerciseSpec, judged_s: float) -> float:
    """How long a fault must last in a rep judged for `judged_s`: min_duration_s, or in a
    rep too quick for it, most of the rep (QUICK_REP_SHARE), never under QUICK_REP_MIN_S."""
    if not shortened_in_quick_reps(f, spec):
        return f.min_duration_s
    return min(f.min_duration_s, max(QUICK_REP_MIN_S, QUICK_REP_SHARE * judged_s))


class HeldLevel(Generic[T]):
    """A continuous fault's reading for a unit's verdict: the most faulty level it held for
    `hold_s` (at each frame, the least faulty reading of the last `hold_s` measured without
    a gap), not its most faulty frame (HELD_SHARE). A unit never measured for `hold_s` in
    one piece gives the least faulty reading it had. Monotonic queue: O(1) a frame."""

    def __init__(self, hold_s: float, fault_if_above: bool) -> None:
        self.hold_s = hold_s
        self._less_faulty = (lambda a, b: a <= b) if fault_if_above else (lambda a, b: a >= b)
        self._window: deque[tuple[float, float, T]] = deque()  # least faulty first
        self._since: float | None = None  # start of the present stretch measured without a gap
        self._held: tuple[float, T] | None = None  # the most faulty level held so far
        self._least: tuple[float, T] | None = None  # the unit's least faulty reading

    def add(self, t: float, v: float, payload: T) -> None:
        window = self._window
        while window and self._less_faulty(v, window[-1][1]):
            window.pop()
        window.append((t, v, payload))
        while window[0][0] < t - self.hold_s - 1e-6:
            window.popleft()
        if self._since is None:
            self._since = t
        if self._least is None or self._less_faulty(v, self._least[0]):
            self._least = (v, payload)
        if t - self._since >= self.hold_s - 1e-6:
            _, level, at = window[0]
            if self._held is None or not self._less_faulty(level, self._held[0]):
                self._held = (level, at)

    def gap(self) -> None:
        self._window.clear()
        self._since = None

    def worst(self) -> tuple[float, T] | None:
        return self._held or self._least
