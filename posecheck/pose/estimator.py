"""Pose estimators. `PoseEstimator` is the interface every backend implements; this is,
with the model plumbing it loads from (pose/models), the only code that imports mediapipe,
and the only place its results become `Pose`s."""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from ..errors import ModelError
from .landmarks import NUM_LANDMARKS
from .models import legacy_model, task_bundle
from .native_logs import silence_native_logs
from .types import Frame, Pose


class PoseEstimator(Protocol):
    """Turns one upright RGB frame into a `Pose` (or None when nobody is found).

    Two backends: the legacy solution (mediapipe <= 0.10.21) and the Tasks API's
    PoseLandmarker (any newer MediaPipe); `create_estimator` picks one."""

    name: str

    def estimate(self, frame: Frame) -> Pose | None: ...

    def reset(self) -> None:
        """Forget the person being tracked (the next frame detects anew)."""

    def close(self) -> None: ...


class MediaPipeLegacyEstimator:
    """`mp.solutions.pose` from mediapipe 0.10.21: bundled full model, lite/heavy from the
    model cache. Video mode tracks the person between frames; image mode detects anew."""

    def __init__(self, *, model: str = "full", static_image_mode: bool = False,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> None:
        entry = legacy_model(model)
        silence_native_logs()  # before the import: mediapipe logs from the moment it loads
        import mediapipe as mp

        self.name = f"mediapipe-legacy-{model}"
        try:
            self._pose = mp.solutions.pose.Pose(
                static_image_mode=static_image_mode,
                model_complexity=entry.model_complexity,
                # posecheck smooths on its own (smoothing.py), the same for every backend.
                smooth_landmarks=False,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
        except Exception as exc:  # noqa: BLE001 - mediapipe raises RuntimeError/ValueError
            raise ModelError(f"mediapipe could not load the {model} pose model: {exc}") from None

    def estimate(self, frame: Frame) -> Pose | None:
        result = self._pose.process(frame.image)
        if result.pose_landmarks is None:
            return None
        return pose_from_mediapipe(result.pose_landmarks.landmark, result.pose_world_landmarks.landmark,
                                   timestamp_ms=frame.timestamp_ms, resolution_wh=frame.resolution_wh,
                                   frame_index=frame.index)

    def reset(self) -> None:
        # A frame with nobody in it makes the graph drop the tracked region, so the next
        # frame runs the person detector anew: the landmarks then equal a fresh
        # estimator's exactly (tests/test_server_hardening.py). The graph's own reset()
        # does the same by rebuilding it, which keeps 20-60 MB more each time in 0.10.21.
        self._pose.process(np.zeros((64, 64, 3), dtype=np.uint8))

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipeLegacyEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def pose_from_mediapipe(image_landmarks, world_landmarks, *, timestamp_ms: float,
                        resolution_wh: tuple[int, int], frame_index: int) -> Pose:
    # The Tasks API leaves visibility/presence as None where it has none to give.
    image = np.array([(p.x, p.y, p.z, p.visibility or 0.0, p.presence or 0.0) for p in image_landmarks],
                     dtype=np.float32)
    world = np.array([(p.x, p.y, p.z) for p in world_landmarks], dtype=np.float32)
    if image.shape[0] != NUM_LANDMARKS:
        raise ModelError(f"expected {NUM_LANDMARKS} landmarks, the model gave {image.shape[0]}")
    return Pose(xyz_norm=image[:, :3].copy(), visibility=image[:, 3].copy(), world_xyz=world,
                timestamp_ms=timestamp_ms, resolution_wh=tuple(resolution_wh),
                frame_index=frame_index, presence=image[:, 4].copy())


class MediaPipeTasksEstimator:
    """`PoseLandmarker` from the Tasks API (the only API of MediaPipe 1.x, e.g. on Python
    3.13), with a `.task` bundle from pose/models. Same landmarks, same `Pose`s."""

    def __init__(self, *, model: str = "full", static_image_mode: bool = False,
                 bundle_path: str | None = None) -> None:
        silence_native_logs()  # before the import: LiteRT logs from the moment it loads
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions
            from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode
        except ImportError as exc:
            raise ModelError(f"this mediapipe has no Tasks API ({exc})") from None
        path = bundle_path or str(task_bundle(model).path)
        self.name = f"mediapipe-tasks-{model}"
        self._mp = mp
        self._video = not static_image_mode
        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=path),
            running_mode=RunningMode.VIDEO if self._video else RunningMode.IMAGE,
            # The legacy solution's thresholds. A lower detection threshold was tried on the
            # whole shared set: it agreed with the legacy backend on fewer clips (69 of 78
            # clip x checker runs, against 72 at 0.5), so both backends use the same 0.5.
            num_poses=1, min_pose_detection_confidence=0.5, min_pose_presence_confidence=0.5,
            min_tracking_confidence=0.5, output_segmentation_masks=False)
        try:
            self._landmarker = PoseLandmarker.create_from_options(options)
        except Exception as exc:  # noqa: BLE001 - RuntimeError/ValueError from the C++ side
            raise ModelError(f"mediapipe could not load {path}: {exc}") from None
        # VIDEO mode wants strictly increasing timestamps, also across the sessions of a
        # pooled estimator: an offset keeps each session's own spacing after a jump back.
        self._offset_ms = 0
        self._last_ms = -1

    def _timestamp(self, t_ms: float) -> int:
        ts = int(round(t_ms)) + self._offset_ms
        if ts <= self._last_ms:
            self._offset_ms += self._last_ms + 1 - ts
            ts = self._last_ms + 1
        self._last_ms = ts
        return ts

    def _detect(self, rgb: np.ndarray, t_ms: float):
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        if self._video:
            return self._landmarker.detect_for_video(image, self._timestamp(t_ms))
        return self._landmarker.detect(image)

    def estimate(self, frame: Frame) -> Pose | None:
        result = self._detect(frame.image, frame.timestamp_ms)
        if not result.pose_landmarks:
            return None
        return pose_from_mediapipe(result.pose_landmarks[0], result.pose_world_landmarks[0],
                                   timestamp_ms=frame.timestamp_ms, resolution_wh=frame.resolution_wh,
                                   frame_index=frame.index)

    def reset(self) -> None:
        # As for the legacy graph: a frame with nobody in it drops the tracked person.
        self._detect(np.zeros((64, 64, 3), dtype=np.uint8), self._last_ms + 1 - self._offset_ms)

    def close(self) -> None:
        self._landmarker.close()


BACKENDS = ("auto", "legacy", "tasks")


def legacy_available() -> bool:
    try:
        import mediapipe as mp

        return hasattr(mp, "solutions") and hasattr(mp.solutions, "pose")
    except ImportError:
        return False


def chosen_backend(backend: str | None = None) -> str:
    """`legacy` where mp.solutions exists (mediapipe <= 0.10.21), else `tasks`; or as asked
    (`--backend`, `$POSECHECK_BACKEND`)."""
    backend = backend or os.environ.get("POSECHECK_BACKEND") or "auto"
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend '{backend}'; choose one of {', '.join(BACKENDS)}")
    if backend == "auto":
        return "legacy" if legacy_available() else "tasks"
    if backend == "legacy" and not legacy_available():
        raise ModelError("this mediapipe has no legacy pose solution (mp.solutions was removed in 0.10.30); "
                         "use --backend tasks")
    return backend


def create_estimator(*, model: str = "full", static_image_mode: bool = False,
                     backend: str | None = None) -> PoseEstimator:
    if model.endswith(".task"):  # a bundle of the user's own: only the Tasks API reads it
        return MediaPipeTasksEstimator(static_image_mode=static_image_mode, bundle_path=model)
    if chosen_backend(backend) == "tasks":
        return MediaPipeTasksEstimator(model=model, static_image_mode=static_image_mode)
    return MediaPipeLegacyEstimator(model=model, static_image_mode=static_image_mode)
