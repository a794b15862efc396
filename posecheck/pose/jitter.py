"""How much each raw landmark jitters in this clip, measured as the poses stream past.

The smoother (smoothing.py) feeds every raw pose to a `LandmarkJitter` and puts its
answer on the smoothed pose (`Pose.noise_px`); the engine's noise model (engine/noise.py)
turns it into how well a fault can be measured."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .types import Pose

# 1.4826 * MAD estimates a normal scatter; a second difference of white noise has
# variance 6 sigma^2.
_MAD_TO_SIGMA = 1.4826 / math.sqrt(6.0)


class LandmarkJitter:
    """Running per-landmark scatter of raw image landmarks, in source pixels."""

    def __init__(self, window: int = 90, every: int = 10) -> None:
        self._d2: deque[np.ndarray] = deque(maxlen=window)  # |second difference| per frame, (33, 2)
        self._prev: deque[np.ndarray] = deque(maxlen=2)
        self._every = every
        self._since = 0
        self.sigma_px: np.ndarray | None = None  # (33,)

    def reset(self) -> None:
        self._prev.clear()

    def update(self, pose: Pose) -> np.ndarray | None:
        xy = pose.xy_px
        if len(self._prev) == 2:
            self._d2.append(np.abs(xy - 2.0 * self._prev[1] + self._prev[0]))
            self._since += 1
            if self.sigma_px is None and len(self._d2) >= 5 or self._since >= self._every:
                self._since = 0
                per_axis = np.median(np.stack(self._d2), axis=0) * _MAD_TO_SIGMA
                self.sigma_px = np.hypot(per_axis[:, 0], per_axis[:, 1]) / math.sqrt(2.0)
        self._prev.append(xy)
        return self.sigma_px
