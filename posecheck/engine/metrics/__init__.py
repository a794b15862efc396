"""Metric functions the exercise specs refer to by name.

`registry.py` holds the registry (`METRICS`, filled by the `metric` decorator) and the
per-frame `MetricContext`; the metrics live in one module per body region, and importing
this package registers all of them:

- `lower_body.py`: knees, hips' drop, stance, thigh and shin angles, heels, valgus;
- `trunk_hips.py`: trunk inclination and lean, hinge, hip extension and lift, pelvis;
- `limbs.py`: the bird-dog's leg and arm lift;
- `sitting_head.py`: the face lying down, and the sitting (desk) posture metrics.

A new metric is a function in the region module it belongs to, decorated with
`@metric("name_unit", "unit")`; specs then name it (see ARCHITECTURE.md).
"""

from . import limbs, lower_body, sitting_head, trunk_hips  # noqa: F401 - importing registers the metrics
from .registry import METRICS, MetricContext, MetricDef, MetricFn, metric

__all__ = ["METRICS", "MetricContext", "MetricDef", "MetricFn", "metric"]
