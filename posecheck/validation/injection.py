"""Fault injection into real landmark recordings (issue 18, item 2).

A clean clip's raw poses get one fault added at a controlled size, where the fault lives:
during each squat or bridge rep (weighted by how far into the rep the body is, full at its
deepest or highest point and for at least the fault's min_duration_s), during each
bird-dog hold, and in a sustained block of a sitting clip (ramped in over a second). The
fault is a one-parameter landmark move (moves.py: the upper body rotated forward about the
hips, the heels rotated up about the toes, the knees moved toward the midline, ...), made
in world coordinates and carried to the image, so both stay consistent. Frame i of a unit
gets the move with parameter w_i * P, and P is solved (regula falsi, on the metric
function itself evaluated on the moved poses) so that the fault's peak reaches

    target = good + size * (threshold - good)

`threshold` is the checker's own (reference + enter: `Checker.limits_now` on the clean
run, with the profile the run is judged with) and `good` is good form: the reference, or for an absolute threshold the
fault's `neutral` (else perturb.NEUTRAL: a straight bridge 180 deg, a level limb 90 deg).
The peak is measured on the true movement, the raw metric low-passed at TRUE_CUTOFF_HZ
with zero phase, and is the fault's own: the rep's max or min for a per-rep fault, the
level held as long as the checker needs it to last for a continuous one (`must_last`: its
min_duration_s, or most of a quick rep). A per-rep fault is sized only by the
measurements whose view saw the rep's deepest point, as the checker judges it. The clip's
own landmark noise rides on top, as it would on a person who had the fault. No move takes
the body past where it rests (`bounded`): hips dropped below a bridge's line stop at the
floor, so a fault that would need them lower cannot be injected at that size there.

The clean run and every injected run are judged with one profile (`CleanRun.profile`):
`Profile()` (uncalibrated: default references, and the lenient `uncalibrated_enter`
thresholds), or the profile a user who calibrated on this very clip would have
(`calibrated_profile`: the product's own calibration rules, analysis.calibration_values,
on an uncalibrated run of the clean recording, as `posecheck calibrate` computes it). A
fault relative to the calibration is then injected relative to the calibrated threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..engine.analysis import build_report, calibration_values, run_checker
from ..engine.checker import Checker, FrameResult
from ..engine.faults import must_last_in_rep
from ..engine.metrics import METRICS, MetricContext
from ..engine.profiles import Profile
from ..engine.spec import ExerciseSpec, FaultSpec, for_view
from ..errors import PosecheckError
from ..pose.geometry import forward_sign, near_side
from ..pose.smoothing import OneEuroSmoother
from ..pose.tracking import Majority
from ..pose.types import Pose, PoseFrame
from .moves import MOVES, Geo, Move, image_scale, moved
from .perturb import NEUTRAL

TRUE_CUTOFF_HZ = 3.0  # the "true" movement: zero-phase low-pass of the raw metric
SMOOTHING_LAG_S = 0.25  # continuous faults are held this much longer than min_duration_s
REP_FULL_FROM = 0.5  # a per-rep fault is full from half-way to the rep's peak on
HOLD_RAMP_S = 0.3  # bird-dog holds: the fault fades in and out this fast
UNREACHED_SHARE = 0.05  # a peak misses its target when off by more than this share of the threshold
BLOCK_RAMP_S = 1.0  # sitting: the fault ramps in over a second...
LEAVE_S = 1.0  # ...and stops this long before the person gets up
# The view a rep's deepest point was seen from: the majority of the frames this close to it
# (a few frames either side, shorter than the shortest rep, 0.25 s).
PEAK_VIEW_S = 0.2
# A fault judged only while another is active (`requires_any`): the other one is injected
# too, the same in every run, at this size, full from this share of the way into each rep.
ENABLER_SIZE = 1.5
ENABLER_FROM = 0.1


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
            self._raw[name] = np.array([np.nan if g is None else _nan(metric_of(name, pf.pose, g, self.spec))
                                        for pf, g in zip(self.frames, self.geo)])
        return self._raw[name]


@dataclass(frozen=True)
class Injected:
    frames: list[PoseFrame]
    targets: dict[tuple[int, str], float]  # (unit index, metric) -> the peak asked for
    weights: np.ndarray  # per frame, how much of the fault it got (0 = untouched)
    unreached: int  # (unit, spec) pairs whose peak could not reach the target (UNREACHED_SHARE)
    # Indices (in the units injected) where the measurement that set the move's size could
    # not reach its target: those units do not hold the fault at the size asked for.
    short_units: frozenset[int] = frozenset()


# --- running the checker as the product does --------------------------------------------

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


def _nan(v: float | None) -> float:
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
                     _view(run, h["start_s"], h["end_s"]), names.get(h["side"], h["side"] or "left"))
                for h in rep["holds"]]
    return [Unit("rep", r["start_s"], r["end_s"], r["bottom_s"], _view(run, r["start_s"], r["end_s"]))
            for r in rep["reps"]]


def _view(run: CleanRun, a: float, b: float) -> str:
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
            return [Unit("posture", a, b, (a + b) / 2, _view(run, a, b))]
    return []


def weights(run: CleanRun, unit: Unit, hold_s: float, full_from: float | None = None) -> np.ndarray:
    """0..1 per frame: how much of the fault this frame gets (0 outside the unit); reps:
    full from `full_from` of the way to the rep's peak on when given."""
    t = run.times
    inside = (t >= unit.start_s) & (t <= unit.end_s)
    w = np.zeros(len(t))
    if unit.kind == "hold":
        w[inside] = np.clip(np.minimum(t - unit.start_s, unit.end_s - t)[inside] / HOLD_RAMP_S, 0, 1)
    elif unit.kind == "posture":  # sustained to the end of the stretch of sitting
        w[inside] = np.clip((t - unit.start_s)[inside] / BLOCK_RAMP_S, 0, 1)
    else:
        w[inside] = _depth_weights(run, unit, inside, hold_s, full_from)
    return w


def _depth_weights(run: CleanRun, unit: Unit, inside: np.ndarray, hold_s: float,
                   full_from: float | None = None) -> np.ndarray:
    """Reps: the share of the way from the rep's edges to its peak (the driver metric's true,
    low-passed trace), scaled so the full fault lasts at least `hold_s` around the peak (or
    is full from `full_from` of the way on)."""
    name = _driver(run.spec.reps, unit)
    idx = np.flatnonzero(inside)
    d = _fill(run.times[idx], true_trace(run.times, run.raw_metric(name))[idx])
    edge, top = max(d[0], d[-1]), int(np.argmax(d))
    frac = np.clip((d - edge) / max(d[top] - edge, 1e-9), 0, 1)
    if full_from is not None:
        return np.clip(frac / full_from, 0, 1)
    for q in (REP_FULL_FROM,) if hold_s <= 0 else (0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1):
        a = b = top
        while a > 0 and frac[a - 1] >= q:
            a -= 1
        while b < len(frac) - 1 and frac[b + 1] >= q:
            b += 1
        if run.times[idx[b]] - run.times[idx[a]] >= hold_s:
            break
    return np.clip(frac / q, 0, 1)


def _driver(reps, unit: Unit) -> str:
    """The rep's driver metric in the view the unit was seen from (else the spec's first)."""
    return for_view(reps.metric, unit.view) or next(iter(reps.metric.values()))


def _fill(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    ok = np.isfinite(x)
    return np.interp(t, t[ok], x[ok]) if ok.any() else np.zeros_like(x)


# --- references and targets ---------------------------------------------------------------

def reference(f: FaultSpec, run: CleanRun, t_s: float) -> tuple[float, float] | None:
    """The checker's reference and threshold for `f` at `t_s` (None: it has none, so it
    cannot judge the fault then): as the clean run had them, with its profile."""
    i = int(np.searchsorted(run.times, t_s, side="right")) - 1
    return run.limits[max(i, 0)].get((f.code, f.metric))


def good_value(f: FaultSpec, ref: float) -> float:
    """Good form: the reference, or for an absolute threshold the metric's neutral reading."""
    if f.reference is not None:
        return ref
    return f.good_value if f.good_value is not None else NEUTRAL.get(f.metric, 0.0)


def target(f: FaultSpec, ref: tuple[float, float], size: float) -> float:
    """The peak of a fault `size` times its threshold: size x the threshold's distance from good form."""
    good = good_value(f, ref[0])
    return good + size * (ref[1] - good)


def true_trace(t: np.ndarray, x: np.ndarray, cutoff_hz: float = TRUE_CUTOFF_HZ) -> np.ndarray:
    """The movement without the frame-to-frame noise (zero-phase low-pass, gaps bridged)."""
    from scipy.signal import butter, filtfilt

    ok = np.isfinite(x)
    if ok.sum() < 16:
        return x.copy()
    fs = 1.0 / float(np.median(np.diff(t[ok])))
    if cutoff_hz >= fs / 2:
        return x.copy()
    b, a = butter(2, cutoff_hz / (fs / 2))
    y = filtfilt(b, a, np.interp(t, t[ok], x[ok]))
    y[~ok] = np.nan
    return y


def phase_s(run: CleanRun, unit: Unit) -> float:
    """How long the clean run's checker was in the unit's rep or hold phase."""
    t = [r.t_s for r in run.results if r.phase in ("rep", "hold") and unit.start_s <= r.t_s <= unit.end_s]
    return t[-1] - t[0] if t else 0.0


def must_last(run: CleanRun, unit: Unit, f: FaultSpec) -> float:
    """How long the checker needs a continuous fault to last in this unit: min_duration_s,
    or in a rep too quick for it, most of the rep (faults.QUICK_REP_SHARE), as it asks."""
    if unit.kind != "rep" or run.spec.hold is not None:  # the checker's `quick` (checker._record_rep)
        return f.min_duration_s
    return must_last_in_rep(f, phase_s(run, unit))


def peak(y: np.ndarray, t: np.ndarray, f: FaultSpec, lasts_s: float | None = None) -> float:
    """The fault's own peak: the rep's aggregate, or the level held for `lasts_s` (by
    default min_duration_s: what the checker needs it to last)."""
    lasts_s = f.min_duration_s if lasts_s is None else lasts_s
    ok = np.isfinite(y)
    y, t = y[ok], t[ok]
    if not len(y):
        return np.nan
    if f.during == "rep":
        return float(y.max() if f.aggregate == "max" else y.min())
    sense = 1.0 if f.fault_if == "above" else -1.0
    z, best = sense * y, -np.inf
    for i in range(len(t)):
        j = int(np.searchsorted(t, t[i] + lasts_s, side="right"))
        if t[j - 1] - t[i] < lasts_s - 0.05:  # the rest of the unit is shorter than that
            break
        best = max(best, float(z[i:j].min()))
    return sense * (best if np.isfinite(best) else float(z.max()))


def solve(err: Callable[[float], float], bounds: tuple[float, float], tol: float,
          steps: int = 6) -> tuple[float, float]:
    """The parameter p where err(p) = 0 (err(0) is the clean clip), and how far off it stays:
    march from 0 toward each end of the range to the first crossing (a move can turn back,
    a thigh rotated past vertical), then Illinois regula falsi inside it."""
    e0 = err(0.0)
    if not np.isfinite(e0) or abs(e0) <= tol:
        return 0.0, abs(e0) if np.isfinite(e0) else np.inf
    best = (abs(e0), 0.0)
    for end in bounds:
        a, fa = 0.0, e0
        for k in range(1, steps + 1):
            b = end * k / steps
            fb = err(b)
            if not np.isfinite(fb):
                break
            best = min(best, (abs(fb), b))
            if np.sign(fb) != np.sign(fa):
                return _falsi(err, a, fa, b, fb, tol)
            if abs(fb) > abs(fa):  # moving away from the value: the other way
                break
            a, fa = b, fb
    return best[1], best[0]


def _falsi(err, a: float, fa: float, b: float, fb: float, tol: float) -> tuple[float, float]:
    side = 0
    for _ in range(40):
        c = b - fb * (b - a) / (fb - fa)
        fc = err(c)
        if not np.isfinite(fc):
            c = (a + b) / 2
            fc = err(c)
        if abs(fc) <= tol:
            return c, abs(fc)
        if np.sign(fc) == np.sign(fb):
            b, fb = c, fc
            fa, side = (fa / 2, side) if side == -1 else (fa, -1)
        else:
            a, fa, b, fb, side = b, fb, c, fc, 0
    return c, abs(fc)


# --- injection ----------------------------------------------------------------------------------

def inject(run: CleanRun, faults: list[FaultSpec], size: float, units: list[Unit] | None = None,
           full_from: float | None = None) -> Injected:
    """New raw frames with one fault (the specs of one code) at `size` times its threshold in
    every unit, as measured by the specs that judge the view the checker saw the unit from.
    In a unit frame i gets the move with parameter w_i * P (`weights`), and P is solved so
    that the fault's peak of the true metric (`true_trace`, `peak`) is the target; frames
    outside the units are the clean ones, unchanged. `full_from` (reps): the fault is full
    from that share of the way to the rep's peak on, not only around it."""
    t, frames = run.times, run.frames
    out = list(frames)
    targets: dict[tuple[int, str], float] = {}
    all_w = np.zeros(len(frames))
    unreached = 0
    short_units: set[int] = set()
    for k, unit in enumerate(run.units if units is None else units):
        # A per-rep fault is judged by the measurements that saw the rep's deepest point (the
        # checker stands the others aside: faults.judge_rep), so only those size it.
        at_peak = _view(run, unit.peak_s - PEAK_VIEW_S, unit.peak_s + PEAK_VIEW_S)
        specs = [f for f in faults if unit.view in f.views and (f.during != "rep" or at_peak in f.views)]
        if not specs:
            continue
        move, bounds = MOVES[specs[0].metric]
        assert all(MOVES[f.metric][0] is move for f in specs), "one fault in one view, one landmark move"
        active = [f.min_duration_s for f in specs if f.during != "rep"]
        w = weights(run, unit, max(active) + SMOOTHING_LAG_S if active else 0.0, full_from)
        span = (t >= unit.start_s) & (t <= unit.end_s)
        geo = {int(i): Geo(g.side, g.forward, unit.lifted, g.scale)
               for i in np.flatnonzero(w > 0) if (g := run.geo[i]) is not None}
        rest = resting_bound(run, unit)
        solved: list[tuple[float, bool, bool]] = []  # (P, whether P > 0 makes it worse, target missed)
        for f in specs:
            ref = reference(f, run, unit.start_s)
            if ref is None or not np.isfinite(run.raw_metric(f.metric)[span]).any():
                continue
            targets[(k, f.metric)] = goal = target(f, ref, size)
            size_of = abs(ref[1] - good_value(f, ref[0]))  # the threshold's distance from good form

            def err(P: float, f=f, goal=goal) -> float:
                x = run.raw_metric(f.metric).copy()
                for i, g in geo.items():
                    x[i] = _nan(metric_of(f.metric, bounded(run, frames[i].pose, move, w[i] * P, g, rest), g,
                                          run.spec))
                return peak(true_trace(t, x)[span], t[span], f, must_last(run, unit, f)) - goal

            P, miss = solve(err, bounds, 1e-3 * size_of)
            worse_if_clean_better = (err(0.0) < 0) == (f.fault_if == "above")
            missed = miss > UNREACHED_SHARE * size_of
            solved.append((P, (P > 0) == worse_if_clean_better, missed))
            unreached += missed
        if not solved:
            continue
        # Several measurements of one fault: all of them past 1.5x, none of them past 0.5x.
        worse_up = solved[0][1]
        ps = [P for P, _, _ in solved]
        P = (max(ps) if worse_up else min(ps)) if size >= 1 else (min(ps) if worse_up else max(ps))
        if any(missed for p, _, missed in solved if p == P):
            short_units.add(k)
        all_w = np.maximum(all_w, w)
        for i, g in geo.items():
            pf = frames[i]
            out[i] = PoseFrame(pf.timestamp_ms, pf.index, bounded(run, pf.pose, move, w[i] * P, g, rest), pf.frame)
    return Injected(out, targets, all_w, unreached, frozenset(short_units))


def resting_bound(run: CleanRun, unit: Unit) -> tuple[str, float] | None:
    """A rep's driver at rest is where the body cannot go past: lying on the floor (a
    bridge's hips), standing straight (a squat's). The bound is the lowest the clean rep's
    driver came (its true trace over the rep: the level it started from and went back to).
    None for holds, sitting and drivers with no resting level."""
    reps = run.spec.reps
    if unit.kind != "rep" or reps is None or reps.baseline != "rest":
        return None
    name = _driver(reps, unit)
    span = (run.times >= unit.start_s) & (run.times <= unit.end_s)
    d = true_trace(run.times, run.raw_metric(name))[span]
    return (name, float(np.nanmin(d))) if np.isfinite(d).any() else None


def bounded(run: CleanRun, pose: Pose, move: Move, p: float, g: Geo, rest: tuple[str, float] | None,
            steps: int = 12) -> Pose:
    """The pose moved by `p`, or by as much of it as keeps the rep's driver at or above its
    resting bound (`resting_bound`): hips dropped below the shoulder-knee line stop at the
    floor. A fault that needs the body past it cannot be injected at that size: the solve
    then misses its target and the unit is not scored (`Injected.short_units`)."""
    out = moved(pose, move, p, g)
    if rest is None or p == 0:
        return out
    name, floor = rest
    d = metric_of(name, out, g, run.spec)
    if d is None or d >= floor:
        return out
    d0 = metric_of(name, pose, g, run.spec)
    if d0 is None or d0 <= floor:  # already there (or below, by the clip's noise): not moved
        return pose
    lo, hi = 0.0, p  # the largest share of p that stays above the bound
    for _ in range(steps):
        mid = (lo + hi) / 2
        dm = metric_of(name, moved(pose, move, mid, g), g, run.spec)
        lo, hi = (mid, hi) if dm is not None and dm >= floor else (lo, mid)
    return moved(pose, move, lo, g)


def inject_enabled(run: CleanRun, faults: list[FaultSpec], size: float, units: list[Unit],
                   enabler: list[FaultSpec]) -> tuple[Injected, Injected]:
    """A fault the checker judges only while another is active (`requires_any`: squatting
    past one's calibrated depth only while the heels lift or the trunk leans) cannot be
    injected alone. This fault is injected at `size`, then the other one (`enabler`, the
    specs of one code) on top of it, sized on the moved pose: at ENABLER_SIZE its threshold,
    full from ENABLER_FROM of the way into each rep (a compensation under way before the
    bottom, long enough to become active), the same size for every size of this fault. (In
    the other order a deeper squat inclines the shins, and a trunk lean sized on the clean
    pose fell back under its threshold at the bottom, where the two must meet.) Returns
    (both, with this fault's targets; the enabler's own injection on top of it)."""
    top = inject(run, faults, size, units)
    both = inject(replace(run, frames=list(top.frames), _raw={}), enabler, ENABLER_SIZE, units,
                  full_from=ENABLER_FROM)
    return Injected(both.frames, top.targets, np.maximum(both.weights, top.weights), top.unreached,
                    top.short_units | both.short_units), both


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
