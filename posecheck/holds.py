"""Hold timing: a hold starts when the hold metric passes `enter` and ends when it falls
below `exit`; only time with no active fault counts toward the target."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .events import Event, HoldSummary
from .spec import HoldSpec


@dataclass
class HoldInProgress:
    start_s: float
    sides: Counter = field(default_factory=Counter)  # frames per lifted side
    good_s: float = 0.0
    last_s: float = 0.0
    faults: list[str] = field(default_factory=list)
    target_announced: bool = False


class HoldTimer:
    def __init__(self, spec: HoldSpec) -> None:
        self.spec = spec
        self.current: HoldInProgress | None = None
        self.holds: list[HoldSummary] = []

    def update(self, t: float, dt: float, value: float | None, *, may_start: bool, side: str | None,
               active_faults: tuple[str, ...], side_name) -> list[Event]:
        """One frame; returns the events it produced (target reached, hold ended)."""
        h = self.current
        if h is None:
            if value is not None and value >= self.spec.enter and may_start:
                self.current = HoldInProgress(start_s=t, last_s=t)
                self.current.sides[side] += 1
            return []
        if value is None or value < self.spec.exit:
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
        events.append(Event(t, "hold", f"hold_{verdict.split()[0]}",
                            f"Held {summary.duration_s:.1f} s{where}, {h.good_s:.1f} s with good form; "
                            f"{verdict} the {lo:.0f}-{hi:.0f} s target", 1))
        return events

    def progress(self, t: float) -> dict | None:
        if self.current is None:
            return None
        return {"elapsed_s": round(t - self.current.start_s, 2), "good_s": round(self.current.good_s, 2),
                "target_s": list(self.spec.target_s)}
