"""`make_pose`: a Pose from a few named joint positions (the rest filled in sensibly)."""

from __future__ import annotations

import numpy as np

from posecheck.pose.landmarks import NUM_LANDMARKS, Landmark
from posecheck.pose.types import Pose


def make_pose(joints_world: dict[Landmark, tuple[float, float, float]], *, timestamp_ms: float = 0.0,
              resolution_wh=(1000, 1000), visibility: float = 0.99, scale_px: float = 300.0,
              centre_px=(500.0, 500.0)) -> Pose:
    """World positions in metres (y down, z away from the camera); image positions are
    a pinhole-free orthographic projection of them around `centre_px`."""
    world = np.zeros((NUM_LANDMARKS, 3), dtype=np.float32)
    for lm, xyz in joints_world.items():
        world[int(lm)] = xyz
    w, h = resolution_wh
    xyz_norm = np.zeros((NUM_LANDMARKS, 3), dtype=np.float32)
    xyz_norm[:, 0] = (centre_px[0] + world[:, 0] * scale_px) / w
    xyz_norm[:, 1] = (centre_px[1] + world[:, 1] * scale_px) / h
    xyz_norm[:, 2] = world[:, 2]
    vis = np.full(NUM_LANDMARKS, visibility, dtype=np.float32)
    return Pose(xyz_norm=xyz_norm, visibility=vis, world_xyz=world, timestamp_ms=timestamp_ms,
                resolution_wh=resolution_wh)
