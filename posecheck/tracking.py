"""Who is being tracked, and how: `Majority` steadies labels that flicker frame to frame
(view, position, side); `SwitchDetector` notices a jump to another person.

Who is being tracked: the pose model follows one person, and when someone else comes
closer, or the video cuts to another shot, it jumps to them without saying so. Within
a third of a second a person's hips move at most ~0.4 m (the drop of the fastest
squat), under one torso length: a jump of 1.5 torso lengths is another person or a
cut. The torso is its longest in the window (leaning forward shortens it on screen).
The window spans a few frames because the model and the smoother spread a jump over
them. (Size changes are no test: a squat leaning toward the camera changes the torso's
size on screen by as much as a cut between two people of a similar build.)"""

from __future__ import annotations

import math
from collections import Counter, deque

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


class Majority:
    """Most common label over the last `window_s` seconds (labels flicker frame to frame).
    The first frame's label counts at once: a one-second clip is judged from its start."""

    def __init__(self, window_s: float = 1.0, share: float = 0.6) -> None:
        self.window_s = window_s
        self.share = share
        self.items: deque[tuple[float, str]] = deque()
        self.counts: Counter = Counter()  # kept in step with `items`: no recount per frame
        self.value: str | None = None

    def update(self, t_s: float, label: str) -> str:
        self.items.append((t_s, label))
        self.counts[label] += 1
        while t_s - self.items[0][0] > self.window_s:
            self.counts[self.items.popleft()[1]] -= 1
        top, count = max(self.counts.items(), key=lambda kv: kv[1])
        if self.value is None or count / len(self.items) >= self.share:
            self.value = top
        return self.value
