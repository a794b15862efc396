"""The metric registry: `metric(name, unit)` registers a function under the name the
exercise specs use, in `METRICS`; `MetricContext` carries the per-frame facts every metric
shares. The metrics themselves live in one module per body region beside this one.

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

from ...pose.geometry import signed_inclination_deg
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
    used: set[str] = field(default_factory=set)  # landmarks a metric looked at (engine/noise.py)

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
    # the body is turned from that view scales its departure from this value (engine/noise.py).
    # None: not such a reading (world coordinates, or a ratio against the person's baseline).
    plane_zero: float | None = None


METRICS: dict[str, MetricDef] = {}


def metric(name: str, unit: str, *, plane_zero: float | None = None):
    """Register a metric under `name` so specs can use it."""
    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = MetricDef(name=name, fn=fn, unit=unit, doc=(fn.__doc__ or "").strip(), plane_zero=plane_zero)
        return fn
    return register


def leg(side: str) -> tuple[L, L, L]:
    return sided("hip", side), sided("knee", side), sided("ankle", side)


def forward_inclination(ctx: MetricContext, top: str, bottom: str) -> float | None:
    """2D inclination of the near side's bottom->top segment ahead of vertical."""
    top_lm, bottom_lm = sided(top, ctx.side), sided(bottom, ctx.side)
    if not ctx.visible(top_lm, bottom_lm):
        return None
    return signed_inclination_deg(ctx.xy(top_lm), ctx.xy(bottom_lm), ctx.forward)
