"""A live session: one person, one exercise, frames in as they come, feedback out.

Shared by the web app (browser camera and server source) and `posecheck live`.
`LiveSession.process(frame) -> LiveUpdate`; `finish() -> report`."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .analysis import build_report, calibration_values
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
        self.model = model
        # Calibration judges against defaults only, like `posecheck calibrate`.
        self.checker = Checker(spec, Profile(user=profile.user) if mode == "calibrate" else profile)
        self.smoother = OneEuroSmoother()
        self.estimator = estimator or create_estimator(model=model)
        self._owns_estimator = estimator is None
        self.results: list[FrameResult] = []
        self.started_wall = time.time()

    def process(self, frame: Frame) -> LiveUpdate:
        start = time.perf_counter()
        pose = self.smoother.update(self.estimator.estimate(frame))
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
        report = build_report(self.checker, self.results, source=None, model=self.model,
                              user=self.profile.user)
        report["started_at"] = self.started_wall
        if self.mode == "calibrate":
            report["calibration"] = calibration_values(self.spec, self.checker, self.results,
                                                       source_name="this session")
        return report

    def close(self) -> None:
        if self._owns_estimator:
            self.estimator.close()
