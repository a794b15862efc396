"""Trunk and hip metrics: trunk inclination and lean, the hip hinge, trunk against
shins, hip extension and lift (the bridge), pelvic roll and trunk tilt (all fours)."""

from __future__ import annotations

import numpy as np

from ...pose.geometry import joint_angle_deg, segment_inclination_deg
from ...pose.landmarks import Landmark as L, sided
from ...pose.types import Pose
from .lower_body import best_seen_knee_flexion_deg, hip_drop_ratio, legs_seen, shin_lean_deg
from .registry import MetricContext, forward_inclination, metric


@metric("trunk_incline_deg", "deg")
def trunk_incline_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Trunk (mid-hip -> mid-shoulder) from vertical in world coordinates, any view:
    0 upright, 90 horizontal."""
    if not (ctx.visible(L.LEFT_HIP, L.RIGHT_HIP) or ctx.visible(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)):
        return None
    w = pose.world_xyz.astype(np.float64)
    shoulders = (w[int(L.LEFT_SHOULDER)] + w[int(L.RIGHT_SHOULDER)]) / 2
    hips = (w[int(L.LEFT_HIP)] + w[int(L.RIGHT_HIP)]) / 2
    return segment_inclination_deg(shoulders, hips)


# See hinge_reach_deg and the squat spec's hinge condition for the evidence.
SQUAT_DEPTH_DROP = 0.40  # the squat spec's default depth target, in leg lengths
SQUAT_KNEE_BEND_DEG = 90.0  # a right angle at the knee


@metric("hinge_reach_deg", "deg")
def hinge_reach_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Trunk inclination (world, any view) while a hand reaches below the knees, else 0:
    high when the trunk folds toward a bar, a bottle or a kettlebell on the floor (a hip
    hinge), 0 whenever the hands stay at the chest, on the hips, forward or on a bar
    across the back, however far the trunk leans."""
    trunk = trunk_incline_deg(pose, ctx)
    legs = legs_seen(pose, ctx)
    if trunk is None or not legs:
        return None
    # A hand or knee the camera sees is better evidence than one the model guesses (under a
    # barbell the Tasks model put a hidden wrist at the shins while the seen one was on the
    # bar). With no hand seen, the guesses are all there is: a deadlift's hands can hide
    # behind the plates.
    w, seen = pose.world_xyz, pose.visibility >= ctx.min_visibility
    hands = [w[int(sided("wrist", s))][1] for s in ("left", "right") if seen[int(sided("wrist", s))]] \
        or [w[int(L.LEFT_WRIST)][1], w[int(L.RIGHT_WRIST)][1]]
    knee_y = float(np.mean([w[int(sided("knee", s))][1] for s in legs]))
    if max(hands) <= knee_y:  # y points down
        return 0.0
    # A hinge keeps the hips high and the knees soft; with the hips down at squat depth and
    # the knees past a right angle it is a squat however far the trunk leans (and its lean
    # is judged as such). The knee is the better-seen one: the far knee of a side view is a
    # guess that a hinge's soft knees do not need (the hips' height already separates them).
    drop, knees = hip_drop_ratio(pose, ctx), best_seen_knee_flexion_deg(pose, ctx)
    if drop is not None and knees is not None and drop >= SQUAT_DEPTH_DROP and knees >= SQUAT_KNEE_BEND_DEG:
        return 0.0
    return trunk


@metric("trunk_lean_deg", "deg", plane_zero=0.0)
def trunk_lean_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Trunk (hip->shoulder) inclination forward of vertical, side view."""
    return forward_inclination(ctx, "shoulder", "hip")


@metric("trunk_shin_gap_deg", "deg", plane_zero=0.0)
def trunk_shin_gap_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """How much more the trunk leans forward than the shins: about 0 when the back is
    parallel to the shins (the usual cue for a balanced squat)."""
    trunk = trunk_lean_deg(pose, ctx)
    shin = shin_lean_deg(pose, ctx)
    if trunk is None or shin is None:
        return None
    return trunk - shin


@metric("hip_extension_deg", "deg", plane_zero=180.0)
def hip_extension_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Shoulder-hip-knee angle in the side view, 180 = straight line; above 180 when the
    hips are pushed up past the shoulder-knee line (arching)."""
    sh, hip, knee = sided("shoulder", ctx.side), sided("hip", ctx.side), sided("knee", ctx.side)
    if not ctx.visible(sh, hip, knee):
        return None
    s, h, k = ctx.xy(sh), ctx.xy(hip), ctx.xy(knee)
    angle = joint_angle_deg(s, h, k)
    # Arched when the hip lies above (smaller y than) the shoulder->knee line.
    if abs(k[0] - s[0]) < 1e-6:
        return angle
    line_y_at_hip = s[1] + (k[1] - s[1]) * (h[0] - s[0]) / (k[0] - s[0])
    return 360.0 - angle if h[1] < line_y_at_hip else angle


@metric("hip_lift_ratio", "torso lengths")
def hip_lift_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Bridge: how far the hips are lifted above the floor line (from the shoulders to
    the foot on the floor: the lower ankle in the picture), in torso lengths. About 0
    lying, 0.25-0.4 at the top of a bridge, whether the feet are near the hips or far
    (heel bridges), one leg is raised or the camera is three-quarter on: the knees play
    no part in it."""
    if not (ctx.visible(L.LEFT_HIP, L.RIGHT_HIP) and ctx.visible(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)):
        return None
    xy = ctx.pose.xy_px
    shoulders = (xy[int(L.LEFT_SHOULDER)] + xy[int(L.RIGHT_SHOULDER)]) / 2
    hips = (xy[int(L.LEFT_HIP)] + xy[int(L.RIGHT_HIP)]) / 2
    left, right = xy[int(L.LEFT_ANKLE)], xy[int(L.RIGHT_ANKLE)]
    foot = left if left[1] > right[1] else right  # y points down: the lower one is on the floor
    floor = foot - shoulders
    length = float(np.hypot(*floor))
    torso = float(np.hypot(*(hips - shoulders)))
    if length < 1e-6 or torso < 1e-6:
        return None
    up = np.array([floor[1], -floor[0]]) / length  # normal to the floor line...
    if up[1] > 0:  # ...pointing up in the picture
        up = -up
    return float(np.dot(hips - shoulders, up)) / torso


@metric("pelvic_roll_deg", "deg")
def pelvic_roll_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Tilt of the left-right hip line out of the horizontal (world coordinates): the
    pelvis opening toward the lifted leg."""
    if not ctx.visible(L.LEFT_HIP, L.RIGHT_HIP):
        return None
    d = ctx.world(L.LEFT_HIP) - ctx.world(L.RIGHT_HIP)
    return float(np.degrees(np.arcsin(min(1.0, abs(d[1]) / max(float(np.linalg.norm(d)), 1e-9)))))


@metric("trunk_tilt_deg", "deg", plane_zero=0.0)
def trunk_tilt_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Side view on all fours: hip height relative to the shoulders, as the angle of the
    shoulder->hip line above horizontal (negative when the hips sit lower)."""
    sh, hip = sided("shoulder", ctx.side), sided("hip", ctx.side)
    if not ctx.visible(sh, hip):
        return None
    s, h = ctx.xy(sh), ctx.xy(hip)
    return float(np.degrees(np.arctan2(s[1] - h[1], abs(h[0] - s[0]) + 1e-9)))
