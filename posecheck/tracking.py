"""Who is being tracked: the pose model follows one person, and when someone else comes
closer, or the video cuts to another shot, it jumps to them without saying so. Within
a third of a second a person's hips move at most ~0.4 m (the drop of the fastest
squat), under one torso length: a jump of 1.5 torso lengths is another person or a
cut. The torso is its longest in the window (leaning forward shortens it on screen).
The window spans a few frames because the model and the smoother spread a jump over
them. (Size changes are no test: a squat leaning toward the camera changes the torso's
size on screen by as much as a cut between two people of a similar build.)"""

from __future__ import annotations

import math
from collections import deque

from .geometry import torso_length_px
from .landmarks import Landmark as L
from .types import Pose

WINDOW_S = 0.3
MAX_SHIFT_TORSOS = 1.5


class SwitchDetector:
    def __init__(self) -> None:
        self._recent: deque[tuple[float, tuple[float, float], float]] = deque()

    def switched(self, t: float, pose: Pose | None) -> bool:
        """True when this pose is not the person of a moment ago."""
        if pose is None:
            return False
        xy = pose.xy_px
        hx, hy = (float(v) for v in (xy[int(L.LEFT_HIP)] + xy[int(L.RIGHT_HIP)]) / 2)
        torso = max(torso_length_px(pose), 1.0)
        while self._recent and t - self._recent[0][0] > WINDOW_S:
            self._recent.popleft()
        scale = max([torso] + [t0 for _, _, t0 in self._recent])
        jump = any(math.hypot(hx - x0, hy - y0) > MAX_SHIFT_TORSOS * scale for _, (x0, y0), _ in self._recent)
        if jump:
            self._recent.clear()  # the new person is the reference from now on
        self._recent.append((t, (hx, hy), torso))
        return jump
