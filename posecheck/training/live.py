"""A live session: one person, one exercise, frames in as they come, feedback out.

Shared by the web app (browser camera and server source) and `posecheck live`.
`LiveSession.process(frame) -> LiveUpdate` runs the model on a frame; `process_pose(...)`
takes a pose found elsewhere (in the browser); `finish() -> report`."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from ..engine.analysis import build_report, calibration_values
from ..engine.checker import Checker, FrameResult
from ..engine.profiles import Profile
from ..engine.spec import ExerciseSpec
from ..pose.estimator import PoseEstimator, create_estimator
from ..pose.smoothing import OneEuroSmoother
from ..pose.tracking import skeleton_hidden
from ..pose.types import Frame, Pose, PoseFrame
from ..sinks.overlay import highlighted_landmarks
from .guided import holds_toward_target


@dataclass
class LiveUpdate:
    pose_frame: PoseFrame
    result: FrameResult
    highlight: list[int]
    hold: dict | None
    process_ms: float
    holds_done: int = 0  # toward a hold target, as the set's outcome counts them (guided.holds_toward_target)
    # Tracking just jumped to another person (a "second_person" event says so): for about a
    # second the skeleton slides between two people, so the page does not draw it.
    tracked_switch: bool = False


class LiveSession:
    def __init__(self, spec: ExerciseSpec, profile: Profile, *, mode: str = "check", model: str = "full",
                 estimator: PoseEstimator | None = None, pose_in_browser: bool = False) -> None:
        self.spec = spec
        self.profile = profile
        self.mode = mode  # "check", "calibrate" or "preview" (framing before a set: nothing kept)
        self.model = model
        # Calibration judges against defaults only, like `posecheck calibrate`.
        self.checker = Checker(spec, Profile(user=profile.user) if mode == "calibrate" else profile)
        self.smoother = OneEuroSmoother()
        self._holds_seen = (0, 0)  # (holds, holds toward the target): recounted only when one ends
        # Pose in the browser: poses arrive through process_pose, no model runs here.
        self.estimator = None if pose_in_browser else (estimator or create_estimator(model=model))
        self._owns_estimator = estimator is None and not pose_in_browser
        self.results: list[FrameResult] = []
        self.started_wall = time.time()

    def process(self, frame: Frame) -> LiveUpdate:
        start = time.perf_counter()
        return self._check(self.estimator.estimate(frame), frame.timestamp_ms, frame.index, start)

    def process_pose(self, pose: Pose | None, timestamp_ms: float, index: int) -> LiveUpdate:
        """A pose found by the same model elsewhere (None: nobody in the picture): from here
        on the path of a frame."""
        return self._check(pose, timestamp_ms, index, time.perf_counter())

    def _check(self, raw: Pose | None, timestamp_ms: float, index: int, start: float) -> LiveUpdate:
        pose = self.smoother.update(raw)
        pf = PoseFrame(timestamp_ms, index, pose)
        result = self.checker.update(pf)
        self.results.append(result)
        hold = self.checker.hold_progress(result.t_s)
        return LiveUpdate(pf, result, highlighted_landmarks(result.active_faults), hold,
                          (time.perf_counter() - start) * 1000.0, self._holds_done(),
                          tracked_switch=skeleton_hidden(self.checker.switches, result.t_s))

    def _holds_done(self) -> int:
        holds = self.checker.holds
        if len(holds) == self._holds_seen[0]:
            return self._holds_seen[1]
        per_side = bool(self.spec.hold and self.spec.hold.per_side)
        done = holds_toward_target(Counter(h.side or "either side" for h in holds), per_side)
        self._holds_seen = (len(holds), done)
        return done

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
        if self._owns_estimator and self.estimator is not None:
            self.estimator.close()
