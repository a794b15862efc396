"""The clean run of a clip that fault injection starts from, and the units faults live in.

A clean clip's raw landmark recording is replayed as the product does (One-Euro smoothing,
then the checker, with one profile: `Profile()` uncalibrated, or the profile of a user who
calibrated on this very clip, `calibrated_profile`). From it: the units a fault is put into
(each squat or bridge rep, each bird-dog hold, one sitting block), the near side, facing
and image scale of every frame (what a landmark move needs), and the reference and
threshold of every fault the checker can judge at each moment. `reported` and `unit_seen`
read an (injected) run's report against a unit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..engine.analysis import build_report, calibration_values, run_checker
from ..engine.checker import Checker, FrameResult
from ..engine.metrics import METRICS, MetricContext
from ..engine.profiles import Profile
from ..engine.spec import ExerciseSpec
from ..errors import PosecheckError
from ..pose.geometry import forward_sign, near_side
from ..pose.smoothing import OneEuroSmoother
from ..pose.tracking import Majority
from ..pose.types import Pose, PoseFrame
from .moves import Geo, image_scale

BLOCK_RAMP_S = 1.0  # sitting: the fault ramps in over a second...
LEAVE_S = 1.0  # ...and stops this long before the person gets up


@dataclass(frozen=True)
class Unit:
    kind: str  # rep | hold | posture
    start_s: float
    end_s: float
    peak_s: float
    view: str  # the view the checker judged it in (majority)
    lifted: str = "left"


@dataclass
class CleanRun:
    spec: ExerciseSpec
    frames: list[PoseFrame]
    results: list[FrameResult]
    report: dict
    times: np.ndarray
    geo: list[Geo | None]
    limits: list[dict[tuple[str, str], tuple[float, float]]]  # (code, metric) -> (reference, threshold)
    units: list[Unit]
    profile: Profile = field(default_factory=Profile)  # what the clean and injected runs are judged with
    _raw: dict[str, np.ndarray] = field(default_factory=dict)

    def raw_metric(self, name: str) -> np.ndarray:
        """The metric on every raw frame (nan where it cannot be measured)."""
        if name not in self._raw:
            self._raw[name] = np.array([np.nan if g is None else finite(metric_of(name, pf.pose, g, self.spec))
                                        for pf, g in zip(self.frames, self.geo)])
        return self._raw[name]


# --- the clean run, as the product makes it --------------------------------------------

def check(frames: list[PoseFrame], spec: ExerciseSpec,
          profile: Profile | None = None) -> tuple[dict, list[FrameResult]]:
    """One-Euro smoothing then the checker with `profile` (None: uncalibrated); the report
    and per-frame results. Injected runs pass the clean run's profile (`run.profile`)."""
    checker = Checker(spec, profile or Profile())
    results = run_checker(OneEuroSmoother()(frames), checker)
    return build_report(checker, results, source=None, model="full", user="default"), results


def calibrated_profile(frames: list[PoseFrame], spec: ExerciseSpec, source_name: str = "the input") -> Profile:
    """The profile of a user who ran `posecheck calibrate <exercise>` on these (raw) frames:
    as analysis.calibrate does, an uncalibrated checker on the One-Euro smoothed frames, then
    the spec's [calibration] rules (analysis.calibration_values) stored with Profile.update.
    Raises PosecheckError when the spec has nothing to calibrate or the rules find nothing."""
    if not spec.calibration:
        raise PosecheckError(f"{spec.name} has nothing to calibrate")
    checker = Checker(spec, Profile())  # defaults only, as analysis.calibrate
    results = run_checker(OneEuroSmoother()(frames), checker)
    profile = Profile()
    profile.update(spec.name, calibration_values(spec, checker, results, source_name=source_name))
    return profile


def prepare(frames: list[PoseFrame], spec: ExerciseSpec, profile: Profile | None = None) -> CleanRun:
    """The clean run, as the product makes it with `profile` (None: uncalibrated), with what
    injection needs from each frame: the checker's near side and facing (a 1 s majority, as
    it keeps them), the image scale, and the reference and threshold of every fault it can
    judge at that moment."""
    profile = profile or Profile()
    checker = Checker(spec, profile)
    side, fwd = Majority(1.0), Majority(1.0)
    views = sorted({v for f in spec.faults for v in f.views})
    results, geo, limits = [], [], []
    for pf in OneEuroSmoother()(frames):
        results.append(checker.update(pf))
        limits.append({(lim["code"], lim["metric"]): (lim["reference"], lim["limit"])
                       for view in views for lim in checker.limits_now(view, {})})
        if pf.pose is None:
            geo.append(None)
            continue
        t = pf.timestamp_ms / 1000
        forward = float(fwd.update(t, "+" if forward_sign(pf.pose) > 0 else "-") + "1")
        geo.append(Geo(side.update(t, near_side(pf.pose)), forward, "left", image_scale(pf.pose)))
    checker.finish()
    report = build_report(checker, results, source=None, model="full", user="default")
    times = np.array([pf.timestamp_ms / 1000 for pf in frames])
    run = CleanRun(spec, list(frames), results, report, times, geo, limits, [], profile)
    run.units = find_units(run)
    return run


def metric_of(name: str, pose: Pose, g: Geo, spec: ExerciseSpec) -> float | None:
    return METRICS[name].fn(pose, MetricContext(pose, g.side, g.forward, spec.exercise.min_visibility))


def finite(v: float | None) -> float:
    return np.nan if v is None or not np.isfinite(v) else float(v)


# --- where faults live ---------------------------------------------------------------------

def find_units(run: CleanRun) -> list[Unit]:
    """Reps (squat, bridge), holds (bird-dog) or one sitting block, from the clean run."""
    spec, rep = run.spec, run.report
    if spec.exercise.mode == "posture":
        return _sitting_block(run)
    if spec.hold is not None and any(f.phase == "hold" for f in spec.faults):
        names = {v: k for k, v in spec.hold.side_names.items()}
        return [Unit("hold", h["start_s"], h["end_s"], (h["start_s"] + h["end_s"]) / 2,
                     majority_view(run, h["start_s"], h["end_s"]), names.get(h["side"], h["side"] or "left"))
                for h in rep["holds"]]
    return [Unit("rep", r["start_s"], r["end_s"], r["bottom_s"], majority_view(run, r["start_s"], r["end_s"]))
            for r in rep["reps"]]


def majority_view(run: CleanRun, a: float, b: float) -> str:
    views = Counter(r.view for r in run.results if r.judged and a <= r.t_s <= b)
    return views.most_common(1)[0][0] if views else "none"


def _sitting_block(run: CleanRun) -> list[Unit]:
    """The longest upright stretch in the second half of the clip, after the session baseline,
    and a second short of its end unless the clip ends it (getting up is not sitting)."""
    spans = [p for p in run.report.get("posture", []) if p["state"] == "upright"]
    if not spans:
        return []
    # A session baseline is taken only for what the profile has no value of.
    baseline_s = max([f.session_baseline_s or 0.0 for f in run.spec.faults
                      if f.profile_key is None or run.profile.get(f.profile_key) is None], default=0.0)
    settle = spans[0]["start_s"] + baseline_s + 1.0
    ends = [p["end_s"] if p["end_s"] >= run.times[-1] - 0.05 else p["end_s"] - LEAVE_S for p in spans]
    for earliest in (max(settle, run.times[-1] / 2), settle):
        blocks = [(max(p["start_s"], earliest), end) for p, end in zip(spans, ends)]
        a, b = max(blocks, key=lambda ab: ab[1] - ab[0])
        if b - a >= BLOCK_RAMP_S + 1.5:
            return [Unit("posture", a, b, (a + b) / 2, majority_view(run, a, b))]
    return []


# --- reading the verdict ------------------------------------------------------------------------

def _same(unit: Unit, item: dict) -> bool:
    """Is this rep, hold or posture span of a report the unit: its deepest point in the unit,
    or more than half of the shorter of the two shared?"""
    if "bottom_s" in item and unit.start_s <= item["bottom_s"] <= unit.end_s:
        return True
    shared = min(unit.end_s, item["end_s"]) - max(unit.start_s, item["start_s"])
    return shared > 0.5 * min(unit.end_s - unit.start_s, item["end_s"] - item["start_s"])


def reported(report: dict, code: str, unit: Unit, grace_s: float = 0.5) -> bool:
    """Did the checker report `code` for this unit: in the faults of the rep, hold or posture
    span that is the unit, as its fault check's verdict, or as a cue while it lasted?"""
    a, b = unit.start_s, unit.end_s
    items = report.get("reps", []) + report.get("holds", []) + report.get("posture", [])
    if any(code in item["faults"] and _same(unit, item) for item in items):
        return True
    if any(c["code"] == code and c["verdict"] == "fault" and a <= c["t_s"] <= b + grace_s
           for c in report.get("fault_checks", [])):
        return True
    return any(e["kind"] == "cue" and e["code"] == code and a <= e["t_s"] <= b + grace_s
               for e in report.get("events", []))


def unit_seen(report: dict, unit: Unit) -> bool:
    """Is the unit still a rep, a hold or a judged posture span in this (injected) run?"""
    items = {"rep": report.get("reps", []), "hold": report.get("holds", [])}.get(unit.kind) or \
        [p for p in report.get("posture", []) if p["state"] in ("upright", "slouched")]
    return any(_same(unit, item) for item in items)
