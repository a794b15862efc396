"""Pure geometry on landmarks: angles, inclinations, the side facing the camera, and the
camera view / body position classifiers that decide whether a check is possible at all.

Conventions: image coordinates have y pointing down; MediaPipe world coordinates are
metres, camera-aligned, y down, z away from the camera, origin between the hips. Angles
are in degrees. "Inclination" is the angle between a segment and the vertical (0 =
vertical). Pixel coordinates are used for 2D angles so the frame's aspect ratio does not
skew them.
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np

from .landmarks import SIDED, Landmark as L, sided
from .types import Pose

_EPS = 1e-9


class View(str, Enum):
    FRONT = "front"
    BACK = "back"
    SIDE_LEFT = "side_left"  # the person's left side faces the camera
    SIDE_RIGHT = "side_right"
    OBLIQUE = "oblique"  # three-quarter: neither side nor front checks are reliable
    UNKNOWN = "unknown"

    @property
    def is_side(self) -> bool:
        return self in (View.SIDE_LEFT, View.SIDE_RIGHT)

    @property
    def family(self) -> str:
        """'side', 'front', 'back' or the value itself: what exercise specs and labels use."""
        return "side" if self.is_side else self.value


class Position(str, Enum):
    STANDING = "standing"
    SITTING = "sitting"  # also the bottom of a deep squat: one frame cannot tell them apart
    LYING = "lying"
    ALL_FOURS = "all_fours"
    UNKNOWN = "unknown"



# --- angles -----------------------------------------------------------------------------

def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle at `b` between b->a and b->c, 2D or 3D; 180 = straight."""
    # Plain float arithmetic: this runs several times a frame, numpy's per-call overhead dominates.
    u = np.asarray(a, dtype=np.float64) - b
    v = np.asarray(c, dtype=np.float64) - b
    uu, vv, uv = float(u @ u), float(v @ v), float(u @ v)
    norms = math.sqrt(uu * vv)
    if norms < _EPS:  # two landmarks on top of each other: no angle to speak of
        return float("nan")
    return math.degrees(math.acos(max(-1.0, min(1.0, uv / norms))))


def segment_inclination_deg(top: np.ndarray, bottom: np.ndarray) -> float:
    """Angle between the segment bottom->top and straight up, in 2D image or 3D world
    coordinates (both y-down). 0 = top directly above bottom, 90 = horizontal,
    180 = top directly below."""
    v = np.asarray(top, dtype=np.float64) - bottom
    horizontal = float(np.hypot(v[0], v[2])) if v.shape[0] == 3 else abs(float(v[0]))
    return float(np.degrees(np.arctan2(horizontal, -v[1])))


def signed_inclination_deg(top: np.ndarray, bottom: np.ndarray, forward_sign: float) -> float:
    """2D inclination from vertical, positive when `top` lies ahead of `bottom` in the
    direction the person faces (`forward_sign` +1 = image right)."""
    v = np.asarray(top, dtype=np.float64) - bottom
    return float(np.degrees(np.arctan2(v[0] * forward_sign, -v[1])))


def midpoint(pose_xy: np.ndarray, a: L, b: L) -> np.ndarray:
    return (pose_xy[int(a)] + pose_xy[int(b)]) / 2.0


def torso_length_px(pose: Pose) -> float:
    xy = pose.xy_px
    return float(np.linalg.norm(midpoint(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
                                - midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)))


# --- which side, which way --------------------------------------------------------------

_SIDE_JOINTS = ("shoulder", "hip", "knee", "ankle", "elbow")
_LEFT_IDX = np.array([int(SIDED[j][0]) for j in _SIDE_JOINTS])
_RIGHT_IDX = np.array([int(SIDED[j][1]) for j in _SIDE_JOINTS])


def near_side(pose: Pose) -> str:
    """'left' or 'right': the body side nearer the camera (smaller world z; MediaPipe's
    visibility for the far side is often high because the model fills it in)."""
    z = pose.world_xyz[:, 2]
    score = float(z[_LEFT_IDX].sum() - z[_RIGHT_IDX].sum()) / len(_LEFT_IDX)  # < 0: left nearer
    if abs(score) < 0.02:  # depth cannot tell: fall back on visibility
        vis = pose.visibility
        score = float(vis[_RIGHT_IDX].sum() - vis[_LEFT_IDX].sum())
    return "left" if score < 0 else "right"


def forward_sign(pose: Pose) -> float:
    """+1 when the person faces image right, -1 when image left (side views): from the
    feet (toes ahead of heels) when they are visible, else from the nose against the ears."""
    xy = pose.xy_px
    vis = pose.visibility
    feet = [(L.LEFT_FOOT_INDEX, L.LEFT_HEEL), (L.RIGHT_FOOT_INDEX, L.RIGHT_HEEL)]
    dx = [xy[int(t)][0] - xy[int(h)][0] for t, h in feet if min(vis[int(t)], vis[int(h)]) > 0.5]
    if dx and abs(np.mean(dx)) > 0.05 * torso_length_px(pose):
        return 1.0 if np.mean(dx) > 0 else -1.0
    ears = midpoint(xy, L.LEFT_EAR, L.RIGHT_EAR)
    return 1.0 if xy[int(L.NOSE)][0] >= ears[0] else -1.0


# --- view and body position -------------------------------------------------------------

# Yaw of the shoulder and hip lines in world coordinates: 0 deg when they run across the
# image (front/back), 90 deg when they point at the camera (side). Between the two bands
# the person stands three-quarter on and neither kind of check is reliable.
SIDE_MIN_YAW_DEG = 50.0
FRONT_MAX_YAW_DEG = 30.0


def body_yaw_deg(pose: Pose) -> float:
    w = pose.world_xyz.astype(np.float64)
    yaws = []
    for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP)):
        d = w[int(a)] - w[int(b)]
        yaws.append(np.degrees(np.arctan2(abs(d[2]), abs(d[0]) + _EPS)))
    return float(np.mean(yaws))


def classify_view(pose: Pose, yaw_deg: float | None = None) -> View:
    """The view from the body's yaw (`yaw_deg` when the caller has it already)."""
    core = [L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]
    if min(pose.visibility[int(j)] for j in core) < 0.3 and max(pose.visibility[int(j)] for j in core) < 0.6:
        return View.UNKNOWN
    yaw = body_yaw_deg(pose) if yaw_deg is None else yaw_deg
    if yaw >= SIDE_MIN_YAW_DEG:
        return View.SIDE_LEFT if near_side(pose) == "left" else View.SIDE_RIGHT
    if yaw <= FRONT_MAX_YAW_DEG:
        w = pose.world_xyz
        nose_ahead = w[int(L.NOSE)][2] < (w[int(L.LEFT_SHOULDER)][2] + w[int(L.RIGHT_SHOULDER)][2]) / 2
        return View.FRONT if nose_ahead else View.BACK
    return View.OBLIQUE


def _down_inclination(w: np.ndarray, upper: L, lower: L) -> float:
    """Inclination of upper->lower from straight down: 0 = lower directly below upper."""
    return 180.0 - segment_inclination_deg(w[int(lower)], w[int(upper)])


def classify_position(pose: Pose) -> Position:
    """Standing / sitting / lying / all fours from world-coordinate segment angles, so
    the answer does not depend on where the camera stands (it assumes a level camera)."""
    w = pose.world_xyz.astype(np.float64)
    shoulders = (w[int(L.LEFT_SHOULDER)] + w[int(L.RIGHT_SHOULDER)]) / 2
    hips = (w[int(L.LEFT_HIP)] + w[int(L.RIGHT_HIP)]) / 2
    trunk = segment_inclination_deg(shoulders, hips)
    # The far leg is often hidden and the model then guesses it: judge the legs it can see.
    legs = [s for s in ("left", "right") if pose.visibility[int(sided("knee", s))] >= 0.3] or \
        [max(("left", "right"), key=lambda s: pose.visibility[int(sided("knee", s))])]
    thighs = [_down_inclination(w, sided("hip", s), sided("knee", s)) for s in legs]
    arms = [_down_inclination(w, sided("shoulder", s), sided("wrist", s)) for s in ("left", "right")]
    knees = [joint_angle_deg(w[int(sided("hip", s))], w[int(sided("knee", s))], w[int(sided("ankle", s))])
             for s in legs]
    if trunk >= 55.0:
        # Trunk near horizontal: supported on knees and hands, or lying.
        if min(thighs) <= 45.0 and min(arms) <= 45.0:
            return Position.ALL_FOURS
        return Position.LYING
    if trunk <= 35.0 and max(thighs) <= 35.0 and min(knees) >= 140.0:
        return Position.STANDING
    if trunk <= 50.0 and min(thighs) >= 45.0:  # thighs forward, hips about knee height
        return Position.SITTING
    return Position.UNKNOWN


def legs_in_picture(pose: Pose, margin: float = 0.03) -> bool:
    """Is at least one knee inside the picture? Outside it the model guesses the legs,
    and a position read from them is no evidence of sitting or standing."""
    for knee in (L.LEFT_KNEE, L.RIGHT_KNEE):
        x, y = pose.xyz_norm[int(knee)][:2]
        if margin <= x <= 1 - margin and margin <= y <= 1 - margin:
            return True
    return False


def describe_pose(pose: Pose) -> dict:
    """A small dict for printing: view, position, near side, body yaw."""
    return {"view": classify_view(pose).value, "position": classify_position(pose).value,
            "near_side": near_side(pose), "yaw_deg": round(body_yaw_deg(pose), 1)}
