"""Hold timing: a hold starts when the hold metric passes `enter` and ends when it falls
below `exit`; only time with no active fault counts toward the target.

A hold is the top of its rep. Where the spec does not judge form (a view in which reps are
counted but its angles are distorted, e.g. three-quarter on), the hold metric may not
show the top: from the feet end, the 2D shoulder-hip-knee angle of a full bridge reads
100-140 deg, never the 165 of a straight line. There the hold also starts when the rep's
own reading has stopped rising at its top (reps.py, `top_reached_s`), and lasts until the
rep ends (for a bridge: the hips back half-way down)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .events import Event, HoldSummary
from .reps import RepDetector
from .spec import HoldSpec


@dataclass
class HoldInProgress:
    start_s: float
    sides: Counter = field(default_factory=Counter)  # frames per lifted side
    good_s: float = 0.0
    last_s: float = 0.0
    faults: list[str] = field(default_factory=list)
    target_announced: bool = False
    top_base: float | None = None  # started at the top of the rep: the reading there


class HoldTimer:
    def __init__(self, spec: HoldSpec, reps: RepDetector | None = None, top_views=()) -> None:
        """`top_views`: the views in which the top of the rep (`reps`) is a hold too."""
        self.spec = spec
        self.current: HoldInProgress | None = None
        self.holds: list[HoldSummary] = []
        self._reps = reps
        self._top_views = set(top_views) if reps is not None else set()

    def update(self, t: float, dt: float, value: float | None, *, may_start: bool, side: str | None,
               active_faults: tuple[str, ...], side_name, view: str | None = None) -> list[Event]:
        """One frame; returns the events it produced (target reached, hold ended)."""
        h = self.current
        by_metric = value is not None and value >= (self.spec.exit if h else self.spec.enter)
        top_s, steady, margin = self._at_top(view)
        if h is None:
            if may_start and (by_metric or top_s is not None):
                start = t if by_metric else top_s
                self.current = h = HoldInProgress(start_s=start, last_s=t, top_base=None if by_metric else steady)
                if not active_faults:
                    h.good_s = t - start  # the top was reached a moment ago
                h.sides[side] += 1
            return []
        if h.top_base is not None and steady is not None and steady > h.top_base + margin:
            # Still rising well past where it seemed to stop: that was a pause on the way up.
            self.current = None
            return []
        in_rep = self._reps is not None and self._reps.current is not None
        if not by_metric and in_rep and h.top_base is None:
            # Below the hold's exit inside a rep: the hold stops counting, and the rep's end
            # decides whether it stands (a donkey kick or a glitch is no rep, so no hold).
            return []
        if not (by_metric or (h.top_base is not None and in_rep)):
            return self.end(t, side_name)
        if not active_faults:
            h.good_s += dt
        h.last_s = t
        h.sides[side] += 1  # the side is the one lifted most of the hold, not in its first frame
        h.faults += [code for code in active_faults if code not in h.faults]
        if not h.target_announced and h.good_s >= self.spec.target_s[0]:
            h.target_announced = True
            return [Event(t, "hold", "hold_target_reached",
                          f"{h.good_s:.0f} s: target reached, hold up to {self.spec.target_s[1]:.0f} s", 1)]
        return []

    def _at_top(self, view: str | None) -> tuple[float | None, float | None, float]:
        """(when the rep reached its top, if it is there now; the steady reading; the
        hysteresis), in a view where the top of the rep is a hold."""
        if view not in self._top_views:
            return None, None, 0.0
        return self._reps.top_reached_s(), self._reps.steady_now(), self._reps.hysteresis(view)

    def discard(self) -> None:
        """The movement turned out not to be this exercise: the hold is not kept."""
        self.current = None

    def end(self, t: float, side_name) -> list[Event]:
        h, self.current = self.current, None
        if h is None or h.last_s - h.start_s < self.spec.min_duration_s:
            return []
        events = []
        side = side_name(h.sides.most_common(1)[0][0])
        summary = HoldSummary(start_s=h.start_s, end_s=h.last_s, side=side, good_s=h.good_s,
                              target_s=tuple(self.spec.target_s), faults=h.faults)
        if self.spec.alternate and self.spec.per_side and self.holds and self.holds[-1].side == side:
            events.append(Event(t, "info", "alternate_sides", "Switch sides: alternate left and right", 1))
        self.holds.append(summary)
        lo, hi = self.spec.target_s
        verdict = "short of" if h.good_s < lo else ("past" if h.good_s > hi else "within")
        where = f" ({side})" if side else ""
        # "with good form" only when a fault took time off the hold: otherwise it says the same twice.
        good = f", {h.good_s:.1f} s with good form" if summary.duration_s - h.good_s >= 0.05 else ""
        events.append(Event(t, "hold", f"hold_{verdict.split()[0]}",
                            f"Held {summary.duration_s:.1f} s{where}{good}; {verdict} the {lo:.0f}-{hi:.0f} s target", 1))
        return events

    def progress(self, t: float) -> dict | None:
        if self.current is None:
            return None
        return {"elapsed_s": round(t - self.current.start_s, 2), "good_s": round(self.current.good_s, 2),
                "target_s": list(self.spec.target_s)}
