"""Rep detection: a rep is the driver metric rising `enter` above its rest level and
coming back within `exit` of it, with hysteresis between the two.

The rest level is the spec's: 0 (absolute thresholds), or the lowest value of the last
few seconds outside a rep (`baseline = "rest"`), so a rep is measured against the
person's own standing height, whoever and wherever they are. A clip that starts
mid-movement simply starts its rest level there. A rep must also look like the exercise
at its deepest point (`requires`: feet side by side, knees doing the bending...), or it
is rejected with the reason, and nothing inside it is judged.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .spec import MovementCondition, RepSpec, for_view


@dataclass
class RepInProgress:
    start_s: float
    peak: float = -np.inf
    peak_s: float = 0.0
    side: str | None = None
    rejected: MovementCondition | None = None  # the first condition failed at the deepest point
    max_values: dict[str, float] = field(default_factory=dict)
    min_values: dict[str, float] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)

    def track(self, name: str, value: float) -> None:
        self.max_values[name] = max(self.max_values.get(name, -np.inf), value)
        self.min_values[name] = min(self.min_values.get(name, np.inf), value)


class RepDetector:
    """Steps the rep state machine one frame at a time. `update` returns "finished" when
    a rep ends (the caller reads `finished` then), "aborted" when one is dropped, or None."""

    def __init__(self, spec: RepSpec) -> None:
        self.spec = spec
        self.current: RepInProgress | None = None
        self.finished: RepInProgress | None = None
        self._rest: deque[tuple[float, float]] = deque()
        self._below_exit_s: float | None = None
        self._last: tuple[float, str, float] | None = None  # (t, view, value)

    def rest_level(self) -> float:
        if self.spec.baseline == "absolute" or not self._rest:
            return 0.0
        return self._rest[0][1]

    def thresholds(self, view: str) -> tuple[float, float]:
        rest = self.rest_level()
        return rest + for_view(self.spec.enter, view), rest + for_view(self.spec.exit, view)

    @property
    def past_deepest_point(self) -> bool:
        """The rep under way has come back from its deepest point by the enter-exit
        hysteresis (clearly on its way back, not a wobble), so what it is can be judged."""
        if self.current is None or self._last is None:
            return False
        _, view, value = self._last
        margin = for_view(self.spec.enter, view) - for_view(self.spec.exit, view)
        return value < self.current.peak - margin

    def update(self, t: float, view: str, value: float,
               peak_check: Callable[[], MovementCondition | None] | None = None,
               side: str | None = None, may_start: bool = True) -> str | None:
        """One frame. `peak_check` is called at each new deepest point and returns the
        condition the movement fails there (one it cannot judge there, a limb out of
        view, does not fail it), or None. With `may_start` False the frame only counts
        toward the rest level."""
        self._last = (t, view, value)
        enter, exit_ = self.thresholds(view)
        rep = self.current
        if rep is None:
            self._remember_rest(t, value)
            if value <= exit_:
                self._below_exit_s = t
            started_at_rest = self._below_exit_s is not None and (
                self.spec.start_at_most is None or self.rest_level() <= self.spec.start_at_most)
            if value > enter and may_start and started_at_rest:
                self.current = rep = RepInProgress(start_s=self._below_exit_s)
            else:
                return None
        if value > rep.peak:
            rep.peak, rep.peak_s = value, t
            rep.side = side or rep.side
            if peak_check is not None:
                rep.rejected = peak_check()
        if t - rep.start_s > self.spec.max_duration_s:
            self.abort()
            return "aborted"
        if self.spec.exit_fraction is not None:  # back down part of the way the person went up
            rest = self.rest_level()
            exit_ = max(exit_, rest + (1.0 - self.spec.exit_fraction) * (rep.peak - rest))
        if value < exit_:
            return self._finish(t)
        return None

    def _finish(self, t: float) -> str | None:
        rep, self.current = self.current, None
        self._below_exit_s = t
        if t - rep.start_s < self.spec.min_duration_s:
            return "aborted"
        self.finished = rep
        return "finished"

    def finish_at_end(self) -> str | None:
        """The input ended: count a rep whose way back has already passed the start threshold."""
        if self.current is None or self._last is None:
            return None
        t, view, value = self._last
        enter, _ = self.thresholds(view)
        if value < enter and self.current.peak > value:
            return self._finish(t)
        return None

    def abort(self) -> None:
        self.current = None
        self._below_exit_s = None

    def reset(self) -> None:
        """A different person: forget the rep under way and the rest level."""
        self.abort()
        self._rest.clear()

    def _remember_rest(self, t: float, value: float) -> None:
        if self.spec.baseline == "absolute":
            return
        # Monotonic queue: the front is always the window's minimum, at O(1) a frame.
        while self._rest and self._rest[-1][1] >= value:
            self._rest.pop()
        self._rest.append((t, value))
        while t - self._rest[0][0] > self.spec.rest_window_s:
            self._rest.popleft()
