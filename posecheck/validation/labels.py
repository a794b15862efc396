"""The label file `posecheck validate` reads: one JSON object, `{"about": ..., "clips":
{path: label}}`, paths relative to the file (or `--root`). Every key is optional except
`exercise`; unknown keys (notes, resolution, ...) are kept and ignored.

    exercise       checker name (squat | glute_bridge | bird_dog | sitting_posture),
                   or "other:<what>" for a different exercise (a negative)
    reps           complete repetitions; reps_ok: every acceptable count when ambiguous
    rep_bottoms_s  deepest moment of each rep (squat), seconds
    top_holds_s    [[from, to], ...] hold windows at the top (glute bridge)
    holds_s        [{side, from, to}, ...] holds per side (bird-dog)
    segments       [{from, to, state, faults}]: sitting states (upright | slouched |
                   not_sitting | unsure), or, for other exercises, spans that must count nothing
    faults         what a coach would call: "code" or {kind, times_s, notes}; notes that
                   say "unsure" keep the fault out of the score
    check_as       checkers that must count nothing and cue no fault on the clip
    difficulty     free text; "unusable" keeps the clip out of every score
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine.spec import error_location
from ..errors import PosecheckError

CHECKERS = ("squat", "glute_bridge", "bird_dog", "sitting_posture")
SITTING_STATES = ("upright", "slouched", "not_sitting")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)


class FaultLabel(_Model):
    kind: str
    times_s: list[float] = Field(default_factory=list)
    notes: str = ""

    @property
    def unsure(self) -> bool:
        return "unsure" in self.notes.lower()


FaultEntry = Union[str, FaultLabel]


def _fault(entry: FaultEntry) -> FaultLabel:
    return FaultLabel(kind=entry) if isinstance(entry, str) else entry


class Segment(_Model):
    start: float = Field(alias="from")
    end: float = Field(alias="to")
    state: str
    faults: list[FaultEntry] = Field(default_factory=list)


class SideHold(_Model):
    side: str | None = None
    start: float = Field(alias="from")
    end: float = Field(alias="to")


class HoldWindow(BaseModel):
    start: float
    end: float
    side: str | None = None


class ClipLabel(_Model):
    exercise: str
    reps: int | None = None
    reps_ok: list[int] | None = None
    rep_bottoms_s: list[float] = Field(default_factory=list)
    top_holds_s: list[tuple[float, float]] = Field(default_factory=list)
    holds_s: list[SideHold] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    faults: list[FaultEntry] = Field(default_factory=list)
    check_as: list[str] = Field(default_factory=list)
    difficulty: str = ""

    @property
    def unusable(self) -> bool:
        return "unusable" in self.difficulty.lower()

    @property
    def checker(self) -> str | None:
        """The checker this clip is for, None for a different exercise."""
        return self.exercise if self.exercise in CHECKERS else None

    def checkers_to_run(self) -> list[str]:
        own = [self.checker] if self.checker else []
        return own + [c for c in self.check_as if c not in own]

    def acceptable_reps(self) -> list[int] | None:
        if self.reps_ok:
            return list(self.reps_ok)
        return None if self.reps is None else [self.reps]

    def fault_labels(self) -> list[FaultLabel]:
        """Clip-level and segment-level faults, sure and unsure."""
        out = [_fault(f) for f in self.faults]
        for seg in self.segments:
            out += [_fault(f) for f in seg.faults]
        return out

    def expected_faults(self) -> set[str]:
        return {f.kind for f in self.fault_labels()} - self.unsure_faults()

    def unsure_faults(self) -> set[str]:
        """Kinds any label calls unsure: a segment that lists the same code without notes
        repeats that fault, it does not make it sure."""
        return {f.kind for f in self.fault_labels() if f.unsure}

    def hold_windows(self) -> list[HoldWindow]:
        windows = [HoldWindow(start=a, end=b) for a, b in self.top_holds_s]
        windows += [HoldWindow(start=h.start, end=h.end, side=h.side) for h in self.holds_s]
        return windows

    def sitting_segments(self) -> list[Segment]:
        """Segments with a scored sitting state (unsure ones and other notes left out)."""
        return [s for s in self.segments if s.state in SITTING_STATES]


class LabelFile(_Model):
    about: str = ""
    clips: dict[str, ClipLabel]


def load_labels(path: str | Path) -> LabelFile:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PosecheckError(f"{path}: no such label file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PosecheckError(f"{path}: not a readable JSON label file ({exc})") from None
    except RecursionError:
        raise PosecheckError(f"{path}: nested too deeply to be a label file") from None
    try:
        labels = LabelFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise PosecheckError(f"{path}: {error_location(err['loc'])}: {err['msg']}") from None
    for name, clip in labels.clips.items():
        # A typo ("squats") would leave the clip out of every score without a word.
        if clip.checker is None and not clip.exercise.startswith("other:"):
            raise PosecheckError(f"{path}: clips.{name}.exercise: unknown exercise '{clip.exercise[:40]}' "
                                 f"(known: {', '.join(CHECKERS)}, or other:<what> for a different exercise)")
        unknown = [c for c in clip.check_as if c not in CHECKERS]
        if unknown:
            raise PosecheckError(f"{path}: clips.{name}.check_as: unknown checker '{unknown[0]}' "
                                 f"(known: {', '.join(CHECKERS)})")
    return labels
