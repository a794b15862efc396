"""A live session: one person, one exercise, frames in as they come, feedback out.

Shared by the web app (browser camera and server source) and `posecheck live`.
`LiveSession.process(frame) -> LiveUpdate`; `finish() -> report`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .analysis import SCHEMA, VERSION, calibration_values
from .checker import Checker, FrameResult
from .estimator import PoseEstimator, create_estimator
from .profiles import Profile
from .sinks.overlay import highlighted_landmarks
from .smoothing import OneEuroSmoother
from .spec import ExerciseSpec
from .types import Frame, PoseFrame


@dataclass
class LiveUpdate:
    pose_frame: PoseFrame
    result: FrameResult
    highlight: list[int]
    hold: dict | None
    process_ms: float


class LiveSession:
    def __init__(self, spec: ExerciseSpec, profile: Profile, *, mode: str = "check", model: str = "full",
                 estimator: PoseEstimator | None = None) -> None:
        self.spec = spec
        self.profile = profile
        self.mode = mode  # "check" or "calibrate"
        # Calibration judges against defaults only, like `posecheck calibrate`.
        self.checker = Checker(spec, Profile(user=profile.user) if mode == "calibrate" else profile)
        self.smoother = OneEuroSmoother()
        self._estimator = estimator or create_estimator(model=model)
        self._owns_estimator = estimator is None
        self.results: list[FrameResult] = []
        self.started_wall = time.time()

    def process(self, frame: Frame) -> LiveUpdate:
        start = time.perf_counter()
        pose = self.smoother.update(self._estimator.estimate(frame))
        pf = PoseFrame(frame.timestamp_ms, frame.index, pose)
        result = self.checker.update(pf)
        self.results.append(result)
        hold = self.checker.hold_progress(result.t_s)
        return LiveUpdate(pf, result, highlighted_landmarks(result.active_faults), hold,
                          (time.perf_counter() - start) * 1000.0)

    def finish(self) -> dict:
        """The end-of-set summary (the analyze report schema) and, in calibration mode,
        the values to store."""
        self.checker.finish()
        c = self.checker
        report = {
            "schema": SCHEMA, "version": VERSION, "exercise": self.spec.name, "user": self.profile.user,
            "started_at": self.started_wall, "duration_s": round(self.results[-1].t_s - self.results[0].t_s, 3)
            if self.results else 0.0,
            "frames": {"total": len(self.results), "with_person": sum(r.has_pose for r in self.results),
                       "judged": sum(r.judged for r in self.results)},
            "reps": [r.to_dict() for r in c.reps], "holds": [h.to_dict() for h in c.holds],
            "events": [e.to_dict() for e in c.events],
            "summary": {"rep_count": len(c.reps), "hold_count": len(c.holds)},
        }
        if self.spec.exercise.mode == "posture":
            report["posture"] = [s.to_dict() for s in c.posture]
        if self.mode == "calibrate":
            report["calibration"] = calibration_values(self.spec, c, self.results, source_name="this session")
        return report

    def close(self) -> None:
        if self._owns_estimator:
            self._estimator.close()
