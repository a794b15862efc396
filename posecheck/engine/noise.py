"""How well the camera can measure a fault, from the clip itself.

A verdict is only as good as the measurement behind it. Three things set a metric's
noise in a given clip, and each is measured here rather than assumed:

- **Landmark jitter.** The smoother sees the raw landmarks and keeps, per landmark, a
  running robust estimate of their frame-to-frame scatter in pixels (second differences
  remove steady motion; their median ignores the odd fast move: pose/jitter.py). A small foot in a
  low-resolution phone clip jitters by a large share of its own length; a large, sharp
  one hardly at all.
- **Segment size.** That scatter is propagated through the metric itself: the metric is
  recomputed on poses whose landmarks are moved by their own scatter (a fixed set of
  random draws, so results are reproducible), and twice the spread of the answers (the
  band a reading stays within 95% of the time) is the metric's noise. A ratio of two
  short segments comes out noisy; the same ratio of long ones does not. No metric needs
  its own error formula.
- **How square the view is.** A 2D angle or ratio in the plane a view is meant to show
  (the sagittal plane side-on, the frontal plane front-on) shrinks or grows by up to
  1/cos(d) when that plane is turned d degrees from the picture; the departure of the
  body's measured yaw from the ideal view gives d.

A fault is judged only when its threshold stands clear of that noise (`judgeable`), and
a verdict is given only when the value clears the threshold by more than the noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..pose.geometry import torso_length_px
from ..pose.landmarks import NUM_LANDMARKS, Landmark as L
from ..pose.types import Pose

# Landmark scatter on steady footage of the shared clips: 0.4-2 px for torsos of 85-490 px,
# i.e. up to ~1% of the torso. A single frame (a photo) or the first frames of a clip
# cannot show jitter, so no landmark is taken to be steadier than that.
FLOOR_SHARE_OF_TORSO = 0.01
FLOOR_PX = 1.0  # nothing is located better than a source pixel

_DRAWS = 12  # propagation draws: the noise estimate is then good to about +-20%
_RNG_SEED = 7  # fixed: the same clip always gets the same verdicts
MIN_SIZE_IN_SCATTERS = 10.0  # see Measurement.measurable
FILLS_FRAME = 0.6  # the body spans this share of the picture's height or width


def floor_px(pose: Pose) -> float:
    return max(FLOOR_PX, FLOOR_SHARE_OF_TORSO * torso_length_px(pose))


def landmark_sigma_px(pose: Pose) -> np.ndarray:
    """Each landmark's scatter in this clip (px), never below the steady-footage floor."""
    floor = floor_px(pose)
    if pose.noise_px is None:
        return np.full(NUM_LANDMARKS, floor)
    return np.maximum(pose.noise_px, floor)


def propagated_noise(fn, pose: Pose, make_context) -> tuple[float | None, set[str]]:
    """Spread of `fn` when every landmark moves by its own scatter (image) and the same
    scatter in metres (world), and the landmarks the metric used. None when the metric
    cannot be computed on this pose."""
    ctx = make_context(pose)
    centre = fn(pose, ctx)
    if centre is None or not np.isfinite(centre):
        return None, set()
    used = set(ctx.used)
    sigma = landmark_sigma_px(pose)
    w, h = pose.resolution_wh
    scale_norm = sigma[:, None] / np.array([w, h], dtype=np.float64)
    metres_per_px = _metres_per_px(pose)
    rng = np.random.default_rng(_RNG_SEED)
    values = []
    for _ in range(_DRAWS):
        shift = rng.standard_normal((NUM_LANDMARKS, 2))
        xyz = pose.xyz_norm.astype(np.float64).copy()
        xyz[:, :2] += shift * scale_norm
        world = pose.world_xyz.astype(np.float64).copy()
        world[:, :2] += shift * (sigma[:, None] * metres_per_px)
        moved = pose.with_coords(xyz.astype(np.float32), world.astype(np.float32))
        v = fn(moved, make_context(moved))
        if v is not None and np.isfinite(v):
            values.append(v)
    if len(values) < _DRAWS // 2:
        return float("inf"), used
    # Two standard deviations: the band a reading stays within 95% of the time.
    return 2.0 * float(np.std(values + [centre])), used


def _metres_per_px(pose: Pose) -> float:
    w = pose.world_xyz.astype(np.float64)
    metres = np.linalg.norm((w[int(L.LEFT_SHOULDER)] + w[int(L.RIGHT_SHOULDER)]) / 2
                            - (w[int(L.LEFT_HIP)] + w[int(L.RIGHT_HIP)]) / 2)
    px = torso_length_px(pose)
    return float(metres / px) if px > 1e-6 else 0.0


def view_departure_deg(yaw_deg: float, view: str) -> float:
    """How far the body is turned from the view's ideal: side-on is 90 deg of yaw,
    front-on (and from behind) 0."""
    return abs(90.0 - yaw_deg) if view == "side" else abs(yaw_deg)


def view_noise(value: float, plane_zero: float, departure_deg: float) -> float:
    """The most a 2D reading's departure from its unbent value can be off by when the
    plane it measures is turned `departure_deg` from the picture: one side of it is
    foreshortened by cos d (an angle reads smaller, a ratio over a foreshortened length
    larger), so the error is at most |value - zero| * (1/cos d - 1)."""
    d = math.radians(min(departure_deg, 80.0))
    return abs(value - plane_zero) * (1.0 / math.cos(d) - 1.0)


@dataclass(frozen=True)
class Measurement:
    """One fault's reading at one moment, with its noise and what the noise came from."""

    value: float
    noise: float
    landmark_noise: float
    view_noise: float
    sigma_px: float  # the scatter of the landmarks the metric used (largest)
    size_px: float  # the extent of those landmarks in the picture
    departure_deg: float
    used: frozenset[str]
    fills_frame: bool = False  # the person already spans most of the picture: closer will not help

    @property
    def measurable(self) -> bool:
        """A segment shorter than 10x its ends' scatter gives directions no better than
        ~8 deg (sqrt(2)/10 rad), coarser than any threshold in the specs (10-15 deg at the
        least); and a ratio or angle near its limits (a 4 px foot reads a 'rise' near 1
        whatever it does) hides that in a small spread. Nothing is judged from such parts."""
        return self.size_px >= MIN_SIZE_IN_SCATTERS * self.sigma_px


def measure(fn, pose: Pose, make_context, *, value: float, plane_zero: float | None, yaw_deg: float,
            view: str) -> Measurement | None:
    lm_noise, used = propagated_noise(fn, pose, make_context)
    if lm_noise is None:
        return None
    departure = view_departure_deg(yaw_deg, view)
    v_noise = 0.0 if plane_zero is None else view_noise(value, plane_zero, departure)
    idx = [int(L[name.upper()]) for name in used] or list(range(NUM_LANDMARKS))
    sigma = landmark_sigma_px(pose)[idx]
    pts = pose.xy_px[idx]
    size = float(np.max(np.ptp(pts, axis=0))) if len(idx) > 1 else 0.0
    seen = pose.xyz_norm[pose.visibility >= 0.5, :2]
    fills = bool(len(seen)) and float(np.max(np.ptp(seen, axis=0))) >= FILLS_FRAME
    return Measurement(value=value, noise=math.hypot(lm_noise, v_noise), landmark_noise=lm_noise,
                       view_noise=v_noise, sigma_px=float(np.max(sigma)), size_px=size,
                       departure_deg=departure, used=frozenset(used), fills_frame=fills)


def _parts(used: frozenset[str]) -> str:
    names = sorted({n.split("_", 1)[-1].replace("foot_index", "toes").replace("_", " ") for n in used})
    words = {"heel": "feet", "toes": "feet", "ankle": "feet", "knee": "knees", "hip": "hips",
             "shoulder": "shoulders", "ear": "head", "nose": "head", "wrist": "hands", "elbow": "arms"}
    parts = list(dict.fromkeys(words.get(n, n) for n in names))
    if not parts:
        return "body"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def why_not_judged(m: Measurement, view: str, *, needed_px: float | None = None) -> str:
    """What stopped the verdict and how to fix it, in words."""
    parts = _parts(m.used)
    verb = "is" if parts in ("body", "head") else "are"
    if m.view_noise > m.landmark_noise:
        turn = "side-on" if view == "side" else "square to it"
        return (f"you are turned about {m.departure_deg:.0f} degrees from the view it needs; "
                f"stand {turn} to the camera")
    if m.sigma_px <= 2.5 * FLOOR_PX or m.size_px < 40 * m.sigma_px:
        # An infinite need (the metric cannot clear its noise at any size) names no number.
        # (rounded up, and only when it reads larger than the size: "about 10 px, about 10 px
        # needed" says nothing)
        need = f", about {math.ceil(needed_px)} px needed" if needed_px and needed_px < float("inf") \
            and math.ceil(needed_px) > round(m.size_px) else ""
        fix = "film at a higher resolution" if m.fills_frame else "move the camera closer or film at a higher resolution"
        return f"your {parts} {verb} small in the picture (about {m.size_px:.0f} px{need}); {fix}"
    return (f"the tracking of your {parts} is unsteady (about {m.sigma_px:.0f} px of jitter); "
            "use more light and keep them in full view")
