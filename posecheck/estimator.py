"""Pose estimators. `PoseEstimator` is the interface every backend implements; this is
the only module that imports mediapipe, and the only place its results become `Pose`s."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .errors import ModelError
from .landmarks import NUM_LANDMARKS
from .models import ensure_model
from .types import Frame, Pose


class PoseEstimator(Protocol):
    """Turns one upright RGB frame into a `Pose` (or None when nobody is found).

    A Tasks-API backend (PoseLandmarker with a user-supplied `.task` file) fits here:
    implement `estimate` and `close`, and register it in `create_estimator`."""

    name: str

    def estimate(self, frame: Frame) -> Pose | None: ...

    def close(self) -> None: ...


class MediaPipeLegacyEstimator:
    """`mp.solutions.pose` from mediapipe 0.10.21: bundled full model, lite/heavy from the
    model cache. Video mode tracks the person between frames; image mode detects anew."""

    def __init__(self, *, model: str = "full", static_image_mode: bool = False,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> None:
        entry = ensure_model(model)
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

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> MediaPipeLegacyEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def pose_from_mediapipe(image_landmarks, world_landmarks, *, timestamp_ms: float,
                        resolution_wh: tuple[int, int], frame_index: int) -> Pose:
    image = np.array([(p.x, p.y, p.z, p.visibility, p.presence) for p in image_landmarks],
                     dtype=np.float32)
    world = np.array([(p.x, p.y, p.z) for p in world_landmarks], dtype=np.float32)
    if image.shape[0] != NUM_LANDMARKS:
        raise ModelError(f"expected {NUM_LANDMARKS} landmarks, the model gave {image.shape[0]}")
    return Pose(xyz_norm=image[:, :3].copy(), visibility=image[:, 3].copy(), world_xyz=world,
                timestamp_ms=timestamp_ms, resolution_wh=tuple(resolution_wh),
                frame_index=frame_index, presence=image[:, 4].copy())


def create_estimator(*, model: str = "full", static_image_mode: bool = False) -> PoseEstimator:
    if model.endswith(".task"):
        raise ModelError(f"{model}: Tasks-API .task models are not supported by this build yet; "
                         "use --model lite|full|heavy")
    return MediaPipeLegacyEstimator(model=model, static_image_mode=static_image_mode)
