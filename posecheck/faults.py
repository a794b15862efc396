"""Fault hysteresis: each fault of a spec turns on when its metric stays past `enter`
for `min_duration_s` and off when it comes back past `exit`; per-rep faults are judged
once, on the rep's max or min. Thresholds are offsets from a reference: none (absolute),
the person's calibrated profile, or their own resting baseline in this set."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .cues import CueArbiter
from .profiles import Profile
from .reps import RepInProgress
from .spec import ExerciseSpec, FaultSpec

ValueFn = Callable[[str], "float | None"]


@dataclass
class _FaultState:
    spec: FaultSpec
    active: bool = False
    pending_since: float | None = None


class FaultTracker:
    def __init__(self, spec: ExerciseSpec, profile: Profile, cues: CueArbiter, *, still: bool = False) -> None:
        self.profile = profile
        # A photo is a posture held: nothing to wait for before judging it.
        self._duration_scale = 0.0 if still else 1.0
        self._cues = cues
        self._states = [_FaultState(f) for f in spec.faults]
        self._baselines: dict[str, deque] = {}
        self._session: dict[str, _SessionBaseline] = {}
        self.active: tuple[str, ...] = ()  # active fault codes, superseded ones removed

    @property
    def specs(self) -> list[FaultSpec]:
        return [fs.spec for fs in self._states]

    def reference(self, f: FaultSpec) -> float | None:
        if f.reference is None:
            return 0.0
        if f.reference == "baseline":
            values = self._baselines.get(f.metric)
            return float(np.median(values)) if values and len(values) >= 5 else None
        value = self.profile.get(f.profile_key)
        if value is None and f.session_baseline_s is not None:
            taken = self._session.get(_session_key(f))
            return taken.value if taken is not None and taken.done(f.session_baseline_s) else None
        if value is None:
            return None if f.requires_reference else f.default_reference
        return value

    def limits(self, view: str) -> list[dict]:
        """Each fault judged in `view`, with the value it enters at (its baseline plus the
        threshold), for a live preview; faults with no baseline yet are left out."""
        out = []
        for f in self.specs:
            ref = self.reference(f) if view in f.views else None
            if ref is not None:
                out.append({"code": f.code, "title": f.label, "metric": f.metric, "reference": round(ref, 3),
                            "limit": round(ref + f.enter, 3), "fault_if": f.fault_if})
        return out

    def collect_session_baseline(self, t: float, view: str, value: ValueFn) -> bool:
        """Take this session's reference for uncalibrated faults that allow one
        (`session_baseline_s`); True while one is still being taken in this view."""
        taking = False
        for fs in self._states:
            f = fs.spec
            if view not in f.views or f.session_baseline_s is None or f.profile_key is None \
                    or self.profile.get(f.profile_key) is not None:
                continue
            taken = self._session.setdefault(_session_key(f), _SessionBaseline())
            if taken.done(f.session_baseline_s):
                continue
            v = value(f.metric)
            if v is not None:
                taken.add(t, v)
            taking = taking or not taken.done(f.session_baseline_s)
        return taking

    def collect_baselines(self, value: ValueFn) -> None:
        """At rest: the person's own resting values for `reference = "baseline"` faults."""
        for fs in self._states:
            if fs.spec.reference == "baseline":
                v = value(fs.spec.metric)
                if v is not None:
                    self._baselines.setdefault(fs.spec.metric, deque(maxlen=60)).append(v)

    def step(self, t: float, view: str, phase: str, value: ValueFn) -> None:
        """Continuous faults (`during = active | always`) for one frame."""
        active_now = set(self.active)
        for fs in self._states:
            f = fs.spec
            judged = view in f.views and f.during != "rep" and (
                f.during == "always" or phase in ("rep", "hold")) and (f.phase == "any" or phase == "hold")
            if judged and f.requires_any and not (active_now & set(f.requires_any)):
                judged = False
            ref = self.reference(f) if judged else None
            v = value(f.metric) if judged and ref is not None else None
            if v is None:
                if not judged or ref is None:
                    fs.active, fs.pending_since = False, None
                continue
            enter, exit_ = ref + f.enter, ref + f.exit_threshold
            bad = v > enter if f.fault_if == "above" else v < enter
            good = v < exit_ if f.fault_if == "above" else v > exit_
            if fs.active:
                if good:
                    fs.active = False
                    self._cues.drop(f.code)
                continue
            if bad:
                if fs.pending_since is None:
                    fs.pending_since = t
                if t - fs.pending_since >= f.min_duration_s * self._duration_scale:
                    fs.active, fs.pending_since = True, None
                    self._queue_cue(f, v, enter, ref, t)
            else:
                fs.pending_since = None
        self._refresh_active()

    def track_rep(self, rep: RepInProgress, view: str, value: ValueFn) -> None:
        for fs in self._states:
            if view not in fs.spec.views:  # only what this view can judge (and cheaper)
                continue
            v = value(fs.spec.metric)
            if v is not None:
                rep.track(fs.spec.metric, v)
        rep.faults += [code for code in self.active if code not in rep.faults]

    def judge_rep(self, rep: RepInProgress, view: str, t: float) -> list[str]:
        """The rep's faults: those seen during it plus the per-rep ones, superseded removed.
        Where two measurements of the same per-rep fault apply, both must find it: each
        one's blind spot is covered by the other."""
        faults = list(rep.faults)
        verdicts: dict[str, list[tuple[bool, FaultSpec, float, float, float]]] = {}
        for fs in self._states:
            f = fs.spec
            if f.during != "rep" or view not in f.views:
                continue
            ref = self.reference(f)
            agg = rep.max_values if f.aggregate == "max" else rep.min_values
            v = agg.get(f.metric)
            if ref is None or v is None or not np.isfinite(v):
                continue
            threshold = ref + f.enter
            bad = (v > threshold) if f.fault_if == "above" else (v < threshold)
            verdicts.setdefault(f.code, []).append((bad, f, v, threshold, ref))
        for code, found in verdicts.items():
            if all(bad for bad, *_ in found):
                faults.append(code)
                _, f, v, threshold, ref = found[0]
                self._queue_cue(f, v, threshold, ref, t, keep_s=2.0)
        superseded = {s for fs in self._states if fs.spec.code in faults for s in fs.spec.supersedes}
        return [c for c in dict.fromkeys(faults) if c not in superseded]

    def reset(self) -> None:
        """Nothing can be judged: no fault stays on, no cue waits."""
        for fs in self._states:
            fs.active, fs.pending_since = False, None
        self.active = ()
        self._cues.clear()

    def _refresh_active(self) -> None:
        active = [fs.spec.code for fs in self._states if fs.active]
        superseded = {s for fs in self._states if fs.active for s in fs.spec.supersedes}
        self.active = tuple(dict.fromkeys(c for c in active if c not in superseded))
        for code in superseded:
            self._cues.drop(code)

    def _queue_cue(self, f: FaultSpec, value: float, threshold: float, reference: float, t: float,
                   keep_s: float | None = None) -> None:
        message = f.cue.format(value=value, threshold=threshold, target=reference, reference=reference)
        self._cues.queue(f.code, f.severity, message, t, keep_s)


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
