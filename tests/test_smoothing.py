"""Smoothing: jitter goes down, nothing is invented across gaps, offline filter has no lag."""

from __future__ import annotations

import numpy as np

from posecheck.pose.smoothing import OneEuroSmoother, smooth_offline
from posecheck.pose.types import Pose, PoseFrame

from .factories import make_pose


def _still_pose_with_noise(rng, t_ms: float, sigma: float = 0.004) -> Pose:
    base = make_pose({}, timestamp_ms=t_ms)
    noisy = base.xyz_norm + rng.normal(0, sigma, base.xyz_norm.shape).astype(np.float32)
    return base.with_coords(noisy, base.world_xyz)


def test_one_euro_removes_most_jitter_on_a_still_person():
    rng = np.random.default_rng(0)
    smoother = OneEuroSmoother()
    raw, smooth = [], []
    for i in range(150):
        pose = _still_pose_with_noise(rng, i * 33.3)
        raw.append(pose.xyz_norm[:, 0])
        smooth.append(smoother.update(pose).xyz_norm[:, 0])
    raw_jitter = np.std(np.diff(np.array(raw[30:]), axis=0))
    smooth_jitter = np.std(np.diff(np.array(smooth[30:]), axis=0))
    assert smooth_jitter < raw_jitter / 4


def test_one_euro_follows_a_fast_move_with_little_lag():
    smoother = OneEuroSmoother()
    out = []
    for i in range(60):  # 0.5 normalised units per second: a brisk squat
        pose = make_pose({}, timestamp_ms=i * 33.3)
        moved = pose.xyz_norm.copy()
        moved[:, 1] += 0.5 * i * 0.0333
        out.append(smoother.update(pose.with_coords(moved, pose.world_xyz)).xyz_norm[0, 1] - pose.xyz_norm[0, 1])
    truth = 0.5 * 59 * 0.0333
    assert abs(out[-1] - truth) < 0.02  # under 2% of the frame behind


def test_missing_pose_stays_missing_and_long_gap_restarts_the_filter():
    smoother = OneEuroSmoother()
    first = make_pose({}, timestamp_ms=0)
    smoother.update(first)
    assert smoother.update(None) is None
    jumped = first.xyz_norm + 0.3
    after_gap = make_pose({}, timestamp_ms=2000).with_coords(jumped, first.world_xyz)
    out = smoother.update(after_gap)
    assert np.allclose(out.xyz_norm, jumped), "a pose after a 2 s gap must not be pulled to the old one"


def test_offline_filter_has_no_lag_and_keeps_gaps():
    frames = []
    for i in range(120):
        t = i * 33.3
        pose = None
        if not 50 <= i < 70:  # a 0.66 s gap without a person
            base = make_pose({}, timestamp_ms=t)
            moved = base.xyz_norm.copy()
            moved[:, 1] += 0.1 * np.sin(2 * np.pi * 0.5 * t / 1000)
            pose = base.with_coords(moved, base.world_xyz)
        frames.append(PoseFrame(t, i, pose))
    out = smooth_offline(frames)
    assert [f.pose is None for f in out] == [f.pose is None for f in frames]
    peak_in = int(np.argmax([f.pose.xyz_norm[0, 1] if f.pose else -1 for f in frames[:50]]))
    peak_out = int(np.argmax([f.pose.xyz_norm[0, 1] if f.pose else -1 for f in out[:50]]))
    assert abs(peak_in - peak_out) <= 1
