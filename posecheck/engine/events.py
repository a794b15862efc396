"""What the checker reports: feedback events, per-rep summaries, holds, posture spans."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

EventKind = Literal["cue", "rep", "hold", "view", "alert", "info"]


@dataclass(frozen=True)
class Event:
    t_s: float
    kind: EventKind
    code: str
    message: str
    severity: int = 1

    def to_dict(self) -> dict:
        return {**asdict(self), "t_s": round(self.t_s, 3)}


@dataclass
class RepSummary:
    index: int
    start_s: float
    end_s: float
    bottom_s: float
    side: str | None
    faults: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    judged: bool = True  # was its form judged? (not from a view where only reps are counted)
    not_judged: list[str] = field(default_factory=list)  # faults the camera could not measure in it
    # Faults past their limit but too close to it to call (within the noise, or not for long
    # enough): not said, and the rep is not praised either.
    unsure: list[str] = field(default_factory=list)
    # Exercises held at the top (a bridge, a bird-dog): seconds held with good form, and the target.
    hold_s: float | None = None
    hold_target_s: tuple[float, float] | None = None

    @property
    def hold_short(self) -> bool:
        """Held for less than the low end of its target: the exercise was not done as asked."""
        return self.hold_target_s is not None and (self.hold_s or 0.0) < self.hold_target_s[0]

    def to_dict(self) -> dict:
        return {"index": self.index, "start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "bottom_s": round(self.bottom_s, 3), "side": self.side, "faults": list(self.faults),
                "judged": self.judged, "not_judged": list(self.not_judged), "unsure": list(self.unsure),
                "hold_s": None if self.hold_s is None else round(self.hold_s, 2),
                "hold_target_s": list(self.hold_target_s) if self.hold_target_s else None,
                "hold_short": self.hold_short,
                "metrics": {k: round(v, 2) for k, v in self.metrics.items()}}


@dataclass
class HoldSummary:
    start_s: float
    end_s: float
    side: str | None
    good_s: float
    target_s: tuple[float, float]
    faults: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "side": self.side,
                "duration_s": round(self.duration_s, 3), "good_s": round(self.good_s, 3),
                "target_s": list(self.target_s), "faults": list(self.faults)}


@dataclass
class PostureSpan:
    start_s: float
    end_s: float
    state: Literal["upright", "slouched", "not_sitting", "not_visible"]
    faults: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3), "state": self.state,
                "faults": list(self.faults)}
