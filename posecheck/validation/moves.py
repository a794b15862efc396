"""Landmark moves for fault injection: for each metric a one-parameter family of changes to
a pose (the upper body rotated forward about the hips, the heels rotated up about the toes,
the knees moved toward the midline, ...). A move is made in world coordinates and carried to
the image by the pose's own pixels per metre, so the two stay consistent. Every move is the
identity at 0; `MOVES` gives each metric its move and the parameter's range."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..pose.landmarks import Landmark as L, sided
from ..pose.types import Pose

CORE = [11, 12, 23, 24, 25, 26, 27, 28]  # joints fitting the image scale to the world
UP = np.array([0.0, -1.0, 0.0])
UPPER, HEAD, FACE = list(range(23)), list(range(11)), [0, 1, 2, 3, 4, 5, 6, 9, 10]
LEG = {"left": [25, 27, 29, 31], "right": [26, 28, 30, 32]}
ARM = {"left": [13, 15, 17, 19, 21], "right": [14, 16, 18, 20, 22]}
OTHER = {"left": "right", "right": "left"}


@dataclass(frozen=True)
class Geo:
    """What a move needs to know about a frame besides its landmarks."""
    side: str  # the checker's near side
    forward: float  # +1 facing image right
    lifted: str  # bird-dog: the lifted leg
    scale: float  # image pixels per world metre


def image_scale(pose: Pose) -> float:
    p, q = pose.xy_px[CORE], pose.world_xyz[CORE, :2].astype(np.float64)
    p, q = p - p.mean(0), q - q.mean(0)
    return float((p * q).sum() / max(float((q * q).sum()), 1e-9))


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else v


def _rotate(points: np.ndarray, pivot: np.ndarray, axis: np.ndarray, deg: float) -> np.ndarray:
    k, a = _unit(axis), np.radians(deg)
    v = points - pivot
    return pivot + v * np.cos(a) + np.cross(k, v) * np.sin(a) + np.outer(v @ k, k) * (1 - np.cos(a))


def _turn(w, idx, pivot, axis, deg, probe: int, want: np.ndarray) -> None:
    """Rotate w[idx] by `deg` in the sense that moves landmark `probe` along `want`."""
    sign = 1.0 if (_rotate(w[[probe]], pivot, axis, 1.0)[0] - w[probe]) @ want >= 0 else -1.0
    w[idx] = _rotate(w[idx], pivot, axis, sign * deg)


def _mid(w, a: L, b: L) -> np.ndarray:
    return (w[int(a)] + w[int(b)]) / 2


def _hip_axis(w) -> np.ndarray:
    return w[L.LEFT_HIP] - w[L.RIGHT_HIP]


def lean_trunk(w, p, g: Geo) -> None:  # trunk inclined forward about the hips, the head carried
    # People leaning forward keep their head's pitch (the gaze ahead): in the shared side-on
    # squats the nose sits 33-44 deg below the ears standing and 20-43 deg with the trunk
    # 30-60 deg forward. So the head moves with the neck without turning: rotated with the
    # trunk, a head already looking down would end with the nose behind the ears, which no
    # one does and which reads as facing the other way.
    neck = _mid(w, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    body = [i for i in UPPER if i not in HEAD]
    _turn(w, body, _mid(w, L.LEFT_HIP, L.RIGHT_HIP), _hip_axis(w), p, 11, np.array([g.forward, 0, 0]))
    w[HEAD] += _mid(w, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - neck


def raise_heels(w, p, g: Geo) -> None:  # heels rotated up about the toes
    axis = _hip_axis(w)
    for s in ("left", "right"):
        heel, toe = int(sided("heel", s)), int(sided("foot_index", s))
        _turn(w, [heel], w[toe].copy(), axis, p, heel, UP)


def knees_in(w, p, g: Geo) -> None:  # knees toward the body's midline, in hip widths
    mid_x, width = (w[L.LEFT_HIP][0] + w[L.RIGHT_HIP][0]) / 2, abs(w[L.LEFT_HIP][0] - w[L.RIGHT_HIP][0])
    for s in ("left", "right"):
        w[int(sided("knee", s)), 0] += np.sign(mid_x - w[int(sided("hip", s))][0]) * p * width


def _toward_vertical(v: np.ndarray, share: float) -> np.ndarray:
    """Segment `v` with `share` of its angle from vertical taken away (negative: added)."""
    angle = float(np.degrees(np.arccos(np.clip(_unit(v) @ UP, -1, 1))))
    return _rotate(v[None], np.zeros(3), np.cross(v, UP), share * angle)[0]


def shallower(w, p, g: Geo) -> None:  # shins and thighs p of the way back to vertical: less depth
    before = _mid(w, L.LEFT_HIP, L.RIGHT_HIP)
    for s in ("left", "right"):
        hip, knee, ankle = (int(sided(j, s)) for j in ("hip", "knee", "ankle"))
        thigh = w[hip] - w[knee]
        w[knee] = w[ankle] + _toward_vertical(w[knee] - w[ankle], p)
        w[hip] = w[knee] + _toward_vertical(thigh, p)
    w[UPPER] += _mid(w, L.LEFT_HIP, L.RIGHT_HIP) - before


def hips_off_line(w, p, g: Geo) -> None:  # bridge: hips above (+) or below (-) the shoulder-knee line
    s, k, h = (w[int(sided(j, g.side))] for j in ("shoulder", "knee", "hip"))
    u = _unit(k - s)
    w[[L.LEFT_HIP, L.RIGHT_HIP]] += p * float(np.linalg.norm(s - h)) * _unit(UP - (UP @ u) * u)


def _limb(w, p, pivot: int, idx: list[int]) -> None:
    _turn(w, idx, w[pivot].copy(), _hip_axis(w), p, idx[0], UP)


def leg_up(w, p, g: Geo) -> None:
    _limb(w, p, int(sided("hip", g.lifted)), LEG[g.lifted])


def arm_up(w, p, g: Geo) -> None:
    _limb(w, p, int(sided("shoulder", OTHER[g.lifted])), ARM[OTHER[g.lifted]])


def roll_pelvis(w, p, g: Geo) -> None:  # the hip line tilted p deg further out of level
    m, d = _mid(w, L.LEFT_HIP, L.RIGHT_HIP), _hip_axis(w)
    n, flat = float(np.linalg.norm(d)), _unit(np.array([d[0], 0.0, d[2]]))
    e0 = np.arcsin(np.clip(-d[1] / max(n, 1e-9), -1, 1))
    e = e0 + (np.sign(e0) or 1.0) * np.radians(p)
    d2 = n * (np.cos(e) * flat + np.sin(e) * UP)
    w[L.LEFT_HIP], w[L.RIGHT_HIP] = m + d2 / 2, m - d2 / 2


def sag(w, p, g: Geo) -> None:  # hips (and the lifted leg) dropped, in torso lengths
    torso = float(np.linalg.norm(_mid(w, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - _mid(w, L.LEFT_HIP, L.RIGHT_HIP)))
    w[[int(L.LEFT_HIP), int(L.RIGHT_HIP)] + LEG[g.lifted], 1] += p * torso


def head_down(w, p, g: Geo) -> None:  # front view: the head lower against the shoulders
    w[HEAD, 1] += p * float(np.linalg.norm(w[L.LEFT_SHOULDER] - w[L.RIGHT_SHOULDER]))


def shoulders_in(w, p, g: Geo) -> None:  # front view: shoulders (and arms) drawn together
    m = _mid(w, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    for s in ("left", "right"):
        sh = int(sided("shoulder", s))
        move = -p * (w[sh] - m)
        w[[sh] + ARM[s]] += move


def nose_down(w, p, g: Geo) -> None:  # front view: the face pitched down under the ears
    w[FACE, 1] += p * float(np.linalg.norm(w[L.LEFT_EAR] - w[L.RIGHT_EAR]))


def head_forward(w, p, g: Geo) -> None:  # side view: the head rotated forward about the shoulders
    _turn(w, HEAD, _mid(w, L.LEFT_SHOULDER, L.RIGHT_SHOULDER), w[L.LEFT_SHOULDER] - w[L.RIGHT_SHOULDER],
          p, 0, np.array([g.forward, 0, 0]))


def shorten_trunk(w, p, g: Geo) -> None:  # side view: shoulders sunk toward the hips
    w[UPPER] -= p * (_mid(w, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - _mid(w, L.LEFT_HIP, L.RIGHT_HIP))


Move = Callable[[np.ndarray, float, Geo], None]
# metric -> (move, parameter range); every move is the identity at 0. The trunk may turn up
# to 80 deg: an upright squatter (trunk 14 deg behind the shins, jrplatin) needs ~65 deg to
# lean 1.5x the 30 deg threshold past them, and 80 deg is still short of a trunk turned past
# horizontal.
MOVES: dict[str, tuple[Move, tuple[float, float]]] = {
    "trunk_shin_gap_deg": (lean_trunk, (-80, 80)), "shoulder_ahead_deg": (lean_trunk, (-60, 60)),
    "heel_rise_ratio": (raise_heels, (-45, 75)), "knee_separation_ratio": (knees_in, (-1.5, 1.5)),
    "squat_depth_deg": (shallower, (-0.5, 0.95)), "hip_drop_ratio": (shallower, (-0.5, 0.95)),
    "hip_extension_deg": (hips_off_line, (-0.8, 0.8)), "leg_lift_deg": (leg_up, (-80, 80)),
    "arm_lift_deg": (arm_up, (-80, 80)), "pelvic_roll_deg": (roll_pelvis, (-60, 60)),
    "trunk_tilt_deg": (sag, (-0.5, 0.5)), "neck_drop_ratio": (head_down, (-0.6, 1.0)),
    "head_size_ratio": (shoulders_in, (-0.6, 0.6)), "head_pitch_ratio": (nose_down, (-0.6, 1.2)),
    "head_forward_deg": (head_forward, (-60, 60)), "trunk_length_ratio": (shorten_trunk, (-0.3, 0.5)),
}


def moved(pose: Pose, move: Move, p: float, g: Geo) -> Pose:
    """The pose with the move applied: world changed, the image by the same displacement."""
    w0 = pose.world_xyz.astype(np.float64)
    w = w0.copy()
    move(w, p, g)
    xyz = pose.xyz_norm.astype(np.float64)
    wh = np.array(pose.resolution_wh, dtype=np.float64)
    xyz[:, :2] += g.scale * (w - w0)[:, :2] / wh
    w -= _mid(w, L.LEFT_HIP, L.RIGHT_HIP)  # the world origin stays between the hips
    return pose.with_coords(xyz.astype(np.float32), w.astype(np.float32))
