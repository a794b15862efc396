"""Fault hysteresis: each fault of a spec turns on when its metric stays past `enter`
for `min_duration_s` (in a rep too quick for that, most of the rep: fault_timing.py) and
off when it comes back past `exit`; per-rep faults are judged once, on the rep's max or
min. Thresholds are offsets from a reference: none (absolute), the person's calibrated
profile, or their own resting baseline in this set.

A fault is called only when the camera can measure it (noise.py): its threshold must
stand clear of the metric's noise in this clip (`JUDGEABLE_SHARE`), and the reading must
clear the threshold by more than that noise. Each unit (a rep, or a stretch of sitting)
ends with one `FaultCheck` per fault judged in it: fault, clear, unsure (within the
noise of the threshold) or not judged (with what stopped it and how to fix it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ..pose.types import Pose
from .cues import CueArbiter
from .events import Event
from .fault_timing import HELD_SHARE, HeldLevel, must_last_in_rep, shortened_in_quick_reps
from .metrics import METRICS, MetricContext
from .noise import MIN_SIZE_IN_SCATTERS, Measurement, measure, view_noise, why_not_judged
from .profiles import Profile
from .references import References
from .reps import RepInProgress
from .spec import ExerciseSpec, FaultSpec

ValueFn = Callable[[str], "float | None"]

# A fault 1.5x its threshold's size lies half a size past the threshold: when the noise
# (a 95% band, noise.py) is larger than that, a clear fault cannot be told from the noise,
# so a reading that does not clear it is "not judged" in this clip, not "clear" (and the
# person is told why). A reading that clears the threshold by more than the noise is a
# fault whatever the noise.
JUDGEABLE_SHARE = 0.5
# Landmark scatter changes slowly, but how it carries into a metric does not (a thigh seen
# end-on at the bottom of a front squat makes the knee angle ill-conditioned): a verdict
# on a rep or a stretch uses its own frame; frame-by-frame checks reuse one for 0.2 s.
MEASURE_EVERY_S = 0.2

@dataclass(frozen=True)
class Probe:
    """What a metric's noise estimate needs from one frame."""

    t: float
    pose: Pose
    view: str
    yaw_deg: float
    make_context: Callable[[Pose], MetricContext]


@dataclass(frozen=True)
class FaultCheck:
    """One fault's verdict over one unit (a rep, or a stretch of sitting)."""

    code: str
    t_s: float
    value: float
    threshold: float
    noise: float | None
    verdict: str  # fault | clear | unsure | not_judged
    reason: str = ""
    metric: str = ""
    unit: str = ""

    def to_dict(self) -> dict:
        return {"code": self.code, "t_s": round(self.t_s, 3), "value": round(self.value, 3),
                "threshold": round(self.threshold, 3),
                "noise": None if self.noise is None else round(self.noise, 3), "verdict": self.verdict,
                "reason": self.reason, "metric": self.metric, "unit": self.unit}


@dataclass
class _FaultState:
    spec: FaultSpec
    active: bool = False
    pending_since: float | None = None
    active_since: float | None = None
    cleared: bool = False  # the pending stretch has cleared the threshold by more than the noise
    quick: bool = False  # a quick rep may shorten its min_duration_s (fault_timing.shortened_in_quick_reps)
    # For a quick rep: the unit's time measured, and its longest stretch measured past the
    # threshold without a gap that cleared the noise.
    judged_s: float = 0.0
    last_measured_s: float | None = None
    run_since: float | None = None
    run_cleared: bool = False
    longest_cleared_s: float = 0.0
    worst: tuple[float, Probe] | None = None  # the unit's most faulty reading (a per-rep fault's aggregate)
    held: HeldLevel | None = None  # a continuous fault's: its most faulty level held for min_duration_s


class FaultTracker:
    def __init__(self, spec: ExerciseSpec, profile: Profile, cues: CueArbiter, *, still: bool = False) -> None:
        # What each threshold is measured against (profile, resting or session baselines).
        self.refs = References(spec.faults, profile)
        # A photo is a posture held: nothing to wait for before judging it.
        self._duration_scale = 0.0 if still else 1.0
        self._cues = cues
        self._states = [_FaultState(f, quick=shortened_in_quick_reps(f, spec)) for f in spec.faults]
        self._spec = spec
        self.active: tuple[str, ...] = ()  # active fault codes, superseded ones removed
        self._noise: dict[str, tuple[float, Measurement | None]] = {}  # metric -> (when, measurement)
        self.checks: list[FaultCheck] = []
        self._told_not_judged: set[str] = set()
        self._sustained_said: set[str] = set()
        self.unit_judged = True  # did the last closed unit judge anything?
        self.unit_not_judged: list[str] = []  # ...and which faults could it not judge at all
        self.unit_unsure: list[str] = []  # ...and which were past their limit, too close to call
        self._unit_active: set[str] = set()  # faults that turned on during the unit under way

    @property
    def specs(self) -> list[FaultSpec]:
        return [fs.spec for fs in self._states]

    def step(self, t: float, view: str, phase: str, value: ValueFn, probe: Probe | None = None) -> None:
        """Continuous faults (`during = active | always`) for one frame."""
        active_now = set(self.active)
        for fs in self._states:
            f = fs.spec
            judged = view in f.views and f.during != "rep" and (
                f.during == "always" or phase in ("rep", "hold")) and (f.phase == "any" or phase == "hold")
            if judged and f.requires_any and not any(code in active_now for code in f.requires_any):
                judged = False
            ref = self.refs.reference(f) if judged else None
            v = value(f.metric) if judged and ref is not None else None
            if v is None:
                fs.last_measured_s = fs.run_since = None  # a level is held only while it is measured
                if fs.held is not None:
                    fs.held.gap()
                if not judged or ref is None:
                    fs.active, fs.pending_since, fs.cleared = False, None, False
                continue
            enter, exit_ = ref + self.refs.enter(f), ref + f.exit_threshold
            if probe is not None:
                fs.held = fs.held or HeldLevel(HELD_SHARE * f.min_duration_s * self._duration_scale,
                                               f.fault_if == "above")
                fs.held.add(t, v, probe)
            bad = v > enter if f.fault_if == "above" else v < enter
            self._note_run(fs, t, bad)
            # It must stay past the threshold for min_duration_s, and somewhere in that
            # stretch clear it by more than the noise (persistence and certainty); the same
            # for the stretch without a gap that a quick rep is judged on (only where one can
            # be). One verdict serves both.
            pending_unsure = bad and not fs.active and not fs.cleared
            if probe is not None and (pending_unsure or (fs.quick and bad and not fs.run_cleared)):
                clears = self._verdict(f, v, enter, ref, probe)[0] == "fault"
                fs.run_cleared = fs.run_cleared or clears
                if pending_unsure:
                    fs.cleared = clears
            if bad and fs.run_cleared:
                fs.longest_cleared_s = max(fs.longest_cleared_s, t - fs.run_since)
            good = v < exit_ if f.fault_if == "above" else v > exit_
            if fs.active:
                if good:
                    fs.active = False
                    self._cues.drop(f.code)
                continue
            if bad:
                if fs.pending_since is None:
                    fs.pending_since = t
                # (a hair of tolerance: frame times are floats, 11.7 - 11.6 < 0.1)
                if t - fs.pending_since >= f.min_duration_s * self._duration_scale - 1e-6 and (fs.cleared or probe is None):
                    fs.active, fs.pending_since, fs.active_since, fs.cleared = True, None, t, False
                    self._unit_active.add(f.code)  # context faults too: they are checks like any other
                    if f.kind != "context":  # context explains a reading; it is not said (a glance down)
                        self._queue_cue(f, v, enter, ref, t)
            else:
                fs.pending_since, fs.cleared = None, False
        self._refresh_active(t)

    def track_rep(self, rep: RepInProgress, view: str, value: ValueFn, probe: Probe | None = None,
                  depth: float | None = None) -> None:
        for fs in self._states:
            if view not in fs.spec.views:  # only what this view can judge (and cheaper)
                continue
            v = value(fs.spec.metric)
            if v is not None:
                rep.track(fs.spec.metric, v)
                if depth is not None:
                    rep.depth_seen[fs.spec.metric] = max(rep.depth_seen.get(fs.spec.metric, -np.inf), depth)
                if probe is not None and fs.spec.during == "rep":
                    self._note_worst(fs, v, probe)
        rep.faults += [code for code in self.active if code not in rep.faults]

    @staticmethod
    def _note_run(fs: _FaultState, t: float, bad: bool) -> None:
        """Time measured in the unit, and where the present stretch past the threshold
        without a gap began."""
        if fs.last_measured_s is not None:
            fs.judged_s += t - fs.last_measured_s
        fs.last_measured_s = t
        if not bad:
            fs.run_since, fs.run_cleared = None, False
        elif fs.run_since is None:
            fs.run_since, fs.run_cleared = t, False

    def judge_rep(self, rep: RepInProgress, view: str, t: float, deepest_within: float | None = None) -> list[str]:
        """The rep's faults: those seen during it plus the per-rep ones, superseded removed.
        Where two measurements of the same per-rep fault apply, both must find it: each
        one's blind spot is covered by the other (one past its threshold but within its noise
        does not veto one clear of it; one the camera cannot measure stands aside,
        and so does one never measured within `deepest_within` of the rep's deepest reading:
        its max or min says nothing of the rep's deepest point). A quick rep may show a
        continuous fault for less than its min_duration_s (fault_timing.QUICK_REP_SHARE)."""
        quick_ones = self._quick_rep_faults(rep, view)
        faults = list(rep.faults) + [fs.spec.code for fs in quick_ones]
        verdicts: dict[str, list[tuple[str, FaultSpec, float, float, float]]] = {}
        for fs in self._states:
            f = fs.spec
            if f.during != "rep" or view not in f.views:
                continue
            seen = rep.depth_seen.get(f.metric)
            if deepest_within is not None and seen is not None and seen < rep.peak - deepest_within:
                continue
            ref = self.refs.reference(f)
            agg = rep.max_values if f.aggregate == "max" else rep.min_values
            v = agg.get(f.metric)
            if ref is None or v is None or not np.isfinite(v):
                continue
            threshold = ref + self.refs.enter(f)
            bad = (v > threshold) if f.fault_if == "above" else (v < threshold)
            verdict = "clear"
            if bad:
                probe = fs.worst[1] if fs.worst is not None else None
                verdict = self._verdict(f, v, threshold, ref, probe, fresh=True)[0] if probe is not None else "fault"
            verdicts.setdefault(f.code, []).append((verdict, f, v, threshold, ref))
        for code, found in verdicts.items():
            judged = [x for x in found if x[0] != "not_judged"]
            # A reading past the threshold but within its noise ("unsure") leans the same way:
            # it does not veto one clear of the noise; a reading on the good side does.
            said = [verdict for verdict, *_ in judged]
            if "fault" in said and all(v in ("fault", "unsure") for v in said):
                judged = [x for x in judged if x[0] == "fault"]
                faults.append(code)
                _, f, v, threshold, ref = judged[0]
                self._queue_cue(f, v, threshold, ref, t, keep_s=2.0)
        superseded = {s for fs in self._states if fs.spec.code in faults for s in fs.spec.supersedes}
        for fs in quick_ones:  # said as the rep ends, unless a fault said instead supersedes it
            worst = fs.held.worst() if fs.held is not None else None
            ref = self.refs.reference(fs.spec)
            if fs.spec.code not in superseded and worst is not None and ref is not None:
                self._queue_cue(fs.spec, worst[0], ref + self.refs.enter(fs.spec), ref, t, keep_s=2.0)
        return [c for c in dict.fromkeys(faults) if c not in superseded]

    def _quick_rep_faults(self, rep: RepInProgress, view: str) -> list[_FaultState]:
        """Continuous faults a rep too quick to hold them for min_duration_s still showed,
        clear of the noise and without a gap, for most of the time each was measured in it."""
        found = []
        for fs in self._states:
            f = fs.spec
            if not fs.quick or view not in f.views or f.code in rep.faults:
                continue
            needed = must_last_in_rep(f, self._spec, fs.judged_s) * self._duration_scale
            if fs.longest_cleared_s > 0 and fs.longest_cleared_s >= needed - 1e-6:
                found.append(fs)
        return found

    def drop_unit(self) -> None:
        """A rep that ended as no rep (a glitch, too long, not the exercise): nothing of it
        is judged, and nothing of it carries into the next."""
        for fs in self._states:
            self._clear_unit(fs)

    @staticmethod
    def _clear_unit(fs: _FaultState) -> None:
        fs.worst = fs.held = None
        fs.judged_s, fs.longest_cleared_s = 0.0, 0.0

    def close_unit(self, t: float, reported: list[str]) -> list[Event]:
        """End of a rep or a stretch of sitting: one FaultCheck per fault judged in it, and
        a line for each fault the camera could not measure at all in it (once per fault:
        where a fault has two measurements, both must fail). `unit_judged` then says
        whether anything in the unit was judged."""
        events = []
        unit: list[tuple[FaultSpec, FaultCheck]] = []
        reported = set(reported) | self._unit_active
        self._unit_active = self._active_codes()  # still on: they belong to the next unit too
        for fs in self._states:
            worst = fs.held.worst() if fs.held is not None else fs.worst
            self._clear_unit(fs)
            if worst is None:
                continue
            f, (v, probe) = fs.spec, worst
            ref = self.refs.reference(f)
            if ref is None:
                continue
            threshold = ref + self.refs.enter(f)
            verdict, m, reason = self._verdict(f, v, threshold, ref, probe, fresh=True)
            if f.code in reported:
                verdict = "fault"
            elif verdict == "fault":  # past the threshold, but not for long enough to call
                verdict, reason = ("unsure", "") if self._judgeable(f, m) else ("not_judged", self._why(f, m, probe))
            check = FaultCheck(f.code, probe.t, v, threshold, m.noise if m else None, verdict, reason,
                               metric=f.metric, unit=METRICS[f.metric].unit)
            self.checks.append(check)
            unit.append((f, check))
        self.unit_judged = any(c.verdict != "not_judged" for _, c in unit)
        # Too close to call: an unsure check and none clear (where a fault has two
        # measurements, a clear one settles it, as in judge_rep).
        self.unit_unsure = [code for code in dict.fromkeys(f.code for f, _ in unit) if code not in reported
                            and any(c.verdict == "unsure" for g, c in unit if g.code == code)
                            and not any(c.verdict == "clear" for g, c in unit if g.code == code)]
        self.unit_not_judged = []
        for f, check in unit:
            same = [c for g, c in unit if g.code == f.code]
            if not all(c.verdict == "not_judged" for c in same) or f.code in self.unit_not_judged:
                continue
            self.unit_not_judged.append(f.code)
            if f.code not in self._told_not_judged:
                self._told_not_judged.add(f.code)
                events.append(Event(t, "info", "not_judged", f"{f.label}: not judged, {check.reason}", 1))
        return events

    def _active_codes(self) -> set[str]:
        return {fs.spec.code for fs in self._states if fs.active}

    def not_judged(self) -> dict[str, str]:
        """Faults never judged in this run (every check of them was not_judged), with why."""
        out: dict[str, str] = {}
        judged = {c.code for c in self.checks if c.verdict != "not_judged"}
        for c in self.checks:
            if c.verdict == "not_judged" and c.code not in judged:
                out.setdefault(c.code, c.reason)
        return out

    def _note_worst(self, fs: _FaultState, v: float, probe: Probe) -> None:
        # A per-rep fault is judged on the rep's aggregate (its max or min).
        higher = fs.spec.aggregate == "max"
        if fs.worst is None or (v > fs.worst[0] if higher else v < fs.worst[0]):
            fs.worst = (v, probe)

    def _measurement(self, f: FaultSpec, v: float, ref: float, probe: Probe, *,
                     fresh: bool = False) -> Measurement | None:
        cached = self._noise.get(f.metric)
        zero = METRICS[f.metric].plane_zero
        if cached is None or probe.t - cached[0] >= MEASURE_EVERY_S or cached[0] > probe.t or fresh:
            m = measure(METRICS[f.metric].fn, probe.pose, probe.make_context, value=v, plane_zero=zero,
                        yaw_deg=probe.yaw_deg, view=probe.view)
            self._noise[f.metric] = (probe.t, m)
            return m
        m = cached[1]
        if m is None:
            return None
        # The landmark part holds for a while; the view part depends on this reading.
        vn = 0.0 if zero is None else view_noise(v, zero, m.departure_deg)
        return replace(m, value=v, noise=float(np.hypot(m.landmark_noise, vn)), view_noise=vn)

    def _judgeable(self, f: FaultSpec, m: Measurement) -> bool:
        return m.measurable and bool(np.isfinite(m.noise)) and m.noise <= JUDGEABLE_SHARE * self.refs.size(f)

    def _why(self, f: FaultSpec, m: Measurement, probe: Probe) -> str:
        # The same people filmed larger: the noise shrinks with the size in the picture.
        by_noise = m.landmark_noise / (JUDGEABLE_SHARE * self.refs.size(f)) if self.refs.size(f) else 1.0
        needed = m.size_px * max(by_noise, MIN_SIZE_IN_SCATTERS * m.sigma_px / max(m.size_px, 1e-9))
        return why_not_judged(m, probe.view, needed_px=needed)

    def _verdict(self, f: FaultSpec, v: float, threshold: float, ref: float,
                 probe: Probe, *, fresh: bool = False) -> tuple[str, Measurement | None, str]:
        m = self._measurement(f, v, ref, probe, fresh=fresh)
        if m is None:
            return "clear", None, ""
        past = (v - threshold) if f.fault_if == "above" else (threshold - v)
        if m.measurable and np.isfinite(m.noise) and past > m.noise:  # clear of the noise, however large
            return "fault", m, ""
        if not self._judgeable(f, m):
            return "not_judged", m, self._why(f, m, probe)
        return ("unsure" if past > -m.noise else "clear"), m, ""

    def reset(self) -> None:
        """Nothing can be judged: no fault stays on, no cue waits."""
        for fs in self._states:
            fs.active, fs.pending_since, fs.worst, fs.cleared, fs.held = False, None, None, False, None
            fs.last_measured_s = fs.run_since = None  # a stretch does not go on across it
        self.active = ()
        self._unit_active = set()
        self._cues.clear()

    def _refresh_active(self, t: float) -> None:
        active = [fs.spec.code for fs in self._states if fs.active]
        superseded = {s for fs in self._states if fs.active for s in fs.spec.supersedes}
        # A context fault held past `sustained_s` is a posture fault after all (a head
        # bent over a phone for good, not a glance down).
        sustained = [fs for fs in self._states if fs.active and fs.spec.sustained_as
                     and t - fs.active_since >= fs.spec.sustained_s]
        self.active = tuple(dict.fromkeys([*(c for c in active if c not in superseded),
                                           *(fs.spec.sustained_as for fs in sustained)]))
        for code in superseded - {fs.spec.sustained_as for fs in sustained}:
            self._cues.drop(code)
        for fs in sustained:
            if fs.spec.sustained_as not in self._sustained_said:
                self._sustained_said.add(fs.spec.sustained_as)
                self._cues.queue(fs.spec.sustained_as, 2, fs.spec.cue, t)

    def _queue_cue(self, f: FaultSpec, value: float, threshold: float, reference: float, t: float,
                   keep_s: float | None = None) -> None:
        message = f.cue.format(value=value, threshold=threshold, target=reference, reference=reference)
        self._cues.queue(f.code, f.severity, message, t, keep_s)
