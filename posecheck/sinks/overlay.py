"""Skeleton overlay drawn onto a frame (server-source stream, `posecheck live` window)."""

from __future__ import annotations

import numpy as np

from ..pose.landmarks import SKELETON_EDGES, Landmark
from ..pose.types import Pose

# Which joints to highlight for each fault code: the ones the fault is about.
FAULT_JOINTS: dict[str, tuple[str, ...]] = {
    "shallow_depth": ("HIP", "KNEE"), "beyond_mobility": ("HIP", "KNEE", "HEEL"),
    "heels_lifting": ("HEEL", "FOOT_INDEX", "ANKLE"), "excessive_forward_lean": ("SHOULDER", "HIP"),
    "knee_valgus": ("KNEE",), "incomplete_hip_extension": ("SHOULDER", "HIP", "KNEE"),
    "over_arching": ("HIP",), "hip_rotation": ("HIP",), "trunk_sag": ("HIP", "SHOULDER"),
    "leg_too_high": ("KNEE", "ANKLE"), "leg_too_low": ("KNEE", "ANKLE"), "arm_too_low": ("ELBOW", "WRIST"),
    "forward_head": ("EAR", "SHOULDER"), "rounded_shoulders": ("SHOULDER",), "slouched_trunk": ("SHOULDER", "HIP"),
}


def highlighted_landmarks(fault_codes) -> list[int]:
    """Landmark indices involved in the active faults (both sides)."""
    out: set[int] = set()
    for code in fault_codes:
        for joint in FAULT_JOINTS.get(code, ()):
            for side in ("LEFT", "RIGHT"):
                out.add(int(Landmark[f"{side}_{joint}"]))
    return sorted(out)


class SkeletonAnnotator:
    """Draws bones and joints; joints in `highlight` are drawn larger and in red."""

    def __init__(self, *, thickness: int = 3, min_visibility: float = 0.5) -> None:
        self.thickness = thickness
        self.min_visibility = min_visibility

    def annotate(self, image_rgb: np.ndarray, pose: Pose | None, *, highlight=()) -> np.ndarray:
        import cv2

        if pose is None:
            return image_rgb
        h, w = image_rgb.shape[:2]
        pts = (pose.xyz_norm[:, :2] * np.array([w, h])).astype(int)
        vis = pose.visibility
        scene = image_rgb
        for a, b in SKELETON_EDGES:
            if vis[int(a)] >= self.min_visibility and vis[int(b)] >= self.min_visibility:
                cv2.line(scene, tuple(pts[int(a)]), tuple(pts[int(b)]), (80, 220, 120), self.thickness, cv2.LINE_AA)
        hot = set(highlight)
        for i, (x, y) in enumerate(pts):
            if vis[i] < self.min_visibility:
                continue
            if i in hot:
                cv2.circle(scene, (int(x), int(y)), self.thickness * 3, (230, 40, 40), -1, cv2.LINE_AA)
            else:
                cv2.circle(scene, (int(x), int(y)), self.thickness + 1, (255, 255, 255), -1, cv2.LINE_AA)
        return scene
