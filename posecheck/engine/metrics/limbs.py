"""Limb metrics: how high the bird-dog lifts a leg and the opposite arm."""

from __future__ import annotations

from ...pose.geometry import segment_inclination_deg
from ...pose.landmarks import Landmark as L, sided
from ...pose.types import Pose
from .registry import OTHER, MetricContext, metric


def _limb_lift(ctx: MetricContext, upper: L, lower: L) -> float:
    """Elevation of a limb from hanging straight down: 0 = down, 90 = horizontal."""
    return 180.0 - segment_inclination_deg(ctx.xy(lower), ctx.xy(upper))


@metric("leg_lift_deg", "deg", plane_zero=0.0)
def leg_lift_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Bird-dog: elevation of the more lifted thigh (0 = under the hip, 90 = horizontal);
    records which leg in `ctx.extras['lifted_side']`."""
    best = None
    held = ctx.extras.get("held_side")
    for side in ("left", "right"):
        hip, knee = sided("hip", side), sided("knee", side)
        if min(pose.visibility[int(hip)], pose.visibility[int(knee)]) < ctx.min_visibility:
            continue
        lift = _limb_lift(ctx, hip, knee)
        # A lift under way keeps its leg: no one switches legs without putting the first
        # one down (which ends the lift), while a kneeling thigh that points at a high
        # camera is seen end-on and its angle in the picture can read as level.
        if side == held:
            best = (lift, side)
            break
        if best is None or lift > best[0]:
            best = (lift, side)
    if best is None:
        ctx.visible(sided("hip", ctx.side), sided("knee", ctx.side))
        return None
    ctx.extras["lifted_side"] = best[1]
    return best[0]


@metric("arm_lift_deg", "deg", plane_zero=0.0)
def arm_lift_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Bird-dog: elevation of the arm opposite the lifted leg (90 = horizontal)."""
    if "lifted_side" not in ctx.extras and leg_lift_deg(pose, ctx) is None:
        return None
    side = OTHER[str(ctx.extras["lifted_side"])]
    sh, wrist = sided("shoulder", side), sided("wrist", side)
    elbow = sided("elbow", side)
    if pose.visibility[int(wrist)] >= ctx.min_visibility:
        return _limb_lift(ctx, sh, wrist)
    if ctx.visible(sh, elbow):  # the hand often leaves the frame: the upper arm will do
        return _limb_lift(ctx, sh, elbow)
    return None
