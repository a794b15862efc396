"""Rep detection: a rep is the driver metric rising `enter` above its rest level and
coming back within `exit` of it, with hysteresis between the two.

The rest level is the spec's: 0 (absolute thresholds), or the person's own level at rest
over the last few seconds outside a rep (`baseline = "rest"`), so a rep is measured
against the person's own standing height, whoever and wherever they are. A clip that
starts mid-movement simply starts its rest level there. With a rest level:

- a rep starts `enter` above the lowest reading at rest (the generous bar: a small rep
  on a noisy signal still starts); after a rep, the next one must also rise from the
  lowest steady reading since by more than the enter-exit hysteresis: that rise is the
  next rep, while the rest of the way down, a wobble on a plateau or a rebound out of
  a movement is not;
- a rep ends back within `exit` of the level held at rest (the median of HELD_S, not
  one frame's reading: a few mis-read frames read a standing person 0.05 leg lengths
  "above" standing, and against them the next reps never came back and merged), or
  once back BACK_FRACTION of the way up and still there (the level at rest moves at a
  camera cut or a turn to another view).

Troughs and ends go by the steady reading (the median of STEADY_S): a glitching frame
or two is neither. A rep is dropped once its reading has stayed still (within the
hysteresis) for `max_duration_s`: a pause that long is sitting or holding, while a slow
rep, or one filmed in slow motion (x8: 20 s a squat), keeps moving. A rep must also look
like the exercise at its deepest point (`requires`: feet side by side, knees doing the
bending...), or it is rejected with the reason, and nothing inside it is judged.
`top_reached_s` tells the hold timer when a rep has stopped going up at its top
(holds.py).
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .spec import MovementCondition, RepSpec, for_view

# A level at rest is one held this long (the median of this window): longer than the few
# frames the model and the smoother spread a glitch over, shorter than the time people
# stay at rest between reps (0.5 s and more between every shared clip's reps).
HELD_S = 0.3
# A reading is steady when it lasts: the median of this window (a reading must last half
# of it to show). The glitches in the shared clips last 1-2 frames (a ball hiding the
# hips, the last frame of a fade to black); the quickest reps take ~0.5 s.
STEADY_S = 0.2
# A rep is also over once the reading is back this share of the way from its deepest
# point to the rest level and held there (still for HELD_S): standing up again, even when
# the level at rest has moved since (a camera cut or a turn to another view shifts it by
# ~0.05 leg lengths), while a half-squat hold with pulses never comes back that far.
BACK_FRACTION = 0.75


@dataclass
class RepInProgress:
    start_s: float
    peak: float = -np.inf
    peak_s: float = 0.0
    side: str | None = None
    rejected: MovementCondition | None = None  # the first condition failed at the deepest point
    failed_at_peak: MovementCondition | None = None  # ...at the deepest frame
    failed_at_top: MovementCondition | None = None  # ...where the steady reading is deepest
    top: float = -np.inf  # the highest steady reading (a glitch is no top)
    recent: deque = field(default_factory=deque)  # (t, steady) over the last HELD_S (one older)
    still_since: float = 0.0  # when the steady reading last moved by the hysteresis
    still_at: float | None = None  # ...and where to
    max_values: dict[str, float] = field(default_factory=dict)
    min_values: dict[str, float] = field(default_factory=dict)
    # metric -> the deepest driver reading while it was measured (a view-bound metric may
    # miss the rep's deepest stretch when the person turns mid-rep)
    depth_seen: dict[str, float] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)

    def track(self, name: str, value: float) -> None:
        self.max_values[name] = max(self.max_values.get(name, -np.inf), value)
        self.min_values[name] = min(self.min_values.get(name, np.inf), value)


@dataclass
class ShortLift:
    """A lift that rose `too_small.rise` above the rest level, stayed up for a rep's
    minimum duration and went back down without ever reaching `enter`."""

    start_s: float
    rest: float  # the rest level it rose from
    top: float = -np.inf  # its highest steady reading
    rejected: MovementCondition | None = None  # not the exercise somewhere along it
    reached_enter: bool = False  # it rose as far as a rep starts (and was kept from one otherwise)

    @property
    def rise(self) -> float:
        return self.top - self.rest


class _WindowMin:
    """Minimum of the values of the last `window_s` seconds: a monotonic queue, whose
    front is always the minimum, at O(1) a frame."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._q: deque[tuple[float, float]] = deque()

    def add(self, t: float, value: float) -> None:
        while self._q and self._q[-1][1] >= value:
            self._q.pop()
        self._q.append((t, value))
        while t - self._q[0][0] > self.window_s:
            self._q.popleft()

    @property
    def value(self) -> float | None:
        return self._q[0][1] if self._q else None

    def clear(self) -> None:
        self._q.clear()


class RepDetector:
    """Steps the rep state machine one frame at a time. `update` returns "finished" when
    a rep ends (the caller reads `finished` then), "aborted" when one is dropped, or None."""

    def __init__(self, spec: RepSpec) -> None:
        self.spec = spec
        self.current: RepInProgress | None = None
        self.finished: RepInProgress | None = None
        self._lowest = _WindowMin(spec.rest_window_s)  # readings at rest
        self._held = _WindowMin(spec.rest_window_s)  # levels held at rest for HELD_S
        self._recent: deque[tuple[float, float]] = deque()  # this stretch at rest, its last HELD_S
        self._seen_at_rest: list[float] = []  # readings at rest until a level is held
        self._stretch_over = False  # a rep began: the next frame at rest starts a new stretch
        self._trough: float | None = None  # the lowest steady reading since the last rep ended
        self._trough_s: float | None = None
        self._below_exit_s: float | None = None
        self._last: tuple[float, str, float] | None = None  # (t, view, value)
        self._steady: deque[tuple[float, float]] = deque()  # (t, value) of the last STEADY_S
        self._rested = False  # back within `exit` of the rest level since the last rep
        self._lift: ShortLift | None = None  # a lift under way that has not (yet) become a rep
        self.too_small: ShortLift | None = None  # the last lift that went back without being a rep

    def rest_level(self) -> float:
        """The lowest reading at rest: what a rep's start is measured from."""
        if self.spec.baseline == "absolute":
            return 0.0
        lowest = self._lowest.value
        return 0.0 if lowest is None else lowest

    def settled_level(self) -> float:
        """The level held at rest: what a rep's end is measured against (until a level
        has been held for HELD_S, the median of what was seen at rest so far)."""
        if self.spec.baseline == "absolute":
            return 0.0
        held = self._held.value
        if held is None:
            if not self._seen_at_rest:
                return self.rest_level()
            held = statistics.median(self._seen_at_rest)
        return max(held, self.rest_level())

    def at_rest(self, view: str, value: float) -> bool:
        """No rep under way and the reading within `exit` of the rest level: where a rep
        starts from (standing, lying), not part of the way into one."""
        return self.current is None and value <= self.rest_level() + for_view(self.spec.exit, view)

    def thresholds(self, view: str) -> tuple[float, float]:
        return (self.rest_level() + for_view(self.spec.enter, view),
                self.settled_level() + for_view(self.spec.exit, view))

    @property
    def past_deepest_point(self) -> bool:
        """The rep under way has come back from its deepest point by the enter-exit
        hysteresis (clearly on its way back, not a wobble), so what it is can be judged."""
        if self.current is None or self._last is None:
            return False
        _, view, value = self._last
        return value < self.current.peak - self.hysteresis(view)

    def update(self, t: float, view: str, value: float,
               peak_check: Callable[..., MovementCondition | None] | None = None,
               side: str | None = None, may_start: bool = True) -> str | None:
        """One frame. `peak_check` is called at each new deepest point and returns the
        condition the movement fails there (one it cannot judge there, a limb out of
        view, does not fail it), or None. With `may_start` False the frame only counts
        toward the rest level."""
        self._last = (t, view, value)
        self._steady.append((t, value))
        while t - self._steady[0][0] > STEADY_S:
            self._steady.popleft()
        steady = self.steady_now()
        rep = self.current
        if rep is None:
            self._remember_rest(t, value)
            enter, _ = self.thresholds(view)
            if value <= self.rest_level() + for_view(self.spec.exit, view):
                self._below_exit_s = t  # the last moment at rest: where a rep would start
                self._rested = True
            if self._trough is not None and steady < self._trough:
                self._trough, self._trough_s = steady, t
            started_at_rest = self._below_exit_s is not None and (
                self.spec.start_at_most is None or self.rest_level() <= self.spec.start_at_most)
            if not (value > enter and may_start and started_at_rest and self._risen_from_trough(value, view)):
                return self._step_lift(t, view, steady, may_start, peak_check)
            self._lift = None  # the lift became a rep
            start = self._below_exit_s if self._trough_s is None else max(self._below_exit_s, self._trough_s)
            self.current = rep = RepInProgress(start_s=start)
            self._trough = self._trough_s = None
            self._stretch_over = True
        new_top = steady > rep.top
        rep.top = max(rep.top, steady)
        rep.recent.append((t, steady))
        while len(rep.recent) > 1 and t - rep.recent[1][0] >= HELD_S:
            rep.recent.popleft()
        new_peak = value > rep.peak
        if new_peak:
            rep.peak, rep.peak_s = value, t
            rep.side = side or rep.side
        # What the movement is, is judged at its deepest point: at the deepest frame and
        # where the steady reading is deepest; failing either is not the exercise, so one
        # mis-read frame at the bottom (a hinge read 0.42 leg lengths deep for a frame,
        # its knees past a right angle) does not make it one.
        if peak_check is not None and (new_peak or new_top):
            verdict = peak_check()
            if new_peak:
                rep.failed_at_peak = verdict
            if new_top:
                rep.failed_at_top = verdict
            rep.rejected = rep.failed_at_peak or rep.failed_at_top
        if rep.still_at is None or abs(steady - rep.still_at) > self.hysteresis(view):
            rep.still_since, rep.still_at = t, steady
        if t - rep.still_since > self.spec.max_duration_s:
            self.abort()  # still for that long: sitting or holding, not a rep
            return "aborted"
        _, exit_ = self.thresholds(view)
        if self.spec.exit_fraction is not None:  # back down part of the way the person went up
            rest = self.settled_level()
            exit_ = max(exit_, rest + (1.0 - self.spec.exit_fraction) * (rep.peak - rest))
        if max(value, steady) < exit_:  # back under the threshold, and for more than a glitch
            return self._finish(t, steady)
        if self._back_and_still(rep, t, view, steady):
            return self._finish(t, steady)
        return None

    def _step_lift(self, t: float, view: str, steady: float, may_start: bool,
                   peak_check: Callable[..., MovementCondition | None] | None) -> str | None:
        """A lift from rest that stays under `enter` (`too_small`): it starts once the steady
        reading is `rise` above the rest level, and returns "too_small" (`self.too_small`)
        when it is back within `exit` of the level it rose from, having lasted a rep's
        minimum duration and never risen as far as a rep starts. A small lift is weaker
        evidence than a rep, so it must look like the exercise all along (`requires` hold
        wherever measured, and are measured at each new top: face up in a bridge, not a
        superman or a push-up). It is measured from the rest level a rep starts from. One
        still for longer than a rep may be is dropped."""
        small = self.spec.too_small
        if small is None or self.spec.baseline != "rest":
            return None
        lift = self._lift
        if lift is None:
            rest = self.rest_level()  # what a rep's start is measured from, so the two agree
            if may_start and self._rested and steady > rest + small.rise:  # (rested: _below_exit_s is set)
                self._lift = lift = ShortLift(start_s=self._below_exit_s, rest=rest)
            else:
                return None
        new_top = steady > lift.top
        lift.top = max(lift.top, steady)
        lift.reached_enter = lift.reached_enter or steady > self.rest_level() + for_view(self.spec.enter, view)
        if peak_check is not None and lift.rejected is None:
            lift.rejected = peak_check(strict=new_top)
        if t - lift.start_s > self.spec.max_duration_s:
            self._lift = None
        elif steady <= lift.rest + for_view(self.spec.exit, view):
            self._lift = None
            if t - lift.start_s >= self.spec.min_duration_s and lift.rejected is None and not lift.reached_enter \
                    and (small.above is None or lift.top > small.above):
                self.too_small = lift
                return "too_small"
        return None

    def _moved_over_held_s(self, rep: RepInProgress, t: float) -> float | None:
        """How far the steady reading moved over the last HELD_S of this rep (None
        until the rep has lasted that long)."""
        (t0, first), (_, now) = rep.recent[0], rep.recent[-1]
        return now - first if t - t0 >= HELD_S else None

    def _back_and_still(self, rep: RepInProgress, t: float, view: str, steady: float) -> bool:
        """Back BACK_FRACTION of the way from the rep's deepest point to the rest level,
        and still there: the steady reading moved less than half the hysteresis over the
        last HELD_S (with a rest-level baseline)."""
        if self.spec.baseline == "absolute":
            return False
        rest = self.rest_level()
        if steady > rest + (1.0 - BACK_FRACTION) * (rep.top - rest):
            return False
        moved = self._moved_over_held_s(rep, t)
        return moved is not None and abs(moved) < self.hysteresis(view) / 2

    def hysteresis(self, view: str) -> float:
        """The enter-exit margin: what tells a movement from a wobble."""
        return for_view(self.spec.enter, view) - for_view(self.spec.exit, view)

    def top_reached_s(self) -> float | None:
        """When the rep under way reached its top, if it is at its top now: the steady
        reading rose less than half the hysteresis over the last HELD_S (the rise is
        over) and is within the hysteresis of the rep's highest. None otherwise."""
        rep = self.current
        if rep is None or self._last is None:
            return None
        t, view, _ = self._last
        moved = self._moved_over_held_s(rep, t)
        margin = self.hysteresis(view)
        if moved is None or moved >= margin / 2 or rep.recent[-1][1] < rep.top - margin:
            return None
        return rep.recent[0][0]

    def steady_now(self) -> float | None:
        """The steady reading (the median of the last STEADY_S)."""
        return statistics.median(v for _, v in self._steady) if self._steady else None

    def _risen_from_trough(self, value: float, view: str) -> bool:
        """After a rep, the next one rises from the lowest steady reading since by more
        than the enter-exit hysteresis, the margin that tells a rep from a wobble (with a
        rest-level baseline; absolute thresholds have their own hysteresis)."""
        if self._trough is None or self.spec.baseline == "absolute":
            return True
        return value - self._trough > self.hysteresis(view)

    def _finish(self, t: float, value: float) -> str | None:
        rep, self.current = self.current, None
        self._below_exit_s = t
        self._rested = False
        if t - rep.start_s < self.spec.min_duration_s:
            return "aborted"  # a glitch: what came before it still holds
        # A rep that ends part of the way down (`exit_fraction`), or on a plateau whose
        # reading wobbles across `exit`, is followed by more of the same movement: the
        # next rep is counted from the lowest reading after this one.
        self._trough, self._trough_s = value, t
        self.finished = rep
        return "finished"

    def finish_at_end(self) -> str | None:
        """The input ended: count a rep whose way back has already passed the start threshold."""
        if self.current is None or self._last is None:
            return None
        t, view, value = self._last
        enter, _ = self.thresholds(view)
        if value < enter and self.current.peak > value:
            return self._finish(t, value)
        return None

    def abort(self) -> None:
        self.current = None
        self._lift = None
        self._rested = False  # at rest again only once seen there
        self._below_exit_s = None
        self._trough = self._trough_s = None
        self._steady.clear()

    def reset(self) -> None:
        """A different person: forget the rep under way and the rest level."""
        self.abort()
        self._lowest.clear()
        self._held.clear()
        self._recent.clear()
        self._seen_at_rest.clear()

    def _remember_rest(self, t: float, value: float) -> None:
        if self.spec.baseline == "absolute":
            return
        self._lowest.add(t, value)
        recent = self._recent
        if self._stretch_over:
            recent.clear()
            self._stretch_over = False
        held_long_enough = bool(recent) and t - recent[0][0] >= HELD_S
        recent.append((t, value))
        while t - recent[0][0] > HELD_S:
            recent.popleft()
        if held_long_enough:
            self._held.add(t, statistics.median(v for _, v in recent))
            self._seen_at_rest.clear()
        elif self._held.value is None:
            self._seen_at_rest.append(value)
