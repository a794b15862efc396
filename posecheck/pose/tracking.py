"""Who is being tracked, and how: `Majority` steadies labels that flicker frame to frame
(view, position, side); `SwitchDetector` notices a jump to another person.

Who is being tracked: the pose model follows one person, and when someone else comes
closer, or the video cuts to another shot, it jumps to them without saying so. Within
a third of a second a person's hips move at most ~0.4 m (the drop of the fastest
squat), under one torso length: a jump of 1.5 torso lengths is another person or a
cut. The torso is its longest of late (leaning forward, turning and occlusion only ever
shorten it on screen), halving every 4 s as a person walking away would.
The window spans a few frames because the model and the smoother spread a jump over
them. (Size changes are no test: a squat leaning toward the camera changes the torso's
size on screen by as much as a cut between two people of a similar build.)

Someone beside you is closer than that: two people side by side stand about a body
width apart (~0.8 torso lengths), and on the shared clips single people's hips moved up
to 1.2 torso lengths in 0.3 s of a fast squat (1.47 with a barbell plate hiding the
trunk), so no distance alone tells them apart. What gives the switch away is how the
model changes person: it loses the one it tracks (a frame without a pose), searches the
whole picture again and may find the other one. So someone found within a second of a
dropout is another person when their torso centre is further from where the lost one
was than 0.4 torso lengths plus 3 torso lengths a second (~1.5 m/s, a brisk walk, faster
than a trunk moves in any exercise here) for the time in between plus three times the
torso landmarks' own scatter in the clip; checked for 0.3 s after the finding, as the
smoother spreads the jump. On the shared clips, single people found again stayed 0.14
torso lengths or more inside that allowance even without its 0.4, and people switched
to (cuts, and each of the two people of a kaiakol two-person clip covered up in turn)
were 0.58 or more beyond it without the 0.4. A track younger than 0.3 s is not
compared: the model's first frames are often wrong. Not caught: the model on the wrong
person from the first frame, or sliding from one person to the other without losing
either (no jump in either case)."""

from __future__ import annotations

import math
from collections import Counter, deque

from .geometry import torso_length_px
from .landmarks import Landmark as L
from .types import Pose

WINDOW_S = 0.3
MAX_SHIFT_TORSOS = 1.5
SIZE_HALF_LIFE_S = 4.0  # halving on screen takes doubling the distance: from 2 m, 4 s at a stroll
# Found again after a dropout (see above).
MAX_GAP_S = 1.0  # unseen longer than this, whatever was under way has ended anyway (Checker.gap_tolerance_s)
SETTLE_S = 0.3
SIDE_BY_SIDE_TORSOS = 0.4
MAX_SPEED_TORSOS_S = 3.0
# The page hides the skeleton this long after a switch: it slides from one person to the other.
SKELETON_HIDDEN_S = 1.0


class SwitchDetector:
    """A few arithmetic operations a frame."""

    def __init__(self) -> None:
        self._recent: deque[tuple[float, float, float]] = deque()  # t, hip centre x, y
        self._size, self._size_t = 1.0, 0.0  # the person's longest torso of late (px), and when
        self._last: tuple[float, float, float] | None = None  # t, torso centre x, y; None after a dropout
        self._track_start = 0.0  # when the unbroken run of poses began
        self._lost: tuple[float, float, float, float] | None = None  # t, x, y, size of the person lost
        self._found_s = 0.0  # when someone was found after the dropout

    def switched(self, t: float, pose: Pose | None) -> bool:
        """True when this pose is not the person of a moment ago (call it for frames
        without a pose too: a switch follows a dropout)."""
        if pose is None:
            if self._last is not None:  # the track broke here
                lt, x, y = self._last
                self._lost = (lt, x, y, self._size) if lt - self._track_start >= SETTLE_S else None
                self._last = None
            return False
        xy = pose.xy_px
        hx, hy = (float(v) for v in (xy[int(L.LEFT_HIP)] + xy[int(L.RIGHT_HIP)]) / 2)
        sx, sy = (float(v) for v in (xy[int(L.LEFT_SHOULDER)] + xy[int(L.RIGHT_SHOULDER)]) / 2)
        cx, cy = (hx + sx) / 2, (hy + sy) / 2
        torso = max(torso_length_px(pose), 1.0)
        # Leaning, turning and occlusion only ever shorten a torso on screen: the size is its longest of late.
        self._size = max(torso, self._size * 0.5 ** (max(t - self._size_t, 0.0) / SIZE_HALF_LIFE_S))
        self._size_t = t
        if self._last is None:  # found (again)
            self._track_start = self._found_s = t
            if self._lost is not None and t - self._lost[0] > MAX_GAP_S:
                self._lost = None
        self._last = (t, cx, cy)
        while self._recent and t - self._recent[0][0] > WINDOW_S:
            self._recent.popleft()
        jump = any(math.hypot(hx - x0, hy - y0) > MAX_SHIFT_TORSOS * self._size for _, x0, y0 in self._recent)
        if not jump and self._lost is not None:
            lt, x0, y0, size = self._lost
            if t - self._found_s > WINDOW_S:
                self._lost = None
            else:
                allowed = SIDE_BY_SIDE_TORSOS + MAX_SPEED_TORSOS_S * (t - lt)
                jump = math.hypot(cx - x0, cy - y0) > allowed * max(size, self._size) + _scatter_px(pose)
        if jump:  # the new person is the reference from now on
            self._recent.clear()
            self._lost = None
            self._track_start = t
            self._size = torso
        self._recent.append((t, hx, hy))
        return jump


_TORSO = [int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER), int(L.LEFT_HIP), int(L.RIGHT_HIP)]


def _scatter_px(pose: Pose) -> float:
    """Three times the torso landmarks' own frame-to-frame scatter in this clip (jitter.py):
    a jump the model's jitter could make is no jump."""
    return 0.0 if pose.noise_px is None else 3.0 * float(max(pose.noise_px[_TORSO]))


def skeleton_hidden(switch_times: list[float], t: float) -> bool:
    """Just after a switch of person: the drawn skeleton is sliding between two people."""
    return bool(switch_times) and 0.0 <= t - switch_times[-1] < SKELETON_HIDDEN_S


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
