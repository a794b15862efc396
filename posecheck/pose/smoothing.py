"""Landmark smoothing.

`OneEuroSmoother` is causal (live use): a low-pass filter whose cut-off rises with speed,
so slow drift is ironed out while fast moves keep little lag (Casiez et al., CHI 2012).
`smooth_offline` is zero-phase (forward-backward Butterworth) for recorded clips.
Neither invents landmarks: a frame without a pose stays without one, and a gap longer
than `max_gap_ms` restarts the filter instead of bridging it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from dataclasses import replace

import numpy as np

from .jitter import LandmarkJitter
from .types import Pose, PoseFrame


MIN_STEP_MS = 1.0


def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """One-Euro filter over an array of any shape (all elements share dt)."""

    def __init__(self, *, min_cutoff_hz: float, beta: float, d_cutoff_hz: float = 1.0) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    def update(self, x: np.ndarray, dt_s: float) -> np.ndarray:
        if self._x is None or dt_s <= 0:
            self._x = x.astype(np.float64)
            self._dx = np.zeros_like(self._x)
            return x
        dx = (x - self._x) / dt_s
        a_d = _alpha(self.d_cutoff_hz, dt_s)
        self._dx = a_d * dx + (1.0 - a_d) * self._dx
        cutoff = self.min_cutoff_hz + self.beta * np.abs(self._dx)
        a = _alpha(cutoff, dt_s)
        self._x = a * x + (1.0 - a) * self._x
        return self._x.astype(x.dtype)


@dataclass(frozen=True)
class SmoothingSettings:
    # Units: normalised image coordinates (0..1) per second for `image_beta`, metres per
    # second for `world_beta`. 1.5 Hz at rest removes MediaPipe's frame-to-frame jitter
    # on a still person; the betas open the filter to ~10 Hz at brisk limb speeds.
    min_cutoff_hz: float = 1.5
    image_beta: float = 8.0
    world_beta: float = 4.0
    d_cutoff_hz: float = 1.0
    max_gap_ms: float = 300.0


class OneEuroSmoother:
    """Causal smoothing stage: `update(pose) -> pose` (None passes through as None)."""

    def __init__(self, settings: SmoothingSettings | None = None) -> None:
        self.settings = settings or SmoothingSettings()
        s = self.settings
        self._image = OneEuroFilter(min_cutoff_hz=s.min_cutoff_hz, beta=s.image_beta, d_cutoff_hz=s.d_cutoff_hz)
        self._world = OneEuroFilter(min_cutoff_hz=s.min_cutoff_hz, beta=s.world_beta, d_cutoff_hz=s.d_cutoff_hz)
        self._last_ms: float | None = None
        # The raw landmarks' own scatter, for the checker's noise estimates (engine/noise.py).
        self._jitter = LandmarkJitter()

    def reset(self) -> None:
        self._image.reset()
        self._world.reset()
        self._jitter.reset()
        self._last_ms = None

    def update(self, pose: Pose | None) -> Pose | None:
        if pose is None:
            return None
        t = pose.timestamp_ms
        if self._last_ms is None or t - self._last_ms > self.settings.max_gap_ms or t <= self._last_ms:
            self.reset()
            dt_s = 0.0
        else:
            # No camera delivers frames under a millisecond apart (MediaPipe's video mode counts
            # whole ms); a shorter step would blow the derivative up to inf and the filter to NaN.
            dt_s = max(t - self._last_ms, MIN_STEP_MS) / 1000.0
        self._last_ms = t
        return replace(pose, xyz_norm=self._image.update(pose.xyz_norm, dt_s),
                       world_xyz=self._world.update(pose.world_xyz, dt_s), noise_px=self._jitter.update(pose))

    def __call__(self, frames: Iterable[PoseFrame]) -> Iterator[PoseFrame]:
        for pf in frames:
            yield PoseFrame(pf.timestamp_ms, pf.index, self.update(pf.pose), pf.frame)


def _runs(frames: Sequence[PoseFrame], max_gap_ms: float) -> list[list[int]]:
    """Indices of consecutive frames with a pose, split at gaps longer than max_gap_ms."""
    runs: list[list[int]] = []
    current: list[int] = []
    last_t = None
    for i, pf in enumerate(frames):
        if pf.pose is None:
            continue
        if current and (pf.timestamp_ms - last_t > max_gap_ms):
            runs.append(current)
            current = []
        current.append(i)
        last_t = pf.timestamp_ms
    if current:
        runs.append(current)
    return runs


def smooth_offline(frames: Sequence[PoseFrame], *, cutoff_hz: float = 6.0,
                   max_gap_ms: float = 300.0) -> list[PoseFrame]:
    """Zero-phase low-pass of a whole recording (no lag, for analysis after the fact).

    6 Hz keeps human movement (squat/bridge joint angles are well under 3 Hz) and drops
    jitter; runs too short to filter stay as they are."""
    from scipy.signal import butter, filtfilt

    out = list(frames)
    for run in _runs(frames, max_gap_ms):
        times = np.array([frames[i].timestamp_ms for i in run]) / 1000.0
        if len(run) < 16:
            continue
        fs = 1.0 / float(np.median(np.diff(times)))
        if cutoff_hz >= fs / 2:
            continue
        b, a = butter(2, cutoff_hz / (fs / 2))
        image = np.stack([frames[i].pose.xyz_norm for i in run]).astype(np.float64)
        world = np.stack([frames[i].pose.world_xyz for i in run]).astype(np.float64)
        image = filtfilt(b, a, image, axis=0)
        world = filtfilt(b, a, world, axis=0)
        for k, i in enumerate(run):
            pf = frames[i]
            pose = pf.pose.with_coords(image[k].astype(np.float32), world[k].astype(np.float32))
            out[i] = PoseFrame(pf.timestamp_ms, pf.index, pose, pf.frame)
    return out
