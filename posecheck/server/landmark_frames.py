"""Landmark messages (protocol 2: pose found in the browser) -> `Pose`s for the checker.

A landmark message stands in for a camera frame: the same smoother and checker follow, so
the verdicts are those of the same model run here. What a message may hold is checked
before it reaches them: shapes and finite numbers by the schema (`LandmarksMessage`),
ranges and time here; a message over the session's rate is refused."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..pose.types import Pose
from .schemas import LandmarksMessage

# MediaPipe extrapolates landmarks of body parts outside the picture, so x, y may leave
# [0, 1]; a landmark more than one picture's width or height away is no measurement.
XY_LIMITS = (-1.0, 2.0)
# Image z is relative depth on about the scale of x, origin at the hips: a body spans well
# under one picture width of it.
Z_LIMIT = 3.0
# World landmarks are metres from the point between the hips: no body part is 3 m away.
WORLD_LIMIT_M = 3.0
# MediaPipe's video mode takes whole-millisecond time stamps: frames are at least 1 ms apart.
MIN_STEP_MS = 1.0
# A set is not longer than a day.
MAX_T_MS = 24 * 3600 * 1000.0


@dataclass(frozen=True)
class PoseIn:
    """A landmark message, checked: what the checker takes in place of a frame."""

    pose: Pose | None
    t_ms: float
    index: int


class BadLandmarks(ValueError):
    """A landmark message that cannot be a pose (one line: what is wrong)."""


def pose_from_landmarks(msg: LandmarksMessage, index: int, max_pixels: int) -> Pose | None:
    """The message's pose (None when the page found nobody); BadLandmarks says what is wrong."""
    w, h = msg.image_wh  # 16-8192 each (the schema)
    if w * h > max_pixels:
        raise BadLandmarks(f"image_wh {w}x{h} is over the {max_pixels}-pixel limit")
    if msg.landmarks is None:
        if msg.world is not None:
            raise BadLandmarks("world landmarks without image landmarks")
        return None
    if msg.world is None:
        raise BadLandmarks("image landmarks without world landmarks")
    if any(len(p) < 4 for p in msg.landmarks):
        raise BadLandmarks("each image landmark is [x, y, z, visibility] or [x, y, z, visibility, presence]")
    if any(len(p) != 3 for p in msg.world):
        raise BadLandmarks("each world landmark is [x, y, z]")
    image = np.array([p + [1.0] if len(p) == 4 else p for p in msg.landmarks], dtype=np.float64)
    world = np.array(msg.world, dtype=np.float64)
    _check_range(image[:, :2], *XY_LIMITS, "x, y")
    _check_range(image[:, 2], -Z_LIMIT, Z_LIMIT, "z")
    _check_range(image[:, 3:5], 0.0, 1.0, "visibility and presence")
    _check_range(world, -WORLD_LIMIT_M, WORLD_LIMIT_M, "world landmarks (m)")
    return Pose(xyz_norm=image[:, :3].astype(np.float32), visibility=image[:, 3].astype(np.float32),
                world_xyz=world.astype(np.float32), timestamp_ms=msg.t_ms, resolution_wh=(w, h),
                frame_index=index, presence=image[:, 4].astype(np.float32))


def _check_range(values: np.ndarray, low: float, high: float, what: str) -> None:
    outside = (values < low) | (values > high)
    if outside.any():
        landmark = int(np.argwhere(outside)[0][0]) if values.ndim else 0
        raise BadLandmarks(f"landmark {landmark}: {what} outside {low:g} to {high:g}")


class LandmarkClock:
    """Time stamps that go forward, and at most `per_second` messages a second (by arrival)."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self.last_t_ms: float | None = None
        self.arrivals: deque[float] = deque()

    def too_fast(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        while self.arrivals and now - self.arrivals[0] >= 1.0:
            self.arrivals.popleft()
        if len(self.arrivals) >= self.per_second:
            return True
        self.arrivals.append(now)
        return False

    def check_time(self, t_ms: float) -> None:
        if t_ms > MAX_T_MS:
            raise BadLandmarks(f"t_ms {t_ms:.6g} is more than a day")
        if self.last_t_ms is not None and t_ms < self.last_t_ms + MIN_STEP_MS:
            raise BadLandmarks(f"t_ms {t_ms:.6g} is not at least {MIN_STEP_MS:g} ms after the previous "
                               f"message's {self.last_t_ms:.6g}")

    def accept_time(self, t_ms: float) -> None:
        """Only an accepted message moves the clock."""
        self.last_t_ms = t_ms

