"""Desk setups and how strict the monitor is.

A sitting baseline holds for the camera geometry it was taken in: the front-view measures
are ratios of head and shoulder sizes, which perspective changes as the camera moves. So
each setup (`--setup laptop`, `--setup desk`) keeps its own calibration and the framing it
was taken in, and the monitor compares the person's framing over the last half minute
with it. When the view, the size or the place of the person in the picture has moved
past what posture itself changes, the calibration is stale: the monitor says so and
judges nothing, instead of counting slouch against the wrong baseline."""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..engine.analysis import calibration_run
from ..engine.spec import ExerciseSpec
from ..errors import PosecheckError
from ..pose.landmarks import Landmark as L
from ..pose.pipeline import PipelineSettings
from ..pose.types import Pose

# Named sensitivity levels: (seconds of bad posture before an alert, scale on every
# baseline-relative fault threshold). `normal` is the monitor's tested default (45 s and the
# spec's own thresholds); the others halve or double the wait and move the thresholds by a
# quarter either way, which stays outside the 2D measurement jitter the spec's thresholds
# are already 2x above (sitting_posture.toml's evidence).
SENSITIVITY = {"relaxed": (90.0, 1.25), "normal": (45.0, 1.0), "strict": (20.0, 0.75)}

# Staleness: size outside [1/1.3, 1.3] of the calibrated size, or the shoulders' centre moved
# by more than a quarter of the picture, or another view, in most of the last WINDOW
# judged samples. Posture itself changes the nose-to-shoulder size by ~10-15% (the
# front-view faults fire at 10-12%); moving a laptop to an external monitor changes the
# camera distance by 1.5x or more.
SIZE_RATIO = 1.3
SHIFT = 0.25
WINDOW = 30
STALE_SHARE = 0.8


def scaled_spec(spec: ExerciseSpec, factor: float) -> ExerciseSpec:
    """The spec with every baseline-relative fault threshold scaled (sensitivity)."""
    if factor == 1.0:
        return spec
    faults = [f.model_copy(update={"enter": f.enter * factor, "exit": None if f.exit is None else f.exit * factor})
              if f.reference is not None else f for f in spec.faults]
    return spec.model_copy(update={"faults": faults})


@dataclass(frozen=True)
class Framing:
    view: str
    size: float  # nose to the shoulders' midpoint, in picture heights
    center_x: float  # the shoulders' midpoint, in picture widths / heights
    center_y: float

    def to_dict(self) -> dict:
        return {"view": self.view, "size": round(self.size, 4), "center_x": round(self.center_x, 4),
                "center_y": round(self.center_y, 4)}

    @staticmethod
    def from_dict(data: dict) -> Framing:
        return Framing(str(data["view"]), float(data["size"]), float(data["center_x"]), float(data["center_y"]))


def framing_of(pose: Pose, view: str) -> Framing | None:
    xy = pose.xyz_norm[:, :2]
    vis = pose.visibility
    needed = [int(L.NOSE), int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)]
    if min(vis[i] for i in needed) < 0.5:
        return None
    shoulders = (xy[int(L.LEFT_SHOULDER)] + xy[int(L.RIGHT_SHOULDER)]) / 2
    w, h = pose.resolution_wh
    aspect = w / h if h else 1.0
    d = (xy[int(L.NOSE)] - shoulders) * np.array([aspect, 1.0])  # in picture heights both ways
    return Framing(view, float(np.linalg.norm(d)), float(shoulders[0]), float(shoulders[1]))


def median_framing(samples: list[Framing]) -> Framing:
    views = [f.view for f in samples]
    view = max(set(views), key=views.count)
    return Framing(view, float(np.median([f.size for f in samples])), float(np.median([f.center_x for f in samples])),
                   float(np.median([f.center_y for f in samples])))


def how_it_moved(now: Framing, calibrated: Framing) -> str | None:
    """Why this framing no longer matches the calibrated one, in words; None if it does."""
    if now.view != calibrated.view:
        return f"the camera now sees you from the {now.view}, calibrated from the {calibrated.view}"
    ratio = now.size / calibrated.size if calibrated.size else 1.0
    if ratio > SIZE_RATIO:
        return f"you look {ratio:.1f}x larger than when calibrated (closer to the camera)"
    if ratio < 1 / SIZE_RATIO:
        return f"you look {1 / ratio:.1f}x smaller than when calibrated (further from the camera)"
    shift = max(abs(now.center_x - calibrated.center_x), abs(now.center_y - calibrated.center_y))
    if shift > SHIFT:
        return f"you sit {shift:.0%} of the picture away from where you were calibrated"
    return None


class SetupWatch:
    """The last WINDOW framings against the setup's calibrated one."""

    def __init__(self, setup: str, calibrated: Framing | None) -> None:
        self.setup = setup
        self.calibrated = calibrated
        self.recent: deque[tuple[Framing, str | None]] = deque(maxlen=WINDOW)
        self.stale_reason: str | None = None

    def update(self, framing: Framing | None) -> str | None:
        """The reason the calibration looks stale now, or None."""
        if self.calibrated is None or framing is None:
            return self.stale_reason
        self.recent.append((framing, how_it_moved(framing, self.calibrated)))
        if len(self.recent) < WINDOW // 3:
            return None
        off = [reason for _, reason in self.recent if reason]
        if self.stale_reason is None and len(off) >= STALE_SHARE * len(self.recent):
            self.stale_reason = how_it_moved(median_framing([f for f, _ in self.recent]), self.calibrated) or off[-1]
        elif self.stale_reason is not None and len(off) <= (1 - STALE_SHARE) * len(self.recent):
            self.stale_reason = None
        return self.stale_reason


def calibrate_sitting_setup(source: str | os.PathLike, spec: ExerciseSpec, *, start_s: float | None = None,
                            end_s: float | None = None,
                            settings: PipelineSettings | None = None) -> tuple[dict[str, float], dict]:
    """A desk setup's sitting baseline, and the framing it was taken in."""
    frames, results, values = calibration_run(source, spec, start_s, end_s, settings)
    framings = [framing_of(pf.pose, r.view) for pf, r in zip(frames, results)
                if pf.pose is not None and r.judged and r.position == spec.exercise.position]
    framings = [f for f in framings if f is not None]
    if not framings:
        raise PosecheckError(f"calibration found no frames with your head and shoulders in view in {os.fspath(source)}")
    return values, median_framing(framings).to_dict()
