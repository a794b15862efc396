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

from dataclasses import dataclass, replace

import numpy as np

from ..engine.spec import FaultSpec
from ..pose.types import Pose, PoseFrame
from .clean_run import CleanRun, Unit, finite, majority_view, metric_of
from .moves import MOVES, Geo, Move, moved
from .sizing import driver_metric, good_value, must_last, peak, reference, solve, target, true_trace, weights

SMOOTHING_LAG_S = 0.25  # continuous faults are held this much longer than min_duration_s
UNREACHED_SHARE = 0.05  # a peak misses its target when off by more than this share of the threshold
# The view a rep's deepest point was seen from: the majority of the frames this close to it
# (a few frames either side, shorter than the shortest rep, 0.25 s).
PEAK_VIEW_S = 0.2
# A fault judged only while another is active (`requires_any`): the other one is injected
# too, the same in every run, at this size, full from this share of the way into each rep.
ENABLER_SIZE = 1.5
ENABLER_FROM = 0.1


@dataclass(frozen=True)
class Injected:
    frames: list[PoseFrame]
    targets: dict[tuple[int, str], float]  # (unit index, metric) -> the peak asked for
    weights: np.ndarray  # per frame, how much of the fault it got (0 = untouched)
    unreached: int  # (unit, spec) pairs whose peak could not reach the target (UNREACHED_SHARE)
    # Indices (in the units injected) where the measurement that set the move's size could
    # not reach its target: those units do not hold the fault at the size asked for.
    short_units: frozenset[int] = frozenset()


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
        at_peak = majority_view(run, unit.peak_s - PEAK_VIEW_S, unit.peak_s + PEAK_VIEW_S)
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
                    x[i] = finite(metric_of(f.metric, bounded(run, frames[i].pose, move, w[i] * P, g, rest), g,
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
    name = driver_metric(reps, unit)
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
