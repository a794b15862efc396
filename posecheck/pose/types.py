"""The data that flows between pipeline stages: frames in, poses out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from .landmarks import NUM_LANDMARKS, Landmark


@dataclass(frozen=True)
class VideoInfo:
    """What a source knows about itself before the first frame."""

    kind: str  # "video", "camera", "image", "images", "recording"
    name: str
    resolution_wh: tuple[int, int]  # upright (after rotation), before any resize
    fps: float | None = None
    frame_count: int | None = None
    duration_s: float | None = None
    rotation_deg: int = 0  # clockwise rotation applied to stored frames to make them upright
    codec: str | None = None

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "name": self.name, "resolution_wh": list(self.resolution_wh),
            "fps": self.fps, "frame_count": self.frame_count, "duration_s": self.duration_s,
            "rotation_deg": self.rotation_deg, "codec": self.codec,
        }

    @classmethod
    def from_dict(cls, d: dict) -> VideoInfo:
        return cls(kind=d["kind"], name=d["name"], resolution_wh=tuple(d["resolution_wh"]),
                   fps=d.get("fps"), frame_count=d.get("frame_count"), duration_s=d.get("duration_s"),
                   rotation_deg=d.get("rotation_deg", 0), codec=d.get("codec"))


@dataclass(frozen=True)
class Frame:
    """One upright RGB picture. `image` may be downscaled for the model; `resolution_wh`
    is the upright source resolution that pixel coordinates refer to."""

    image: np.ndarray  # HxWx3 uint8 RGB
    timestamp_ms: float
    index: int
    resolution_wh: tuple[int, int]


@dataclass(frozen=True, eq=False)
class Pose:
    """33 landmarks of one person in one frame.

    `xyz_norm`: x, y in [0, 1] of the upright image (may fall outside when off-frame),
    z in MediaPipe's relative depth (smaller = nearer the camera).
    `world_xyz`: metres, origin between the hips, y pointing down.
    `visibility`/`presence`: 0..1 likelihoods from the model.
    """

    xyz_norm: np.ndarray
    visibility: np.ndarray
    world_xyz: np.ndarray
    timestamp_ms: float
    resolution_wh: tuple[int, int]
    frame_index: int = 0
    presence: np.ndarray = field(default=None)  # type: ignore[assignment]
    # (33,) each landmark's raw frame-to-frame scatter in source pixels, when the smoother
    # has measured it (jitter.py); None for raw poses and single pictures.
    noise_px: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name, shape in (("xyz_norm", (NUM_LANDMARKS, 3)), ("world_xyz", (NUM_LANDMARKS, 3)),
                            ("visibility", (NUM_LANDMARKS,))):
            arr = getattr(self, name)
            if not isinstance(arr, np.ndarray) or arr.shape != shape:
                raise ValueError(f"Pose.{name} must be an array of shape {shape}, got "
                                 f"{getattr(arr, 'shape', type(arr).__name__)}")
        if self.presence is None:
            object.__setattr__(self, "presence", np.ones(NUM_LANDMARKS, dtype=np.float32))

    @cached_property
    def xy_px(self) -> np.ndarray:
        """(33, 2) pixel coordinates in the upright source resolution (computed once: the
        arrays are not changed after construction; `with_coords` makes a new Pose)."""
        w, h = self.resolution_wh
        return self.xyz_norm[:, :2] * np.array([w, h], dtype=np.float64)

    def px(self, landmark: Landmark) -> np.ndarray:
        return self.xy_px[int(landmark)]

    def vis(self, landmark: Landmark) -> float:
        return float(self.visibility[int(landmark)])

    def with_coords(self, xyz_norm: np.ndarray, world_xyz: np.ndarray) -> Pose:
        return replace(self, xyz_norm=xyz_norm, world_xyz=world_xyz)

    def equals(self, other: Pose) -> bool:
        return (self.timestamp_ms == other.timestamp_ms and self.frame_index == other.frame_index
                and tuple(self.resolution_wh) == tuple(other.resolution_wh)
                and all(np.array_equal(getattr(self, n), getattr(other, n))
                        for n in ("xyz_norm", "visibility", "world_xyz", "presence")))


@dataclass(frozen=True)
class PoseFrame:
    """What the estimator stage hands on: the timestamp always, the pose when a person
    was found, and the picture when the caller still needs it (overlays)."""

    timestamp_ms: float
    index: int
    pose: Pose | None
    frame: Frame | None = None
