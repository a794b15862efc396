"""What each fault's threshold is measured against: nothing (absolute), the person's
calibrated profile, their resting values in this set (`reference = "baseline"`: taken at
rest, in a view that judges the fault), or, uncalibrated, the first seconds of this
session that show them upright (`session_baseline_s`). The threshold in force is the
reference plus `enter` (`uncalibrated_enter` before calibrating)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .profiles import Profile
from .spec import FaultSpec

ValueFn = Callable[[str], "float | None"]


class References:
    def __init__(self, specs: list[FaultSpec], profile: Profile) -> None:
        self.specs = list(specs)
        self.profile = profile
        self._baselines: dict[str, deque] = {}  # metric -> resting values
        self._session: dict[str, _SessionBaseline] = {}

    def reference(self, f: FaultSpec) -> float | None:
        if f.reference is None:
            return 0.0
        if f.reference == "baseline":
            values = self._baselines.get(f.metric)
            return float(np.median(values)) if values and len(values) >= 5 else None
        value = self.profile.get(f.profile_key)
        if value is not None:
            return value
        taken = self._session.get(_session_key(f)) if f.session_baseline_s is not None else None
        if taken is not None and taken.done(f.session_baseline_s):
            return taken.value
        return None if f.requires_reference else f.default_reference  # (until a session baseline is taken)

    def enter(self, f: FaultSpec) -> float:
        """The threshold offset: `uncalibrated_enter` while the person has not calibrated."""
        if f.uncalibrated_enter is not None and f.profile_key and self.profile.get(f.profile_key) is None:
            return f.uncalibrated_enter
        return f.enter

    def size(self, f: FaultSpec) -> float:
        """How far the threshold in force lies from good form, in the metric's units."""
        return abs(self.enter(f) - (f.good_value or 0.0))

    def limits(self, view: str) -> list[dict]:
        """Each fault judged in `view`, with the value it enters at (its baseline plus the
        threshold), for a live preview; faults with no baseline yet are left out."""
        out = []
        for f in self.specs:
            ref = self.reference(f) if view in f.views else None
            if ref is not None:
                out.append({"code": f.code, "title": f.label, "metric": f.metric, "reference": round(ref, 3),
                            "limit": round(ref + self.enter(f), 3), "fault_if": f.fault_if})
        return out

    def collect_session_baseline(self, t: float, view: str, value: ValueFn) -> bool:
        """Take this session's reference for uncalibrated faults that allow one
        (`session_baseline_s`); True while one is still being taken in this view."""
        taking = False
        for f in self.specs:
            if view not in f.views or f.session_baseline_s is None or f.profile_key is None \
                    or self.profile.get(f.profile_key) is not None:
                continue
            taken = self._session.setdefault(_session_key(f), _SessionBaseline())
            if taken.done(f.session_baseline_s):
                continue
            gate = f.session_baseline_requires
            if gate is not None:
                g = value(gate.metric)
                if g is None or not gate.holds_for(g):  # no evidence of sitting upright now
                    taking = True
                    continue
            v = value(f.metric)
            if v is not None:
                taken.add(t, v)
            taking = taking or not taken.done(f.session_baseline_s)
        return taking

    def collect_baselines(self, view: str, value: ValueFn) -> None:
        """At rest: the person's own resting values for `reference = "baseline"` faults, in
        a view that judges them (a knee separation read side-on or while walking in is no
        front-on standing value)."""
        for f in self.specs:
            if f.reference == "baseline" and view in f.views:
                v = value(f.metric)
                if v is not None:
                    self._baselines.setdefault(f.metric, deque(maxlen=60)).append(v)

    def forget_baselines(self) -> None:
        """Another person, or a cut: their resting values are not this person's."""
        self._baselines.clear()


@dataclass
class _SessionBaseline:
    """The first seconds of a session, taken as the person's reference posture."""

    first_s: float | None = None
    last_s: float | None = None
    values: list[float] = field(default_factory=list)

    def add(self, t: float, v: float) -> None:
        self.first_s = t if self.first_s is None else self.first_s
        self.last_s = t
        self.values.append(v)

    def done(self, seconds: float) -> bool:
        return self.first_s is not None and self.last_s - self.first_s >= seconds and len(self.values) >= 3

    @cached_property
    def value(self) -> float:
        """Read only once taken (`done`), when no more values come: computed once."""
        return float(np.median(self.values))


def _session_key(f: FaultSpec) -> str:
    return f"{f.metric}@{','.join(f.views)}"
