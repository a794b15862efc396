"""Metric functions the exercise specs refer to by name.

Each metric takes a `Pose` and a `MetricContext` and returns a float, or None when the
landmarks it needs are not visible enough (it then records which ones in
`ctx.missing`, so the checker can tell the user what is wrong with the view). Units are
in the names. 2D metrics use pixel coordinates of the upright frame; `forward` is the
direction the person faces (+1 image right), so "ahead" and "behind" are anatomical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ...pose.geometry import joint_angle_deg, segment_inclination_deg, signed_inclination_deg
from ...pose.landmarks import Landmark as L, sided
from ...pose.types import Pose

OTHER = {"left": "right", "right": "left"}


@dataclass
class MetricContext:
    """Per-frame facts shared by the metrics of one frame."""

    pose: Pose
    side: str  # the body side nearer the camera
    forward: float  # +1 facing image right, -1 facing image left
    min_visibility: float = 0.5
    missing: set[str] = field(default_factory=set)
    extras: dict[str, object] = field(default_factory=dict)  # e.g. which leg is lifted
    used: set[str] = field(default_factory=set)  # landmarks a metric looked at (noise.py)

    def visible(self, *landmarks: L) -> bool:
        ok = True
        for lm in landmarks:
            self.used.add(lm.name.lower())
            if self.pose.visibility[int(lm)] < self.min_visibility:
                self.missing.add(lm.name.lower())
                ok = False
        return ok

    def in_frame(self, *landmarks: L, margin: float = 0.05) -> bool:
        """Visible and at least `margin` (share of the frame) inside its edges: a landmark
        on the edge is half out of the picture and its position is a guess."""
        ok = self.visible(*landmarks)
        for lm in landmarks:
            x, y = self.pose.xyz_norm[int(lm)][:2]
            if not (margin <= x <= 1 - margin and margin <= y <= 1 - margin):
                self.missing.add(lm.name.lower())
                ok = False
        return ok

    def xy(self, lm: L) -> np.ndarray:
        self.used.add(lm.name.lower())
        return self.pose.xy_px[int(lm)]

    def world(self, lm: L) -> np.ndarray:
        self.used.add(lm.name.lower())
        return self.pose.world_xyz[int(lm)].astype(np.float64)


MetricFn = Callable[[Pose, MetricContext], "float | None"]


@dataclass(frozen=True)
class MetricDef:
    name: str
    fn: MetricFn
    unit: str
    doc: str
    # A 2D reading in the plane its view shows: its value for an unbent, unturned body
    # (0 for an inclination from vertical, 180 for a straight joint). Foreshortening when
    # the body is turned from that view scales its departure from this value (noise.py).
    # None: not such a reading (world coordinates, or a ratio against the person's baseline).
    plane_zero: float | None = None


METRICS: dict[str, MetricDef] = {}


def metric(name: str, unit: str, *, plane_zero: float | None = None):
    """Register a metric under `name` so specs can use it."""
    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = MetricDef(name=name, fn=fn, unit=unit, doc=(fn.__doc__ or "").strip(), plane_zero=plane_zero)
        return fn
    return register


def _leg(side: str) -> tuple[L, L, L]:
    return sided("hip", side), sided("knee", side), sided("ankle", side)


def _forward_inclination(ctx: MetricContext, top: str, bottom: str) -> float | None:
    """2D inclination of the near side's bottom->top segment ahead of vertical."""
    top_lm, bottom_lm = sided(top, ctx.side), sided(bottom, ctx.side)
    if not ctx.visible(top_lm, bottom_lm):
        return None
    return signed_inclination_deg(ctx.xy(top_lm), ctx.xy(bottom_lm), ctx.forward)


# --- squat -------------------------------------------------------------------------------

@metric("knee_flexion_deg", "deg")
def knee_flexion_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Knee bend in 3D world coordinates (0 = straight), the less bent of the visible legs:
    a squat bends both, walking bends one at a time."""
    values = []
    for side in ("left", "right"):
        hip, knee, ankle = _leg(side)
        if min(pose.visibility[int(j)] for j in (hip, knee, ankle)) >= ctx.min_visibility:
            values.append(180.0 - joint_angle_deg(ctx.world(hip), ctx.world(knee), ctx.world(ankle)))
    if not values:
        ctx.visible(*_leg(ctx.side))  # records what is missing
        return None
    return float(min(values))


# Below this visibility the model is guessing where the feet are; above it they are in
# view, even if partly hidden by a plate or a band (the barbell clips read 0.4-0.9).
FEET_SEEN = 0.3


def _leg_length(world: np.ndarray, side: str) -> float:
    """Hip-knee plus knee-ankle length of one leg in world coordinates."""
    hip, knee, ankle = (world[int(j)] for j in _leg(side))
    return float(np.linalg.norm(knee - hip) + np.linalg.norm(ankle - knee))


def _legs_seen(pose: Pose, ctx: MetricContext) -> list[str]:
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
    if not _legs_seen(pose, ctx):
        return None
    # The feet are the floor this is measured from: at least one must be seen (a person
    # walking into view from the bottom edge has guessed feet).
    if max(pose.visibility[int(L.LEFT_ANKLE)], pose.visibility[int(L.RIGHT_ANKLE)]) < FEET_SEEN:
        ctx.missing.update({"left_ankle", "right_ankle"})
        return None
    w = pose.world_xyz.astype(np.float64)
    length = max(_leg_length(w, "left"), _leg_length(w, "right"))
    if length < 1e-6:
        return None
    hip_y = (w[int(L.LEFT_HIP)][1] + w[int(L.RIGHT_HIP)][1]) / 2
    floor_y = max(w[int(L.LEFT_ANKLE)][1], w[int(L.RIGHT_ANKLE)][1])  # y points down
    return 1.0 - float(floor_y - hip_y) / length


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
    if trunk is None or not _legs_seen(pose, ctx):
        return None
    w = pose.world_xyz
    knee_y = (w[int(L.LEFT_KNEE)][1] + w[int(L.RIGHT_KNEE)][1]) / 2
    lowest_hand_y = max(w[int(L.LEFT_WRIST)][1], w[int(L.RIGHT_WRIST)][1])  # y points down
    if lowest_hand_y <= knee_y:
        return 0.0
    # A hinge keeps the hips high and the knees soft; with the hips down at squat depth and
    # the knees past a right angle it is a squat however far the trunk leans (and its lean
    # is judged as such).
    drop, knees = hip_drop_ratio(pose, ctx), knee_flexion_deg(pose, ctx)
    if drop is not None and knees is not None and drop >= SQUAT_DEPTH_DROP and knees >= SQUAT_KNEE_BEND_DEG:
        return 0.0
    return trunk


@metric("stance_split_ratio", "leg lengths")
def stance_split_ratio(pose: Pose, ctx: MetricContext) -> float | None:
    """Front-to-back distance between the ankles, in leg lengths (world): near 0 with the
    feet side by side, about 1 in a lunge. Front-to-back is across the hip line."""
    if not _legs_seen(pose, ctx):
        return None
    w = pose.world_xyz.astype(np.float64)
    across = w[int(L.LEFT_HIP)][[0, 2]] - w[int(L.RIGHT_HIP)][[0, 2]]
    norm = float(np.linalg.norm(across))
    if norm < 1e-6:
        return None
    forward = np.array([-across[1], across[0]]) / norm
    split = abs(float(np.dot(w[int(L.LEFT_ANKLE)][[0, 2]] - w[int(L.RIGHT_ANKLE)][[0, 2]], forward)))
    return split / max(_leg_length(w, ctx.side), 1e-6)


@metric("squat_depth_deg", "deg", plane_zero=0.0)
def squat_depth_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Thigh angle below the vertical in the side view: 0 standing, 90 thigh parallel to
    the floor (hip crease level with the knee), above 90 below parallel."""
    hip, knee, _ = _leg(ctx.side)
    if not ctx.visible(hip, knee):
        return None
    return 180.0 - segment_inclination_deg(ctx.xy(knee), ctx.xy(hip))


@metric("trunk_lean_deg", "deg", plane_zero=0.0)
def trunk_lean_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Trunk (hip->shoulder) inclination forward of vertical, side view."""
    return _forward_inclination(ctx, "shoulder", "hip")


@metric("shin_lean_deg", "deg", plane_zero=0.0)
def shin_lean_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Shin (ankle->knee) inclination forward of vertical, side view."""
    return _forward_inclination(ctx, "knee", "ankle")


@metric("trunk_shin_gap_deg", "deg", plane_zero=0.0)
def trunk_shin_gap_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """How much more the trunk leans forward than the shins: about 0 when the back is
    parallel to the shins (the usual cue for a balanced squat)."""
    trunk = trunk_lean_deg(pose, ctx)
    shin = shin_lean_deg(pose, ctx)
    if trunk is None or shin is None:
        return None
    return trunk - shin


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


@metric("knee_valgus_deg", "deg", plane_zero=0.0)
def knee_valgus_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Front view: frontal-plane projection angle of the knees, positive when a knee lies
    inside (medial to) its hip-ankle line; the mean of both knees. A camera turned a little
    from front-on shows the knees' forward travel in a squat as sideways travel, the same
    way for both knees (one seems to cave in, the other to bow out): in the mean of the two
    that cancels, and knees that cave in together still show. Both legs must be seen."""
    values = []
    midline_x = (ctx.xy(L.LEFT_HIP)[0] + ctx.xy(L.RIGHT_HIP)[0]) / 2
    for side in ("left", "right"):
        hip, knee, ankle = _leg(side)
        if not ctx.visible(hip, knee, ankle):
            return None
        h, k, a = ctx.xy(hip), ctx.xy(knee), ctx.xy(ankle)
        bend = 180.0 - joint_angle_deg(h, k, a)
        # Where the knee sits relative to the hip->ankle line, toward the body's midline or away.
        t = np.clip(np.dot(k - h, a - h) / max(np.dot(a - h, a - h), 1e-9), 0, 1)
        on_line = h + t * (a - h)
        inward = (abs(k[0] - midline_x) < abs(on_line[0] - midline_x))
        values.append(bend if inward else -bend)
    return float(np.mean(values))


# --- glute bridge --------------------------------------------------------------------------

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


# --- bird-dog ------------------------------------------------------------------------------

def _limb_lift(ctx: MetricContext, upper: L, lower: L) -> float:
    """Elevation of a limb from hanging straight down: 0 = down, 90 = horizontal."""
    return 180.0 - segment_inclination_deg(ctx.xy(lower), ctx.xy(upper))


@metric("leg_lift_deg", "deg", plane_zero=0.0)
def leg_lift_deg(pose: Pose, ctx: MetricContext) -> float | None:
    """Bird-dog: elevation of the more lifted thigh (0 = under the hip, 90 = horizontal);
    records which leg in `ctx.extras['lifted_side']`."""
    best = None
    for side in ("left", "right"):
        hip, knee = sided("hip", side), sided("knee", side)
        if min(pose.visibility[int(hip)], pose.visibility[int(knee)]) < ctx.min_visibility:
            continue
        lift = _limb_lift(ctx, hip, knee)
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


# The sitting metrics live in their own module; importing it registers them.
from . import sitting_head  # noqa: E402,F401
