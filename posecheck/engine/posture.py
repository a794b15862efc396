"""Sitting-posture helpers for the checker: a debounced state timeline, and a motion
test that tells someone getting up or walking from someone sitting still."""

from __future__ import annotations

from collections import deque

import numpy as np

from ..pose.geometry import torso_length_px
from ..pose.landmarks import Landmark as L
from ..pose.types import Pose
from .events import PostureSpan


class PostureTimeline:
    """Spans of upright / slouched / not_sitting / not_visible. A new state must last
    `min_state_s` before it opens a span, so a flicker does not split the timeline."""

    def __init__(self, min_state_s: float = 0.5) -> None:
        self.min_state_s = min_state_s
        self.spans: list[PostureSpan] = []
        self.state: str | None = None
        self._candidate: tuple[str, float] | None = None

    def update(self, t: float, state: str, faults: list[str]) -> str:
        if self.state is None:
            self.state = state
            self.spans.append(PostureSpan(t, t, state, list(faults)))
            return state
        span = self.spans[-1]
        if state == self.state:
            self._candidate = None
            span.end_s = t
            span.faults += [code for code in faults if code not in span.faults]
            return state
        if self._candidate is None or self._candidate[0] != state:
            self._candidate = (state, t)
        since = self._candidate[1]
        if t - since >= self.min_state_s:
            span.end_s = since
            self.state = state
            self.spans.append(PostureSpan(since, t, state, list(faults)))
            self._candidate = None
        else:
            span.end_s = t
        return self.state

    def close(self, t: float) -> None:
        if self.spans:
            self.spans[-1].end_s = t


class MotionDetector:
    """Hips travelling more than `max_speed` torso lengths a second, or the body growing
    or shrinking that fast (walking toward or away from the camera): whatever one frame's
    angles say, that person is not sitting still."""

    def __init__(self, *, window_s: float = 0.5, max_speed: float = 0.4) -> None:
        self.window_s = window_s
        self.max_speed = max_speed
        self._track: deque = deque()

    def moving(self, t: float, pose: Pose) -> bool:
        xy = pose.xy_px
        hips = (xy[int(L.LEFT_HIP)] + xy[int(L.RIGHT_HIP)]) / 2
        torso = max(torso_length_px(pose), 1.0)
        self._track.append((t, hips, torso))
        while self._track and t - self._track[0][0] > self.window_s:
            self._track.popleft()
        t0, hips0, torso0 = self._track[0]
        if t - t0 < self.window_s / 2:
            return False
        speed = float(np.linalg.norm(hips - hips0)) / torso / (t - t0)
        growth = abs(torso - torso0) / torso0 / (t - t0)
        return speed > self.max_speed or growth > self.max_speed
