"""Who is being tracked: the pose model follows one person, and when someone else comes
closer, or the video cuts to another shot, it jumps to them without saying so. A jump
of the hips by more than a torso length, or of the torso's size by more than 40%,
between frames a moment apart is no human movement: it is a different person or a cut."""

from __future__ import annotations

import numpy as np

from .geometry import torso_length_px
from .landmarks import Landmark as L
from .types import Pose

MAX_GAP_S = 0.25  # only compare frames this close: after a longer gap anyone may have moved
MAX_SHIFT_TORSOS = 1.0
MAX_SCALE_CHANGE = 0.4


class SwitchDetector:
    def __init__(self) -> None:
        self._last: tuple[float, np.ndarray, float] | None = None

    def switched(self, t: float, pose: Pose | None) -> bool:
        """True when this pose is not the person of the previous frame."""
        if pose is None:
            return False
        xy = pose.xy_px
        hips = (xy[int(L.LEFT_HIP)] + xy[int(L.RIGHT_HIP)]) / 2
        torso = max(torso_length_px(pose), 1.0)
        last, self._last = self._last, (t, hips, torso)
        if last is None or t - last[0] > MAX_GAP_S:
            return False
        _, hips0, torso0 = last
        shift = float(np.linalg.norm(hips - hips0)) / max(torso0, 1.0)
        scale = abs(torso - torso0) / max(torso0, 1.0)
        return shift > MAX_SHIFT_TORSOS or scale > MAX_SCALE_CHANGE
