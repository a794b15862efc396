"""Lower-body metrics: knee bend, hip drop, stance, thigh and shin angles, heel rise
and knee valgus (the squat's legs)."""

from __future__ import annotations

import numpy as np

from ...pose.geometry import joint_angle_deg, segment_inclination_deg
from ...pose.landmarks import Landmark as L, sided
from ...pose.types import Pose
from .registry import MetricContext, forward_inclination, leg, metric


@metric("knee_flexion_deg", "deg")
def knee_flexion_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Knee bend in 3D world coordinates (0 = straight), the less bent of the visible legs:
    a squat bends both, walking bends one at a time."""
    values = []
    for side in ("left", "right"):
        hip, knee, ankle = leg(side)
        if min(pose.visibility[int(j)] for j in (hip, knee, ankle)) >= ctx.min_visibility:
            values.append(180.0 - joint_angle_deg(ctx.world(hip), ctx.world(knee), ctx.world(ankle)))
    if not values:
        ctx.visible(*leg(ctx.side))  # records what is missing
        return None
    return float(min(values))


def best_seen_knee_flexion_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Knee bend (world) of the leg the camera sees best (the highest of its hip, knee and
    ankle's lowest visibility). Side-on the far leg is hidden behind the near one and its
    3D bend is a guess: the shared barbell squat reads its far knee at 82-89 deg
    (visibility 0.52-0.57) while the near knee, at 0.98-0.99, bends 103-106 deg."""
    seen = []
    for side in ("left", "right"):
        joints = leg(side)
        vis = min(pose.visibility[int(j)] for j in joints)
        if vis >= ctx.min_visibility:
            hip, knee, ankle = joints
            seen.append((vis, 180.0 - joint_angle_deg(ctx.world(hip), ctx.world(knee), ctx.world(ankle))))
    return float(max(seen)[1]) if seen else None


# Below this visibility the model is guessing where the feet are; above it they are in
# view, even if partly hidden by a plate or a band (the barbell clips read 0.4-0.9).
FEET_SEEN = 0.3


def leg_length(world: np.ndarray, side: str) -> float:
    """Hip-knee plus knee-ankle length of one leg in world coordinates."""
    hip, knee, ankle = (world[int(j)] for j in leg(side))
    return float(np.linalg.norm(knee - hip) + np.linalg.norm(ankle - knee))


def legs_seen(pose: Pose, ctx: MetricContext) -> list[str]:
    """Sides whose hip and knee the model sees (ankles may be off-frame: it estimates them)."""
    sides = [s for s in ("left", "right")
             if min(pose.visibility[int(sided("hip", s))], pose.visibility[int(sided("knee", s))]) >= ctx.min_visibility]
    if not sides:
        ctx.visible(sided("hip", ctx.side), sided("knee", ctx.side))  # records what is missing
    return sides


@metric("hip_drop_ratio", "leg lengths")
def hip_drop_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """How far the hips have come down toward the feet, in leg lengths, from world
    landmarks: 1 - (hip height above the lower ankle) / (hip-knee-ankle length). About
    0 standing, 0.4-0.7 at the bottom of a squat. World landmarks are metric and centred
    on the hips, so it reads the same from any side and at any distance. The lower ankle
    is the foot on the floor (a knee drive lifts the other); the longer leg is the one
    the model foreshortens least."""
    if not legs_seen(pose, ctx):
        return None
    # The feet are the floor this is measured from: at least one must be seen (a person
    # walking into view from the bottom edge has guessed feet).
    if max(pose.visibility[int(L.LEFT_ANKLE)], pose.visibility[int(L.RIGHT_ANKLE)]) < FEET_SEEN:
        ctx.missing.update({"left_ankle", "right_ankle"})
        return None
    w = pose.world_xyz.astype(np.float64)
    length = max(leg_length(w, "left"), leg_length(w, "right"))
    if length < 1e-6:
        return None
    hip_y = (w[int(L.LEFT_HIP)][1] + w[int(L.RIGHT_HIP)][1]) / 2
    floor_y = max(w[int(L.LEFT_ANKLE)][1], w[int(L.RIGHT_ANKLE)][1])  # y points down
    return 1.0 - float(floor_y - hip_y) / length


@metric("stance_split_ratio", "leg lengths")
def stance_split_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Front-to-back distance between the ankles, in leg lengths (world): near 0 with the
    feet side by side, about 1 in a lunge. Front-to-back is across the hip line."""
    if not legs_seen(pose, ctx):
        return None
    w = pose.world_xyz.astype(np.float64)
    across = w[int(L.LEFT_HIP)][[0, 2]] - w[int(L.RIGHT_HIP)][[0, 2]]
    norm = float(np.linalg.norm(across))
    if norm < 1e-6:
        return None
    forward = np.array([-across[1], across[0]]) / norm
    split = abs(float(np.dot(w[int(L.LEFT_ANKLE)][[0, 2]] - w[int(L.RIGHT_ANKLE)][[0, 2]], forward)))
    return split / max(leg_length(w, ctx.side), 1e-6)


@metric("squat_depth_deg", "deg", plane_zero=0.0)
def squat_depth_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Thigh angle below the vertical in the side view: 0 standing, 90 thigh parallel to
    the floor (hip crease level with the knee), above 90 below parallel."""
    hip, knee, _ = leg(ctx.side)
    if not ctx.visible(hip, knee):
        return None
    return 180.0 - segment_inclination_deg(ctx.xy(knee), ctx.xy(hip))


@metric("shin_lean_deg", "deg", plane_zero=0.0)
def shin_lean_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Shin (ankle->knee) inclination forward of vertical, side view."""
    return forward_inclination(ctx, "knee", "ankle")


@metric("heel_rise_ratio", "foot lengths", plane_zero=0.0)
def heel_rise_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Height of the heel above the toes, in foot lengths (compare with standing)."""
    heel, toe = sided("heel", ctx.side), sided("foot_index", ctx.side)
    # A foot on the frame's edge is partly cut off and its landmarks are guessed (a
    # tight crop read a 0.6 foot-length "rise" with flat heels).
    if not ctx.in_frame(heel, toe, sided("ankle", ctx.side)):
        return None
    h, t = ctx.xy(heel), ctx.xy(toe)
    foot = float(np.linalg.norm(h - t))
    if foot < 1e-6:
        return None
    return float(t[1] - h[1]) / foot


@metric("knee_separation_ratio", "ankle widths")
def knee_separation_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Front view: how far apart the knees are in the picture, as a share of how far apart
    the ankles are (the knee-to-ankle separation ratio). Knees tracking over the toes keep
    it at or above its standing value (over out-turned feet it rises as the knees travel
    forward and out); knees caving in toward each other bring it down. Two sideways
    distances at about the same depth: a camera turned a little from front-on shortens both
    alike, and the knees' forward travel moves both knees the same way, which leaves their
    separation as it was. Both legs must be seen; knees crossed read below 0."""
    lk, rk, la, ra = L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE
    if not ctx.visible(lk, rk, la, ra):
        return None
    ankles = ctx.xy(la)[0] - ctx.xy(ra)[0]
    if abs(ankles) < 1e-6:
        return None
    return float((ctx.xy(lk)[0] - ctx.xy(rk)[0]) / ankles)
