"""A kinematic stick model that emits MediaPipe-format landmark sequences with known
ground truth (depth, lean, heel lift, knee valgus, hip extension, leg lift, pelvic roll,
head and shoulder position), plus noise, jitter and occlusion. Unit tests use it for
exact expectations; `python -m posecheck.pose.synthetic samples/` writes demo recordings.

The body is posed in a sagittal frame (forward f, up u, lateral l; metres, l > 0 is the
body's left) and projected for a side camera (left or right side nearer) or a front
camera, into world coordinates (origin between the hips, y down, z away from the camera)
and normalised image coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .landmarks import NUM_LANDMARKS, Landmark as L
from .types import Pose, PoseFrame, VideoInfo

SHANK, THIGH, TRUNK, NECK, UPPER_ARM, FOREARM = 0.43, 0.45, 0.50, 0.22, 0.30, 0.27
HIP_HALF, SHOULDER_HALF, HEAD_HALF = 0.10, 0.19, 0.08


def _dir(deg_from_up: float) -> np.ndarray:
    """Unit vector in the (f, u) plane, `deg_from_up` degrees forward of straight up."""
    r = math.radians(deg_from_up)
    return np.array([math.sin(r), math.cos(r)])


@dataclass
class Body:
    """Sagittal (f, u) positions of one side's joints, with lateral offsets for each side."""

    joints: dict[str, np.ndarray]  # name -> (f, u) shared by both sides unless overridden
    left: dict[str, np.ndarray] | None = None  # per-side overrides
    right: dict[str, np.ndarray] | None = None
    knee_in_m: float = 0.0  # medial knee shift (valgus), front view
    pelvis_roll_m: float = 0.0  # height added to the left hip (negative: right hip higher)
    arms_forward: bool = True
    shoulder_in_m: float = 0.0  # each shoulder drawn in toward the midline (rounded, protracted)

    def point(self, name: str, side: str) -> np.ndarray:
        over = self.left if side == "left" else self.right
        fu = (over or {}).get(name, self.joints[name])
        half = {"shoulder": SHOULDER_HALF, "elbow": SHOULDER_HALF, "wrist": SHOULDER_HALF,
                "ear": HEAD_HALF, "eye": HEAD_HALF * 0.6}.get(name, HIP_HALF)
        lateral = half if side == "left" else -half
        if name == "knee":
            lateral -= math.copysign(self.knee_in_m, lateral)
        if name == "shoulder":
            lateral -= math.copysign(self.shoulder_in_m, lateral)
        up = fu[1]
        if name == "hip":
            up += self.pelvis_roll_m / 2 if side == "left" else -self.pelvis_roll_m / 2
        return np.array([fu[0], up, lateral])


_NAMES = {
    "shoulder": (L.LEFT_SHOULDER, L.RIGHT_SHOULDER), "elbow": (L.LEFT_ELBOW, L.RIGHT_ELBOW),
    "wrist": (L.LEFT_WRIST, L.RIGHT_WRIST), "hip": (L.LEFT_HIP, L.RIGHT_HIP),
    "knee": (L.LEFT_KNEE, L.RIGHT_KNEE), "ankle": (L.LEFT_ANKLE, L.RIGHT_ANKLE),
    "heel": (L.LEFT_HEEL, L.RIGHT_HEEL), "toe": (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX),
    "ear": (L.LEFT_EAR, L.RIGHT_EAR), "eye": (L.LEFT_EYE, L.RIGHT_EYE),
}


def body_to_pose(body: Body, *, view: str, t_ms: float, index: int, resolution_wh=(1280, 720),
                 rng: np.random.Generator | None = None, noise_px: float = 0.0,
                 hidden: tuple[L, ...] = ()) -> Pose:
    """Project a body for a camera `view`: side_left / side_right (that side nearer the
    camera), front or back."""
    flu = np.zeros((NUM_LANDMARKS, 3))
    for name, (lm_left, lm_right) in _NAMES.items():
        flu[int(lm_left)] = body.point(name, "left")
        flu[int(lm_right)] = body.point(name, "right")
    for lm, name in ((L.LEFT_EYE_INNER, "eye"), (L.LEFT_EYE_OUTER, "eye"), (L.MOUTH_LEFT, "eye")):
        flu[int(lm)] = body.point(name, "left")
    for lm, name in ((L.RIGHT_EYE_INNER, "eye"), (L.RIGHT_EYE_OUTER, "eye"), (L.MOUTH_RIGHT, "eye")):
        flu[int(lm)] = body.point(name, "right")
    nose = body.joints["nose"]
    flu[int(L.NOSE)] = [nose[0], nose[1], 0.0]
    for side, (pinky, index_, thumb) in (("left", (L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)),
                                         ("right", (L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB))):
        wrist = body.point("wrist", side)
        for lm in (pinky, index_, thumb):
            flu[int(lm)] = wrist
    f, u, lat = flu[:, 0], flu[:, 1], flu[:, 2]
    if view == "side_left":  # facing image right, body's left nearer the camera
        world = np.stack([f, -u, -lat], axis=1)
    elif view == "side_right":  # facing image left, body's right nearer
        world = np.stack([-f, -u, lat], axis=1)
    elif view == "front":  # facing the camera: the body's left is on image right
        world = np.stack([lat, -u, -f], axis=1)
    elif view == "back":  # facing away: the body's left is on image left
        world = np.stack([-lat, -u, f], axis=1)
    else:
        raise ValueError(f"unknown view {view}")
    hips = (world[int(L.LEFT_HIP)] + world[int(L.RIGHT_HIP)]) / 2
    w, h = resolution_wh
    scale_px = 0.8 * h / 1.9
    centre = np.array([w / 2, h * 0.55])
    image_px = centre + (world[:, :2] - hips[:2]) * scale_px
    world = world - hips
    if rng is not None and noise_px > 0:
        image_px = image_px + rng.normal(0, noise_px, image_px.shape)
    xyz = np.zeros((NUM_LANDMARKS, 3), dtype=np.float32)
    xyz[:, 0] = image_px[:, 0] / w
    xyz[:, 1] = image_px[:, 1] / h
    xyz[:, 2] = world[:, 2] * 0.5
    vis = np.full(NUM_LANDMARKS, 0.97, dtype=np.float32)
    for lm in hidden:
        vis[int(lm)] = 0.05
    return Pose(xyz_norm=xyz, visibility=vis, world_xyz=world.astype(np.float32), timestamp_ms=t_ms,
                resolution_wh=resolution_wh, frame_index=index)


# --- postures ---------------------------------------------------------------------------------

def standing_squat(depth_deg: float, *, extra_lean_deg: float = 0.0, heel_lift_m: float = 0.0,
                   knee_in_m: float = 0.0) -> Body:
    """Squat posed by thigh angle from vertical (0 standing, 90 parallel). Shins lean
    with depth; the trunk stays parallel to the shins plus `extra_lean_deg`."""
    shin_deg = 0.4 * depth_deg
    ankle = np.array([0.0, 0.08 + heel_lift_m * 0.7])
    knee = ankle + SHANK * _dir(shin_deg)
    hip = knee + THIGH * np.array([-math.sin(math.radians(depth_deg)), math.cos(math.radians(depth_deg))])
    trunk_deg = shin_deg + extra_lean_deg
    shoulder = hip + TRUNK * _dir(trunk_deg)
    ear = shoulder + NECK * _dir(trunk_deg * 0.5)
    joints = {
        "ankle": ankle, "knee": knee, "hip": hip, "shoulder": shoulder, "ear": ear,
        "eye": ear + np.array([0.08, 0.02]), "nose": ear + np.array([0.11, -0.01]),
        "heel": np.array([-0.06, 0.02 + heel_lift_m]), "toe": np.array([0.17, 0.02]),
        "elbow": shoulder + np.array([UPPER_ARM, 0.0]),
        "wrist": shoulder + np.array([UPPER_ARM + FOREARM, 0.0]),
    }
    return Body(joints, knee_in_m=knee_in_m)


def bridge(hip_height_m: float) -> Body:
    """Supine, knees bent, feet flat; hips raised to `hip_height_m` above the floor."""
    shoulder = np.array([0.0, 0.10])
    hip = np.array([0.50, 0.10 + hip_height_m])
    ankle = np.array([0.95, 0.08])
    knee = _circle_top(hip, THIGH, ankle, SHANK)
    ear = shoulder + np.array([-0.2, 0.02])
    joints = {"shoulder": shoulder, "hip": hip, "knee": knee, "ankle": ankle, "ear": ear,
              "eye": ear + np.array([-0.02, 0.08]), "nose": ear + np.array([-0.03, 0.11]),
              "heel": ankle + np.array([-0.06, -0.06]), "toe": ankle + np.array([0.17, -0.06]),
              "elbow": shoulder + np.array([0.3, -0.05]), "wrist": shoulder + np.array([0.55, -0.08])}
    return Body(joints)


def _circle_top(a: np.ndarray, ra: float, b: np.ndarray, rb: float) -> np.ndarray:
    """The upper intersection of two circles (the knee between hip and ankle)."""
    d = float(np.linalg.norm(b - a))
    d = min(d, ra + rb - 1e-6)
    x = (d * d + ra * ra - rb * rb) / (2 * d)
    y = math.sqrt(max(ra * ra - x * x, 0.0))
    ex = (b - a) / np.linalg.norm(b - a)
    ey = np.array([-ex[1], ex[0]])
    p1, p2 = a + x * ex + y * ey, a + x * ex - y * ey
    return p1 if p1[1] > p2[1] else p2


def bridge_for_angle(hip_extension_deg: float) -> Body:
    """The bridge whose shoulder-hip-knee angle (2D side view) is closest to the target."""
    from .geometry import joint_angle_deg

    def signed(h: float) -> float:
        b = bridge(h)
        s, hp, k = b.joints["shoulder"], b.joints["hip"], b.joints["knee"]
        angle = joint_angle_deg(s, hp, k)
        line_u = s[1] + (k[1] - s[1]) * (hp[0] - s[0]) / (k[0] - s[0])
        return 360 - angle if hp[1] > line_u else angle

    heights = np.linspace(0.0, 0.6, 601)
    best = min(heights, key=lambda h: abs(signed(h) - hip_extension_deg))
    return bridge(float(best))


def all_fours(*, lifted: str | None = None, leg_lift_deg: float = 0.0, arm_lift_deg: float = 0.0,
              pelvic_roll_deg: float = 0.0, hip_drop_m: float = 0.0) -> Body:
    """Hands under shoulders, knees under hips; optionally one leg and the opposite arm
    lifted (elevation from hanging straight down: 90 = level)."""
    hip = np.array([0.0, 0.50 - hip_drop_m])
    knee = np.array([0.0, 0.05])
    ankle = np.array([-0.43, 0.05])
    shoulder = np.array([0.55, 0.58])
    wrist = np.array([0.55, 0.0])
    ear = shoulder + np.array([0.2, 0.05])
    joints = {"hip": hip, "knee": knee, "ankle": ankle, "shoulder": shoulder, "ear": ear,
              "elbow": (shoulder + wrist) / 2, "wrist": wrist, "eye": ear + np.array([0.07, -0.02]),
              "nose": ear + np.array([0.1, -0.05]), "heel": ankle + np.array([0.0, 0.05]),
              "toe": ankle + np.array([0.05, -0.05])}
    body = Body(joints, left={}, right={})
    if lifted:
        leg = np.array([-math.sin(math.radians(leg_lift_deg)), -math.cos(math.radians(leg_lift_deg))])
        lifted_knee = hip + THIGH * leg
        over = body.left if lifted == "left" else body.right
        over.update({"knee": lifted_knee, "ankle": lifted_knee + SHANK * leg,
                     "heel": lifted_knee + (SHANK + 0.03) * leg, "toe": lifted_knee + (SHANK + 0.1) * leg})
        arm = np.array([math.sin(math.radians(arm_lift_deg)), -math.cos(math.radians(arm_lift_deg))])
        arm_side = body.right if lifted == "left" else body.left
        arm_side.update({"elbow": shoulder + UPPER_ARM * arm, "wrist": shoulder + (UPPER_ARM + FOREARM) * arm})
        roll_m = 2 * HIP_HALF * math.sin(math.radians(pelvic_roll_deg))
        body.pelvis_roll_m = roll_m if lifted == "left" else -roll_m
    return body


def _pitched(v: tuple[float, float], pitch_deg: float) -> np.ndarray:
    """A face point's offset from the ear, with the head pitched down by `pitch_deg`."""
    r = math.radians(pitch_deg)
    f, u = v
    return np.array([f * math.cos(r) + u * math.sin(r), -f * math.sin(r) + u * math.cos(r)])


def sitting(*, shoulder_ahead_deg: float = -5.0, head_forward_deg: float = 15.0, head_pitch_deg: float = 0.0,
            shoulder_in_m: float = 0.0) -> Body:
    """Seated. `head_pitch_deg` > 0 looks down (phone, keyboard); `shoulder_in_m` rounds
    the shoulders in, which a front camera sees as narrower shoulders."""
    hip = np.array([0.0, 0.48])
    knee = np.array([0.45, 0.50])
    ankle = np.array([0.47, 0.08])
    shoulder = hip + TRUNK * _dir(shoulder_ahead_deg)
    ear = shoulder + NECK * _dir(head_forward_deg)
    joints = {"hip": hip, "knee": knee, "ankle": ankle, "shoulder": shoulder, "ear": ear,
              "eye": ear + _pitched((0.08, 0.02), head_pitch_deg), "nose": ear + _pitched((0.11, -0.01), head_pitch_deg),
              "heel": ankle + np.array([-0.06, -0.06]), "toe": ankle + np.array([0.17, -0.06]),
              "elbow": shoulder + np.array([0.15, -0.25]), "wrist": shoulder + np.array([0.4, -0.25])}
    return Body(joints, shoulder_in_m=shoulder_in_m)


# --- sequences ----------------------------------------------------------------------------------

Keyframes = list[tuple[float, Callable[[float], Body]]]


@dataclass
class Scenario:
    """A timeline: `segments` of (duration_s, body_at(progress 0..1)), rendered at `fps`."""

    segments: list[tuple[float, Callable[[float], Body]]]
    view: str = "side_left"
    fps: float = 30.0
    noise_px: float = 0.0
    seed: int = 0
    hidden: tuple[tuple[float, float, tuple[L, ...]], ...] = ()  # (from_s, to_s, landmarks)
    gaps: tuple[tuple[float, float], ...] = ()  # times with nobody in view

    def frames(self) -> list[PoseFrame]:
        rng = np.random.default_rng(self.seed)
        out: list[PoseFrame] = []
        t0 = 0.0
        index = 0
        for duration, body_at in self.segments:
            n = max(1, int(round(duration * self.fps)))
            for k in range(n):
                t = t0 + k / self.fps
                hidden = tuple(lm for a, b, lms in self.hidden if a <= t < b for lm in lms)
                pose = None
                if not any(a <= t < b for a, b in self.gaps):
                    pose = body_to_pose(body_at(k / n), view=self.view, t_ms=t * 1000, index=index,
                                        rng=rng, noise_px=self.noise_px, hidden=hidden)
                out.append(PoseFrame(t * 1000, index, pose))
                index += 1
            t0 += n / self.fps
        return out

    def info(self, name: str) -> VideoInfo:
        frames = sum(max(1, int(round(d * self.fps))) for d, _ in self.segments)
        return VideoInfo(kind="recording", name=name, resolution_wh=(1280, 720), fps=self.fps,
                         frame_count=frames, duration_s=frames / self.fps)


def hold(body: Body) -> Callable[[float], Body]:
    return lambda _p: body


def squat_reps(n: int, *, depth_deg: float = 95.0, extra_lean_deg: float = 0.0, heel_lift_m: float = 0.0,
               knee_in_m: float = 0.0, rep_s: float = 2.4, rest_s: float = 0.8) -> list:
    """`n` squats: down and up, easing in and out, with a pause standing between reps."""
    def rep(p: float) -> Body:
        s = math.sin(math.pi * p) ** 2  # 0 -> 1 at the bottom -> 0
        return standing_squat(depth_deg * s, extra_lean_deg=extra_lean_deg * s, heel_lift_m=heel_lift_m * s,
                              knee_in_m=knee_in_m * s)
    segments = []
    for _ in range(n):
        segments += [(rep_s, rep), (rest_s, hold(standing_squat(0.0)))]
    return segments


def bridge_reps(n: int, *, top_angle_deg: float = 178.0, hold_s: float = 3.5, rest_s: float = 1.5) -> list:
    rest, top = bridge_for_angle(128.0), bridge_for_angle(top_angle_deg)
    up_h = top.joints["hip"][1] - 0.10
    down_h = rest.joints["hip"][1] - 0.10

    def moving(a: float, b: float) -> Callable[[float], Body]:
        return lambda p: bridge(a + (b - a) * (0.5 - 0.5 * math.cos(math.pi * p)))
    segments = [(rest_s, hold(rest))]
    for _ in range(n):
        segments += [(1.0, moving(down_h, up_h)), (hold_s, hold(top)), (1.0, moving(up_h, down_h)),
                     (rest_s, hold(rest))]
    return segments


def bird_dog_holds(sides: list[str], *, leg_lift_deg: float = 90.0, arm_lift_deg: float = 85.0,
                   pelvic_roll_deg: float = 0.0, hip_drop_m: float = 0.0, hold_s: float = 6.0) -> list:
    def lift(side: str, rising: bool) -> Callable[[float], Body]:
        def at(p: float) -> Body:
            s = p if rising else 1 - p
            return all_fours(lifted=side, leg_lift_deg=leg_lift_deg * s, arm_lift_deg=arm_lift_deg * s,
                             pelvic_roll_deg=pelvic_roll_deg * s, hip_drop_m=hip_drop_m * s)
        return at
    segments = [(1.5, hold(all_fours()))]
    for side in sides:
        segments += [(1.0, lift(side, True)),
                     (hold_s, hold(all_fours(lifted=side, leg_lift_deg=leg_lift_deg, arm_lift_deg=arm_lift_deg,
                                             pelvic_roll_deg=pelvic_roll_deg, hip_drop_m=hip_drop_m))),
                     (1.0, lift(side, False)), (1.5, hold(all_fours()))]
    return segments


def sitting_spans(spans: list[tuple[float, float, float]]) -> list:
    """(duration_s, shoulder_ahead_deg, head_forward_deg) per span."""
    return [(d, hold(sitting(shoulder_ahead_deg=sh, head_forward_deg=hd))) for d, sh, hd in spans]


SAMPLES = {
    "squat_good_side": lambda: Scenario(squat_reps(3), view="side_left", noise_px=1.5),
    "squat_forward_lean_side": lambda: Scenario(squat_reps(3, extra_lean_deg=45), view="side_right", noise_px=1.5),
    "squat_heels_lifting_side": lambda: Scenario(squat_reps(3, heel_lift_m=0.10), view="side_left", noise_px=1.0),
    "squat_shallow_side": lambda: Scenario(squat_reps(3, depth_deg=50), view="side_left", noise_px=1.5),
    "squat_knee_valgus_front": lambda: Scenario(squat_reps(3, knee_in_m=0.12), view="front", noise_px=1.5),
    "glute_bridge_good": lambda: Scenario(bridge_reps(3), view="side_left", noise_px=1.5),
    "glute_bridge_over_arching": lambda: Scenario(bridge_reps(2, top_angle_deg=205), view="side_left"),
    "bird_dog_good": lambda: Scenario(bird_dog_holds(["right", "left"]), view="side_left", noise_px=1.5),
    "bird_dog_hip_rotation": lambda: Scenario(bird_dog_holds(["right", "left"], pelvic_roll_deg=35),
                                              view="side_left"),
    "sitting_slouch": lambda: Scenario(sitting_spans([(5, -8, 12), (6, 18, 50), (5, -8, 12)]), view="side_right",
                                       noise_px=1.5),
}


def write_samples(folder: str) -> list[str]:
    from pathlib import Path

    from .recording import RecordingWriter

    out = []
    Path(folder).mkdir(parents=True, exist_ok=True)
    for name, make in SAMPLES.items():
        scenario = make()
        path = Path(folder) / f"{name}.landmarks.jsonl.gz"
        with RecordingWriter(path, scenario.info(name), model="synthetic") as writer:
            for pf in scenario.frames():
                writer.write(pf)
        out.append(str(path))
    return out


if __name__ == "__main__":
    import sys

    for written in write_samples(sys.argv[1] if len(sys.argv) > 1 else "samples"):
        print(written)
