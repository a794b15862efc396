"""The checker stage: `Checker(spec, profile).update(pose_frame) -> FrameResult`.

One engine runs every exercise spec. Per frame it (1) works out whether a check is
possible at all (a person, a suitable camera view, the landmarks a metric needs), and
if not says what is wrong with the view; (2) computes the spec's metrics; (3) steps the
rep and hold state machines; (4) steps each fault's hysteresis; (5) picks at most one
corrective cue, by severity, never repeating the same cue within `cue_repeat_s`.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from .cues import CueArbiter
from .events import Event, HoldSummary, PostureSpan, RepSummary
from .geometry import classify_position, classify_view, forward_sign, near_side
from .metrics import METRICS, MetricContext
from .posture import MotionDetector, PostureTimeline
from .profiles import Profile
from .spec import ExerciseSpec, FaultSpec, for_view
from .types import PoseFrame

# Which landmarks, when hidden, call for which request to the user.
_HIDDEN_CUES = (
    ({"left_heel", "right_heel", "left_foot_index", "right_foot_index", "left_ankle", "right_ankle"},
     "feet_hidden", "Step back so your feet are in view"),
    ({"left_knee", "right_knee"}, "knees_hidden", "Step back so your knees are in view"),
    ({"left_ear", "right_ear", "nose"}, "head_hidden", "Make sure your head is in view"),
    ({"left_wrist", "right_wrist", "left_elbow", "right_elbow"}, "arms_hidden", "Keep your arms in view"),
)


@dataclass
class FrameResult:
    t_s: float
    has_pose: bool
    view: str
    position: str
    judged: bool  # were the checks possible in this frame?
    phase: str  # rest | rep | hold | posture
    metrics: dict[str, float]
    active_faults: tuple[str, ...]
    events: list[Event]
    posture_state: str | None = None
    rep_count: int = 0


class _Majority:
    """Most common label over the last `window_s` seconds (labels flicker frame to frame)."""

    def __init__(self, window_s: float = 1.0, share: float = 0.6) -> None:
        self.window_s = window_s
        self.share = share
        self.items: deque[tuple[float, str]] = deque()
        self.value: str | None = None

    def update(self, t_s: float, label: str) -> str | None:
        self.items.append((t_s, label))
        while self.items and t_s - self.items[0][0] > self.window_s:
            self.items.popleft()
        label, count = Counter(lbl for _, lbl in self.items).most_common(1)[0]
        if self.value is None or count / len(self.items) >= self.share:
            self.value = label
        return self.value


@dataclass
class _FaultState:
    spec: FaultSpec
    active: bool = False
    pending_since: float | None = None


@dataclass
class _Rep:
    start_s: float
    side: str | None = None
    peak: float = -np.inf
    peak_s: float = 0.0
    max_values: dict[str, float] = field(default_factory=dict)
    min_values: dict[str, float] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)


@dataclass
class _Hold:
    start_s: float
    side: str | None
    good_s: float = 0.0
    last_s: float = 0.0
    faults: list[str] = field(default_factory=list)
    target_announced: bool = False


class Checker:
    def __init__(self, spec: ExerciseSpec, profile: Profile | None = None, *, cue_repeat_s: float = 5.0,
                 cue_gap_s: float = 1.5, view_grace_s: float = 1.5, view_repeat_s: float = 10.0,
                 posture_min_state_s: float = 0.5, label_window_s: float = 1.0) -> None:
        self.spec = spec
        self.profile = profile or Profile()
        self.cue_repeat_s = cue_repeat_s
        self.cue_gap_s = cue_gap_s
        self.view_grace_s = view_grace_s
        self.view_repeat_s = view_repeat_s
        info = spec.exercise
        self._min_vis = info.min_visibility
        self._views = set(info.views)
        # View, position and side flicker frame to frame: each is the majority over
        # `label_window_s` (a sparse sampler passes its interval: every sample counts).
        self._view = _Majority(label_window_s)
        self._position = _Majority(label_window_s)
        self._side = _Majority(label_window_s)
        self._forward = _Majority(label_window_s)
        self._faults = [_FaultState(f) for f in spec.faults]
        self._baselines: dict[str, deque] = {}
        self._last_rest_position_s: float | None = None
        self._below_exit_s: float | None = None
        self._rep: _Rep | None = None
        self._hold: _Hold | None = None
        self._cues = CueArbiter(repeat_s=cue_repeat_s, gap_s=cue_gap_s)
        self._active: tuple[str, ...] = ()  # active fault codes, superseded ones removed
        self._problem: tuple[str, float, float] | None = None  # (code, since, last said)
        self._last_t = 0.0
        self._last_driver: tuple[str, float] | None = None
        self._timeline = PostureTimeline(posture_min_state_s)
        self._motion = MotionDetector()
        self.reps: list[RepSummary] = []
        self.holds: list[HoldSummary] = []
        self.events: list[Event] = []
        self._announce_calibration()

    # --- public -------------------------------------------------------------------------

    @property
    def posture(self) -> list[PostureSpan]:
        return self._timeline.spans

    def update(self, pf: PoseFrame) -> FrameResult:
        t = pf.timestamp_ms / 1000.0
        dt = max(0.0, t - self._last_t) if self._last_t else 0.0
        self._last_t = t
        new_events: list[Event] = []
        pose = pf.pose
        if pose is None:
            return self._no_judgement(t, new_events, "no_person", "Step into the camera's view",
                                      view="unknown", position="unknown", has_pose=False)

        view = self._view.update(t, classify_view(pose).family)
        position = self._position.update(t, classify_position(pose).value)
        side = self._side.update(t, near_side(pose))
        forward = float(self._forward.update(t, "+" if forward_sign(pose) > 0 else "-") + "1")
        if self.spec.exercise.mode == "posture" and self._motion.moving(t, pose):
            return self._posture_not_sitting(t, view, position, {}, new_events)
        if view not in self._views:
            return self._no_judgement(t, new_events, "wrong_view", self._wrong_view_cue(view),
                                      view=view, position=position)

        ctx = MetricContext(pose, side, forward, self._min_vis)
        metrics: dict[str, float] = {}

        def value(name: str) -> float | None:
            if name not in metrics:
                v = METRICS[name].fn(pose, ctx)
                metrics[name] = v
            return metrics[name]

        if self.spec.exercise.mode == "posture":
            return self._posture_frame(t, dt, view, position, ctx, value, metrics, new_events)

        # --- reps ---
        driver_name = for_view(self.spec.reps.metric, view) if self.spec.reps else None
        driver = value(driver_name) if driver_name else None
        self._last_driver = (view, driver) if driver is not None else None
        hold_value = value(self.spec.hold.metric) if self.spec.hold else None
        needed = driver if self.spec.reps else hold_value
        if needed is None:
            code, message = self._hidden_cue(ctx.missing)
            return self._no_judgement(t, new_events, code, message, view=view, position=position,
                                      metrics=metrics)
        self._problem = None

        if position == self.spec.exercise.position and self._rep is None and self._hold is None:
            self._last_rest_position_s = t
        in_rep = self._step_rep(t, view, driver, ctx, value, new_events) if self.spec.reps else False
        in_hold = self._step_hold(t, dt, hold_value, ctx, new_events) if self.spec.hold else False
        phase = "hold" if in_hold else ("rep" if in_rep else "rest")
        if phase == "rest":
            self._collect_baselines(value)
        self._step_faults(t, view, phase, value, new_events)
        self._track_rep_values(value)
        self._emit_cue(t, new_events)
        return FrameResult(t, True, view, position, True, phase, _clean(metrics), self._active_codes(),
                           new_events, rep_count=len(self.reps))

    def hold_progress(self, t_s: float) -> dict | None:
        """The hold under way, for a live timer: seconds held, seconds with good form, target."""
        if self._hold is None or not self.spec.hold:
            return None
        return {"elapsed_s": round(t_s - self._hold.start_s, 2), "good_s": round(self._hold.good_s, 2),
                "target_s": list(self.spec.hold.target_s)}

    def finish(self) -> None:
        """Close whatever is open at the end of the input: a hold cut by the clip's end,
        and a rep whose way back up has already passed the rep-start threshold."""
        if self._rep is not None and self._last_driver is not None:
            view, driver = self._last_driver
            if driver < for_view(self.spec.reps.enter, view) and self._rep.peak > driver:
                self._finish_rep(self._last_t, view, [])
        if self._hold is not None:
            self._end_hold(self._last_t, [])
        if self.spec.exercise.mode == "posture":
            self._timeline.close(self._last_t)

    # --- gating and view guidance ---------------------------------------------------------

    def _wrong_view_cue(self, view: str) -> str:
        cues = self.spec.view_cues
        if view in ("oblique", "unknown"):
            return cues.get("oblique", cues.get("wrong_view", "Adjust the camera so your whole body is in view"))
        return cues.get(f"from_{view}", cues.get("wrong_view", "Adjust the camera"))

    def _hidden_cue(self, missing: set[str]) -> tuple[str, str]:
        for names, code, message in _HIDDEN_CUES:
            if missing & names:
                return code, message
        return "body_hidden", "Step back so your whole body is in view"

    def _no_judgement(self, t: float, new_events: list[Event], code: str, message: str, *, view: str,
                      position: str, has_pose: bool = True, metrics: dict | None = None) -> FrameResult:
        self._abort_rep()  # a rep cannot go on unseen
        if self._hold is not None:
            self._end_hold(t, new_events)
        self._reset_faults()
        if self._problem is None or self._problem[0] != code:
            self._problem = (code, t, -1e9)
        code_, since, said = self._problem
        if t - since >= self.view_grace_s and t - said >= self.view_repeat_s:
            self._emit(Event(t, "view", code, message, 1), new_events)
            self._problem = (code_, since, t)
        state = None
        if self.spec.exercise.mode == "posture":
            state = self._set_posture_state(t, "not_visible", [])
        return FrameResult(t, has_pose, view, position, False, "rest", _clean(metrics or {}), (),
                           new_events, posture_state=state, rep_count=len(self.reps))

    # --- reps and holds --------------------------------------------------------------------

    def _step_rep(self, t, view, driver, ctx, value, new_events) -> bool:
        reps = self.spec.reps
        enter, exit_ = for_view(reps.enter, view), for_view(reps.exit, view)
        if self._rep is None:
            if driver <= exit_:
                self._below_exit_s = t
            started_from_rest = (self._last_rest_position_s is not None
                                 and t - self._last_rest_position_s <= 3.0)
            if driver > enter and self._below_exit_s is not None and started_from_rest:
                self._rep = _Rep(start_s=self._below_exit_s)
        if self._rep is None:
            return False
        rep = self._rep
        if driver > rep.peak:
            rep.peak, rep.peak_s = driver, t
            rep.side = ctx.extras.get("lifted_side", rep.side)
        if t - rep.start_s > reps.max_duration_s:
            self._abort_rep()
            return False
        if driver < exit_:
            self._finish_rep(t, view, new_events)
            self._below_exit_s = t
            return False
        return True

    def _track_rep_values(self, value) -> None:
        if self._rep is None:
            return
        for fs in self._faults:
            v = value(fs.spec.metric)
            if v is None:
                continue
            name = fs.spec.metric
            self._rep.max_values[name] = max(self._rep.max_values.get(name, -np.inf), v)
            self._rep.min_values[name] = min(self._rep.min_values.get(name, np.inf), v)
        for code in self._active_codes():
            if code not in self._rep.faults:
                self._rep.faults.append(code)

    def _abort_rep(self) -> None:
        self._rep = None
        self._below_exit_s = None

    def _finish_rep(self, t, view, new_events) -> None:
        rep, self._rep = self._rep, None
        if t - rep.start_s < self.spec.reps.min_duration_s:
            return
        faults = list(rep.faults)
        for fs in self._faults:
            f = fs.spec
            if f.during != "rep" or view not in f.views:
                continue
            ref = self._reference(f)
            if ref is None:
                continue
            agg = rep.max_values if f.aggregate == "max" else rep.min_values
            v = agg.get(f.metric)
            if v is None or not np.isfinite(v):
                continue
            threshold = ref + f.enter
            if (v > threshold) if f.fault_if == "above" else (v < threshold):
                faults.append(f.code)
                self._queue_cue(f, v, threshold, ref, t, keep_s=2.0)
        superseded = {s for fs in self._faults if fs.spec.code in faults for s in fs.spec.supersedes}
        faults = [c for c in dict.fromkeys(faults) if c not in superseded]
        metrics = {f"max_{k}": v for k, v in rep.max_values.items() if np.isfinite(v)}
        metrics |= {f"min_{k}": v for k, v in rep.min_values.items() if np.isfinite(v)}
        summary = RepSummary(index=len(self.reps) + 1, start_s=rep.start_s, end_s=t, bottom_s=rep.peak_s,
                             side=self._side_name(rep.side), faults=faults, metrics=metrics)
        self.reps.append(summary)
        if faults:
            names = ", ".join(c.replace("_", " ") for c in faults)
            self._emit(Event(t, "rep", "rep_with_faults", f"Rep {summary.index}: {names}", 1), new_events)
        else:
            self._emit(Event(t, "rep", "good_rep", f"Rep {summary.index}: {self.spec.reps.good_rep_cue}", 1),
                       new_events)

    def _side_name(self, side: str | None) -> str | None:
        """'right leg + left arm' for per-side exercises; None where sides do not matter."""
        hold = self.spec.hold
        if side is None or hold is None or not hold.per_side:
            return None
        return hold.side_names.get(side, side)

    def _step_hold(self, t, dt, hold_value, ctx, new_events) -> bool:
        hold = self.spec.hold
        if self._hold is None:
            if hold_value is not None and hold_value >= hold.enter and (
                    self._rep is not None or not self.spec.reps):
                self._hold = _Hold(start_s=t, side=ctx.extras.get("lifted_side"), last_s=t)
            return self._hold is not None
        h = self._hold
        if hold_value is None or hold_value < hold.exit:
            self._end_hold(t, new_events)
            return False
        if not self._active_codes():
            h.good_s += dt
        h.last_s = t
        for code in self._active_codes():
            if code not in h.faults:
                h.faults.append(code)
        if not h.target_announced and h.good_s >= hold.target_s[0]:
            h.target_announced = True
            self._emit(Event(t, "hold", "hold_target_reached",
                             f"{h.good_s:.0f} s: target reached, hold up to {hold.target_s[1]:.0f} s", 1),
                       new_events)
        return True

    def _end_hold(self, t, new_events) -> None:
        h, self._hold = self._hold, None
        hold = self.spec.hold
        if h is None or h.last_s - h.start_s < hold.min_duration_s:
            return
        side = self._side_name(h.side)
        summary = HoldSummary(start_s=h.start_s, end_s=h.last_s, side=side, good_s=h.good_s,
                              target_s=tuple(hold.target_s), faults=h.faults)
        if hold.alternate and hold.per_side and self.holds and self.holds[-1].side == side:
            self._emit(Event(t, "info", "alternate_sides", "Switch sides: alternate left and right", 1),
                       new_events)
        self.holds.append(summary)
        lo, hi = hold.target_s
        verdict = "short of" if h.good_s < lo else ("past" if h.good_s > hi else "within")
        where = f" ({side})" if side else ""
        self._emit(Event(t, "hold", f"hold_{verdict.split()[0]}",
                         f"Held {summary.duration_s:.1f} s{where}, {h.good_s:.1f} s with good form; "
                         f"{verdict} the {lo:.0f}-{hi:.0f} s target", 1), new_events)

    # --- faults ------------------------------------------------------------------------------

    def _announce_calibration(self) -> None:
        keys = sorted({f.reference.split(":", 1)[1] for f in self.spec.faults
                       if f.reference and f.reference.startswith("profile:")})
        missing = [k for k in keys if self.profile.get(k) is None]
        if missing:
            self.events.append(Event(0.0, "info", "not_calibrated",
                                     f"Not calibrated for {self.spec.name}: using default targets "
                                     f"(run `posecheck calibrate {self.spec.name}` for your own)", 1))

    def _reference(self, f: FaultSpec) -> float | None:
        if f.reference is None:
            return 0.0
        if f.reference == "baseline":
            values = self._baselines.get(f.metric)
            return float(np.median(values)) if values and len(values) >= 5 else None
        value = self.profile.get(f.reference.split(":", 1)[1])
        if value is None:
            return None if f.requires_reference else f.default_reference
        return value

    def _collect_baselines(self, value) -> None:
        for fs in self._faults:
            if fs.spec.reference == "baseline":
                v = value(fs.spec.metric)
                if v is not None:
                    self._baselines.setdefault(fs.spec.metric, deque(maxlen=60)).append(v)

    def _step_faults(self, t, view, phase, value, new_events) -> None:
        active_now = set(self._active_codes())
        for fs in self._faults:
            f = fs.spec
            judged = view in f.views and f.during != "rep" and (
                f.during == "always" or phase in ("rep", "hold")) and (f.phase == "any" or phase == "hold")
            if judged and f.requires_any and not (active_now & set(f.requires_any)):
                judged = False
            ref = self._reference(f) if judged else None
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
                if t - fs.pending_since >= f.min_duration_s:
                    fs.active, fs.pending_since = True, None
                    self._queue_cue(f, v, enter, ref, t)
            else:
                fs.pending_since = None
        self._refresh_active()

    def _active_codes(self) -> tuple[str, ...]:
        return self._active

    def _refresh_active(self) -> None:
        active = [fs.spec.code for fs in self._faults if fs.active]
        superseded = {s for fs in self._faults if fs.active for s in fs.spec.supersedes}
        self._active = tuple(dict.fromkeys(c for c in active if c not in superseded))
        for code in superseded:
            self._cues.drop(code)

    def _reset_faults(self) -> None:
        """Nothing can be judged: no fault stays on, no cue waits."""
        for fs in self._faults:
            fs.active, fs.pending_since = False, None
        self._active = ()
        self._cues.clear()

    # --- cues ----------------------------------------------------------------------------------

    def _queue_cue(self, f: FaultSpec, value: float, threshold: float, reference: float, t: float,
                   keep_s: float | None = None) -> None:
        message = f.cue.format(value=value, threshold=threshold, target=reference, reference=reference)
        self._cues.queue(f.code, f.severity, message, t, keep_s)

    def _emit_cue(self, t: float, new_events: list[Event]) -> None:
        event = self._cues.due(t)
        if event is not None:
            self._emit(event, new_events)

    def _emit(self, event: Event, new_events: list[Event]) -> None:
        self.events.append(event)
        new_events.append(event)

    # --- sitting posture -------------------------------------------------------------------------

    def _posture_not_sitting(self, t, view, position, metrics, new_events) -> FrameResult:
        self._reset_faults()
        state = self._set_posture_state(t, "not_sitting", [])
        return FrameResult(t, True, view, position, False, "posture", _clean(metrics), (), new_events,
                           posture_state=state)

    def _posture_frame(self, t, dt, view, position, ctx, value, metrics, new_events) -> FrameResult:
        if position != self.spec.exercise.position:
            return self._posture_not_sitting(t, view, position, metrics, new_events)
        judged_faults = [fs for fs in self._faults
                         if view in fs.spec.views and self._reference(fs.spec) is not None]
        if not judged_faults:  # e.g. a front view before any front-view calibration
            return self._no_judgement(t, new_events, "needs_calibration",
                                      f"Calibrate in this {view} view first: `posecheck calibrate sitting`",
                                      view=view, position=position, metrics=metrics)
        for fs in judged_faults:
            value(fs.spec.metric)
        if all(metrics.get(fs.spec.metric) is None for fs in judged_faults):
            code, message = self._hidden_cue(ctx.missing)
            return self._no_judgement(t, new_events, code, message, view=view, position=position,
                                      metrics=metrics)
        self._problem = None
        self._step_faults(t, view, "posture", value, new_events)
        self._emit_cue(t, new_events)
        active = list(self._active_codes())
        state = self._set_posture_state(t, "slouched" if active else "upright", active)
        return FrameResult(t, True, view, position, True, "posture", _clean(metrics), tuple(active), new_events,
                           posture_state=state)

    def _set_posture_state(self, t: float, state: str, faults: list[str]) -> str:
        return self._timeline.update(t, state, faults)


def _clean(metrics: dict) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in metrics.items() if v is not None}
