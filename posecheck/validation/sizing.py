"""How big an injected fault is, and where in a unit it is full.

A fault at `size` times its threshold peaks at `target` (good form plus `size` times the
threshold's distance from it). The peak is read on the true movement (`true_trace`, the
raw metric low-passed at TRUE_CUTOFF_HZ with zero phase) as the checker reads the fault:
the rep's max or min for a per-rep fault, the level held as long as the checker needs it
(`must_last`) for a continuous one. `weights` spread the move over a unit (full at a rep's
deepest point and for at least the time the fault must last; faded in and out of a hold;
ramped into a sitting block), and `solve` finds the move's size that reaches the target.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..engine.fault_timing import must_last_in_rep
from ..engine.spec import FaultSpec, for_view
from .clean_run import BLOCK_RAMP_S, CleanRun, Unit
from .perturb import NEUTRAL

TRUE_CUTOFF_HZ = 3.0  # the "true" movement: zero-phase low-pass of the raw metric
REP_FULL_FROM = 0.5  # a per-rep fault is full from half-way to the rep's peak on
HOLD_RAMP_S = 0.3  # bird-dog holds: the fault fades in and out this fast


# --- where in a unit ---------------------------------------------------------------------------

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
    name = driver_metric(run.spec.reps, unit)
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


def driver_metric(reps, unit: Unit) -> str:
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
    or in a rep too quick for it, most of the rep (fault_timing.QUICK_REP_SHARE), as it asks."""
    if unit.kind != "rep":
        return f.min_duration_s
    return must_last_in_rep(f, run.spec, phase_s(run, unit))


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
