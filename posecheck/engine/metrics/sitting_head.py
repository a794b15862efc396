"""Head and sitting-posture metrics: which way the face points lying down; side-view
head and shoulder alignment and trunk length, front-view (webcam) ratios against a
baseline, and the head's pitch, which tells looking down at a phone or keyboard from a
forward head."""

from __future__ import annotations

import numpy as np

from ...pose.landmarks import Landmark as L, sided
from ...pose.types import Pose
from .registry import MetricContext, forward_inclination, metric
from .trunk_hips import trunk_lean_deg


@metric("face_up_ratio", "torso lengths")
def face_up_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Which way the face points, lying down: how far the nose is above the ears in the
    picture, in torso lengths. Lying on the back the face points up (the nose above the
    ears, or level with them when the head is turned to the camera); face down (a push-up,
    a plank) the nose hangs below the ears."""
    ears = [lm for lm in (L.LEFT_EAR, L.RIGHT_EAR) if ctx.visible(lm)]
    if not ears or not ctx.visible(L.NOSE) or not ctx.visible(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP,
                                                                 L.RIGHT_HIP):
        return None
    xy = ctx.pose.xy_px
    ear_y = float(np.mean([xy[int(lm)][1] for lm in ears]))
    shoulders = (xy[int(L.LEFT_SHOULDER)] + xy[int(L.RIGHT_SHOULDER)]) / 2
    hips = (xy[int(L.LEFT_HIP)] + xy[int(L.RIGHT_HIP)]) / 2
    torso = float(np.hypot(*(hips - shoulders)))
    return (ear_y - float(xy[int(L.NOSE)][1])) / torso if torso > 1e-6 else None


@metric("head_forward_deg", "deg", plane_zero=0.0)
def head_forward_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Side view: the shoulder->ear line's inclination ahead of vertical (the complement
    of the craniovertebral angle, with the shoulder standing in for C7)."""
    return forward_inclination(ctx, "ear", "shoulder")


@metric("shoulder_ahead_deg", "deg", plane_zero=0.0)
def shoulder_ahead_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Side view: how far the shoulder sits ahead of the hip's plumb line, as the
    hip->shoulder inclination (0 = shoulder over hip, Kendall's ideal alignment)."""
    return trunk_lean_deg(pose, ctx)


@metric("trunk_length_ratio", "ratio")
def trunk_length_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Shoulder-hip distance over the thigh length (both in 2D): shrinks as the spine
    flexes and the shoulders drop; compared with the person's upright baseline."""
    sh, hip, knee = sided("shoulder", ctx.side), sided("hip", ctx.side), sided("knee", ctx.side)
    if not ctx.visible(sh, hip, knee):
        return None
    thigh = float(np.linalg.norm(ctx.xy(knee) - ctx.xy(hip)))
    return float(np.linalg.norm(ctx.xy(sh) - ctx.xy(hip))) / max(thigh, 1e-6)


@metric("neck_drop_ratio", "ratio")
def neck_drop_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Front view: vertical ear-to-shoulder distance over shoulder width; drops when the
    head pokes forward and down or the shoulders hunch (compare with baseline). The
    shoulders must be inside the picture, not on its edge."""
    if not ctx.in_frame(L.LEFT_EAR, L.RIGHT_EAR, L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
        return None
    ears = (ctx.xy(L.LEFT_EAR) + ctx.xy(L.RIGHT_EAR)) / 2
    shoulders = (ctx.xy(L.LEFT_SHOULDER) + ctx.xy(L.RIGHT_SHOULDER)) / 2
    width = float(np.linalg.norm(ctx.xy(L.LEFT_SHOULDER) - ctx.xy(L.RIGHT_SHOULDER)))
    return float(shoulders[1] - ears[1]) / max(width, 1e-6)


@metric("head_size_ratio", "ratio")
def head_size_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Front view: ear-to-ear distance over shoulder width; grows as the head comes
    toward the screen and as the shoulders roll in (compare with baseline)."""
    if not ctx.in_frame(L.LEFT_EAR, L.RIGHT_EAR, L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
        return None
    head = float(np.linalg.norm(ctx.xy(L.LEFT_EAR) - ctx.xy(L.RIGHT_EAR)))
    width = float(np.linalg.norm(ctx.xy(L.LEFT_SHOULDER) - ctx.xy(L.RIGHT_SHOULDER)))
    return head / max(width, 1e-6)


@metric("head_pitch_ratio", "ratio")
def head_pitch_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Front view: how far the nose sits below the line between the ears, over the
    ear-to-ear distance; grows as the head pitches down (looking at a phone or the
    keyboard), hardly changes with a forward head that keeps the gaze level."""
    if not ctx.in_frame(L.NOSE, L.LEFT_EAR, L.RIGHT_EAR):
        return None
    ears = (ctx.xy(L.LEFT_EAR) + ctx.xy(L.RIGHT_EAR)) / 2
    head = float(np.linalg.norm(ctx.xy(L.LEFT_EAR) - ctx.xy(L.RIGHT_EAR)))
    return float(ctx.xy(L.NOSE)[1] - ears[1]) / max(head, 1e-6)
