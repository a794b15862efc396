"""The checker stage: `Checker(spec, profile).update(pose_frame) -> FrameResult`.

One engine runs every exercise spec. Per frame it (1) works out what the camera lets it
judge: a person, a view in which reps can be counted, a view in which form can be
judged, the landmarks each metric needs; if not, it says what to change; (2) steps rep
detection (reps.py) and hold timing (holds.py); (3) steps fault hysteresis (faults.py)
while a rep or hold that looks like the exercise is under way; (4) lets the cue arbiter
(cues.py) pick at most one corrective cue. A few unjudged frames (a dropout, a hand
leaving the frame) do not end a rep or a hold; a jump to another person (pose/tracking.py)
does. What to say about the view comes from guidance.py.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from ..pose.geometry import (
    body_yaw_deg,
    classify_position,
    classify_view,
    forward_sign,
    legs_in_picture,
    near_side,
    Position,
)
from ..pose.tracking import Majority, SwitchDetector
from ..pose.types import PoseFrame
from .cues import CueArbiter
from .events import Event, HoldSummary, PostureSpan, RepSummary
from .faults import FaultTracker, Probe
from .guidance import Advisor, hidden_cue, wrong_view_cue
from .holds import HoldTimer
from .metrics import METRICS, MetricContext
from .posture import MotionDetector, PostureTimeline
from .profiles import Profile
from .reps import RepDetector, RepInProgress
from .spec import ExerciseSpec, MovementCondition, for_view
from .verdicts import not_calibrated_note, rep_said


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


class Checker:
    def __init__(self, spec: ExerciseSpec, profile: Profile | None = None, *, cue_repeat_s: float = 5.0,
                 cue_gap_s: float = 1.5, view_grace_s: float = 1.5, view_repeat_s: float = 10.0,
                 posture_min_state_s: float = 0.5, label_window_s: float = 1.0, gap_tolerance_s: float = 1.0,
                 still: bool = False) -> None:
        self.spec = spec
        self.profile = profile or Profile()
        self.cue_repeat_s = cue_repeat_s
        self.cue_gap_s = cue_gap_s
        # A dropout shorter than this (tracking lost for a few frames, a hand or foot
        # leaving the frame) does not end a rep or a hold: people do not stop mid-rep.
        self.gap_tolerance_s = gap_tolerance_s
        self._min_vis = spec.exercise.min_visibility
        self._form_views = set(spec.exercise.views)
        self._count_views = set(spec.count_views)
        # View, position and side flicker frame to frame: each is the majority over
        # `label_window_s` (a sparse sampler passes its interval: every sample counts).
        self._view = Majority(label_window_s)
        self._position = Majority(label_window_s)
        self._still_in: str | None = None  # the position last seen, while the person keeps still
        self._side = Majority(label_window_s)
        self._forward = Majority(label_window_s)
        self._cues = CueArbiter(repeat_s=cue_repeat_s, gap_s=cue_gap_s)
        self._faults = FaultTracker(spec, self.profile, self._cues, still=still)
        self._context_codes = spec.context_codes()  # once, not per frame
        self._reps = RepDetector(spec.reps) if spec.reps else None
        # Where reps are counted but form is not judged, the top of the rep is a hold too (holds.py).
        self._hold = HoldTimer(spec.hold, self._reps, set(spec.count_views) - set(spec.exercise.views)) \
            if spec.hold else None
        self._last_start_position_s: float | None = None
        self._view_advice = Advisor(view_grace_s, view_repeat_s)  # nothing can be judged
        self._form_advice = Advisor(view_grace_s, view_repeat_s)  # reps counted, form not judged
        self._problems_seen: Counter = Counter()  # problem message -> unjudged frames
        self._rejections: Counter = Counter()  # why movements were not counted
        self._said: dict[str, float] = {}  # info code -> when last said
        self._last_t = 0.0
        self._last_judged_t: float | None = None
        self._timeline = PostureTimeline(posture_min_state_s)
        self._motion = MotionDetector()
        self._switch = SwitchDetector()
        self.switches: list[float] = []  # when tracking jumped to another person (pose/tracking.py)
        self._yaw: deque[float] = deque(maxlen=15)  # how square the view is, over ~0.5 s
        self.reps: list[RepSummary] = []
        self.events: list[Event] = []
        self._announce_calibration()

    # --- public -------------------------------------------------------------------------

    @property
    def posture(self) -> list[PostureSpan]:
        return self._timeline.spans

    @property
    def holds(self) -> list[HoldSummary]:
        return self._hold.holds if self._hold else []

    def update(self, pf: PoseFrame) -> FrameResult:
        t = pf.timestamp_ms / 1000.0
        dt = max(0.0, t - self._last_t) if self._last_t else 0.0
        self._last_t = t
        new_events: list[Event] = []
        pose = pf.pose
        if self._switch.switched(t, pose):  # frames without a pose too: a switch follows a dropout
            # Another person, or a cut: what was under way belongs to someone else.
            self.switches.append(t)
            if self._reps is not None:
                self._reps.reset()
            if self._hold is not None:
                self._hold.discard()
            self._faults.reset()
            self._faults.refs.forget_baselines()
            self._say_every("second_person", "Someone else came into view (or the video cut) and may be tracked "
                                             "instead of you: keep others out of the picture", t, new_events,
                            every_s=10.0)
        if pose is None:
            return self._no_judgement(t, new_events, "no_person", "Step into the camera's view",
                                      view="unknown", position="unknown", has_pose=False)
        yaw = body_yaw_deg(pose)  # once a frame: the view label and how square it is both use it
        self._yaw.append(yaw)
        view = self._view.update(t, classify_view(pose, yaw).family)
        moving = self.spec.exercise.mode == "posture" and self._motion.moving(t, pose)
        seen = classify_position(pose).value
        # Angles that fit no position are no evidence of a change: sitting down or getting
        # up moves the hips, so a person who kept still since a position was last seen is
        # still in it (a small figure filmed from above read 'unknown' for 0.8 s).
        if moving:
            self._still_in = None
        elif seen != Position.UNKNOWN.value:
            self._still_in = seen
        elif self._still_in is not None:
            seen = self._still_in
        position = self._position.update(t, seen)
        side = self._side.update(t, near_side(pose))
        forward = float(self._forward.update(t, "+" if forward_sign(pose) > 0 else "-") + "1")
        if moving:
            return self._posture_not_sitting(t, view, position, {}, new_events)
        if view not in self._count_views:
            return self._no_judgement(t, new_events, "wrong_view", self._wrong_view_cue(view),
                                      view=view, position=position)

        # The leg of a bird-dog lift under way (set once it passed the start threshold);
        # each context gets its own copy, as metrics write into `extras`.
        current = self._reps.current if self._reps is not None else None
        extras = {"held_side": current.side} if current is not None and current.side else {}
        ctx = MetricContext(pose, side, forward, self._min_vis, extras=dict(extras))
        min_vis = self._min_vis
        probe = Probe(t, pose, view, float(np.median(self._yaw)),
                      lambda p: MetricContext(p, side, forward, min_vis, extras=dict(extras)))
        metrics: dict[str, float | None] = {}

        def value(name: str) -> float | None:
            if name not in metrics:
                metrics[name] = METRICS[name].fn(pose, ctx)
            return metrics[name]

        if self.spec.exercise.mode == "posture":
            return self._posture_frame(t, view, position, ctx, value, metrics, new_events, probe)

        driver_name = for_view(self.spec.reps.metric, view) if self.spec.reps else None
        driver = value(driver_name) if driver_name else None
        hold_value = value(self.spec.hold.metric) if self.spec.hold else None
        if (driver if self.spec.reps else hold_value) is None:
            code, message = hidden_cue(ctx.missing)
            return self._no_judgement(t, new_events, code, message, view=view, position=position, metrics=metrics)
        self._judged(t)

        start_positions = self.spec.reps.start_positions if self.spec.reps else None
        if start_positions and position in start_positions and self._reps.current is None:
            self._last_start_position_s = t
        rep = self._step_rep(t, view, driver, ctx, value, new_events) if self._reps else None
        exercising = rep is not None and rep.rejected is None
        in_hold = self._step_hold(t, dt, hold_value, ctx, exercising or not self._reps, new_events, view)
        phase = "hold" if in_hold else ("rep" if exercising else "rest")
        if rep is None and not in_hold and (self._reps is None or self._reps.at_rest(view, driver)):
            # The person's own resting values: at rest, not on the way into a rep that has
            # not started yet (knees already travelling out over the toes).
            self._faults.refs.collect_baselines(view, value)
        if rep is not None and rep.rejected is not None:
            self._faults.reset()  # not this exercise: nothing in it is judged
            if self._hold is not None:
                self._hold.discard()
        else:
            self._faults.step(t, view, phase, value, probe)
            if view not in self._form_views and phase != "rest":
                event = self._form_advice.update(t, "form_not_judged", self._wrong_view_cue(view, counting=view))
                self._emit_all([event] if event else [], new_events)
        if exercising:
            rep.track(driver_name, driver)  # the depth reached, whatever the view (and for calibration)
            self._faults.track_rep(rep, view, value, probe, depth=driver)
        # Inside a rep, a cue waits until the rep has turned at its deepest point and
        # still looks like the exercise: no "chest up" for someone picking up a bottle.
        if not exercising or self._reps.past_deepest_point or in_hold:
            self._emit_cue(t, new_events)
        return FrameResult(t, True, view, position, True, phase, _clean(metrics), self._faults.active,
                           new_events, rep_count=len(self.reps))

    def posture_codes(self, codes) -> list[str]:
        """The codes that are faults of posture (not context such as looking down)."""
        return [c for c in codes if c not in self._context_codes]

    def limits_now(self, view: str, metrics: dict) -> list[dict]:
        """The live preview: each fault's current value against its limit in this view."""
        return [{**limit, "value": metrics.get(limit["metric"])} for limit in self._faults.refs.limits(view)]

    def hold_progress(self, t_s: float) -> dict | None:
        """The hold under way, for a live timer: seconds held, seconds with good form, target."""
        return self._hold.progress(t_s) if self._hold else None

    def finish(self) -> None:
        """Close whatever is open at the end of the input (a rep whose way back has passed
        the start threshold counts, with its hold; a rep still under way goes, with its
        hold; a hold with no rep under way is ended), and if nothing was counted, say why."""
        if self._reps is not None:
            outcome = self._reps.finish_at_end()
            self._close_rep(outcome, self._last_t, self._view.value or "side", [])
            if outcome is None and self._reps.current is not None and self._hold is not None:
                # A rep still at its top when the input ends was not made (no way back
                # down), so its hold goes with it, as it does with any rep that was not:
                # every screen counts the same reps and holds. (A clip fading to black
                # read a bridge's hips up for its last 0.8 s.) Said, when it lasted a hold.
                cut = self._hold.current
                if cut is not None and cut.last_s - cut.start_s >= self._hold.spec.min_duration_s:
                    self.events.append(Event(self._last_t, "info", "not_counted",
                                             f"Not counted: the set ended during a hold ({cut.last_s - cut.start_s:.1f} s); "
                                             "a hold counts once you come back down from it", 1))
                self._hold.discard()
        if self._hold is not None:  # a hold no rep was under way for
            self._emit_all(self._hold.end(self._last_t, self._side_name), [])
        if self.spec.exercise.mode == "posture":
            self._timeline.close(self._last_t)
            self._emit_all(self._faults.close_unit(self._last_t, list(self._faults.active)), [])
        self._explain_silence()

    @property
    def fault_checks(self):
        """Every fault's verdict per unit, with its value, threshold and noise."""
        return self._faults.checks

    def not_judged(self) -> dict[str, str]:
        """Faults the camera could not measure anywhere in this run, with why."""
        return self._faults.not_judged()

    # --- gating and view guidance ---------------------------------------------------------

    def _wrong_view_cue(self, view: str, counting: str | None = None) -> str:
        return wrong_view_cue(self.spec, view, counting)

    def _judged(self, t: float) -> None:
        self._view_advice.clear()
        self._last_judged_t = t

    def _no_judgement(self, t: float, new_events: list[Event], code: str, message: str, *, view: str,
                      position: str, has_pose: bool = True, metrics: dict | None = None) -> FrameResult:
        self._problems_seen[message] += 1
        state = None
        if self.spec.exercise.mode == "posture":  # first: a stretch of sitting that ends keeps its checks
            state = self._set_posture_state(t, "not_visible", [], new_events)
        if self._last_judged_t is None or t - self._last_judged_t > self.gap_tolerance_s:
            # Unseen for longer than a dropout: whatever was under way cannot go on.
            if self._reps is not None:
                self._reps.abort()
            if self._hold is not None:
                self._emit_all(self._hold.end(t, self._side_name), new_events)
            self._faults.reset()
        event = self._view_advice.update(t, code, message)
        self._emit_all([event] if event else [], new_events)
        return FrameResult(t, has_pose, view, position, False, "rest", _clean(metrics or {}), (),
                           new_events, posture_state=state, rep_count=len(self.reps))

    def _explain_silence(self) -> None:
        """Nothing counted and nothing judged: tell the user why, never stay silent."""
        if self.spec.exercise.mode == "posture":
            if any(s.state in ("upright", "slouched") for s in self.posture):
                return
            what = "No sitting posture judged"
        else:
            if self.reps or self.holds:
                return
            what = f"No {self.spec.exercise.title.lower()} {'rep' if self.spec.reps else 'hold'} counted"
        if self._rejections:
            reason = self._rejections.most_common(1)[0][0]
        elif self._problems_seen:
            reason = self._problems_seen.most_common(1)[0][0].lower()
        elif self.spec.exercise.mode == "posture":
            reason = "you were not sitting still in view"
        else:
            reason = "no movement reached the start of a rep"
        self.events.append(Event(self._last_t, "info", "nothing_counted", f"{what}: {reason}", 1))

    # --- reps and holds --------------------------------------------------------------------

    def _step_rep(self, t, view, driver, ctx, value, new_events) -> RepInProgress | None:
        detector = self._reps
        may_start = not self.spec.reps.start_positions or (
            self._last_start_position_s is not None and t - self._last_start_position_s <= 3.0)

        def peak_check(strict: bool = False) -> MovementCondition | None:
            # (strict: a condition the camera cannot measure here fails too)
            for cond in self.spec.reps.requires:
                v = value(cond.metric)
                if (v is None and strict) or (v is not None and not cond.holds_for(v)):
                    return cond
            return None

        outcome = detector.update(t, view, driver, peak_check, side=ctx.extras.get("lifted_side"),
                                  may_start=may_start)
        self._close_rep(outcome, t, view, new_events)
        if outcome == "too_small":  # a lift that never became a rep: say so, with the correction
            small, lift = self.spec.reps.too_small, detector.too_small
            # Rounded down: a rise just short of the rep's start never reads as reaching it.
            why = small.otherwise.format(rise=math.floor(lift.rise * 100) / 100, enter=for_view(self.spec.reps.enter, view))
            self._rejections[why] += 1
            self._emit(Event(t, "info", "not_counted", f"Not counted: {why}", 1), new_events)
        return detector.current

    def _close_rep(self, outcome: str | None, t: float, view: str, new_events: list[Event]) -> None:
        """A rep ended ("finished") or turned out a glitch ("aborted")."""
        if outcome in ("finished", "aborted") and self._hold is not None:
            # A hold is the top of its rep: it ends when the rep does (the hips came down),
            # and goes with it when the movement was no rep (too short) or not this
            # exercise (a donkey kick: the arm stayed down).
            if outcome == "aborted" or self._reps.finished.rejected is not None:
                self._hold.discard()
            else:
                self._emit_all(self._hold.end(t, self._side_name), new_events)
        if outcome == "aborted":
            self._faults.drop_unit()
        if outcome == "finished":
            self._record_rep(t, view, new_events)

    def _record_rep(self, t: float, view: str, new_events: list[Event]) -> None:
        rep = self._reps.finished
        if rep.rejected is not None:
            self._faults.drop_unit()
            self._rejections[rep.rejected.otherwise] += 1
            self._emit(Event(t, "info", "not_counted", f"Not counted: {rep.rejected.otherwise}", 1), new_events)
            return
        faults = self._faults.judge_rep(rep, view, t, deepest_within=self._reps.hysteresis(view))
        self._emit_all(self._faults.close_unit(t, faults), new_events)
        # Praise only what was seen: a view with no form checks, or checks the camera could
        # not measure in this rep, leave it counted but not judged.
        judged = any(view in f.views for f in self.spec.faults) and (self._faults.unit_judged or bool(faults))
        summary = RepSummary(index=len(self.reps) + 1, start_s=rep.start_s, end_s=t, bottom_s=rep.peak_s,
                             side=self._side_name(rep.side), faults=faults, judged=judged,
                             not_judged=list(self._faults.unit_not_judged) if judged else [],
                             unsure=list(self._faults.unit_unsure) if judged else [],
                             metrics={f"max_{k}": v for k, v in rep.max_values.items()}
                             | {f"min_{k}": v for k, v in rep.min_values.items()})
        if self.spec.hold is not None:  # the hold is the top of this rep: it ended with it
            held = [h for h in self.holds if h.end_s >= rep.start_s]
            summary.hold_s, summary.hold_target_s = max((h.good_s for h in held), default=0.0), \
                tuple(self.spec.hold.target_s)
        self.reps.append(summary)
        if view not in self._form_views:  # e.g. from behind: say so at once, even in a one-rep clip
            self._say_once("form_not_judged", self._wrong_view_cue(view, counting=view), t, new_events)
        code, message = rep_said(summary.to_dict(), self._rep_name(summary), self.spec.fault_label,
                                 self.spec.reps.good_rep_cue, checks_here=any(view in f.views for f in self.spec.faults))
        self._emit(Event(t, "rep", code, message, 1), new_events)

    def _rep_name(self, rep: RepSummary) -> str:
        """'Rep 3', or for an exercise held per side the side itself ('Left leg + right arm'):
        its sets count holds per side, so a rep number would contradict the counter."""
        if rep.side and self.spec.hold is not None and self.spec.hold.per_side:
            return rep.side[0].upper() + rep.side[1:]
        return f"Rep {rep.index}"

    def _side_name(self, side: str | None) -> str | None:
        """'right leg + left arm' for per-side exercises; None where sides do not matter."""
        hold = self.spec.hold
        if side is None or hold is None or not hold.per_side:
            return None
        return hold.side_names.get(side, side)

    def _step_hold(self, t, dt, hold_value, ctx, may_start: bool, new_events, view: str) -> bool:
        if self._hold is None:
            return False
        events = self._hold.update(t, dt, hold_value, may_start=may_start, side=ctx.extras.get("lifted_side"),
                                   active_faults=self._faults.active, side_name=self._side_name, view=view)
        self._emit_all(events, new_events)
        return self._hold.current is not None

    # --- faults and cues -----------------------------------------------------------------------

    def _announce_calibration(self) -> None:
        text = not_calibrated_note(self.spec, self.profile)
        if text:
            self.events.append(Event(0.0, "info", "not_calibrated", text, 1))

    def _emit_cue(self, t: float, new_events: list[Event]) -> None:
        event = self._cues.due(t)
        if event is not None:
            self._emit(event, new_events)

    def _emit(self, event: Event, new_events: list[Event]) -> None:
        self.events.append(event)
        new_events.append(event)

    def _emit_all(self, events: list[Event], new_events: list[Event]) -> None:
        for event in events:
            self._emit(event, new_events)

    # --- sitting posture -------------------------------------------------------------------------

    def _posture_not_sitting(self, t, view, position, metrics, new_events) -> FrameResult:
        state = self._set_posture_state(t, "not_sitting", [], new_events)  # closes the stretch before the reset
        self._faults.reset()
        return FrameResult(t, True, view, position, False, "posture", _clean(metrics), (), new_events,
                           posture_state=state)

    def _posture_frame(self, t, view, position, ctx, value, metrics, new_events, probe) -> FrameResult:
        if position != self.spec.exercise.position and legs_in_picture(probe.pose):
            # With the knees outside the picture (a webcam close-up) the legs are the
            # model's guess and say nothing about sitting or standing: a person who keeps
            # still there has their head and shoulders judged (the motion test above
            # still catches someone getting up or walking away).
            return self._posture_not_sitting(t, view, position, metrics, new_events)
        taking_baseline = self._faults.refs.collect_session_baseline(t, view, value)
        judged_faults = [f for f in self._faults.specs if view in f.views and self._faults.refs.reference(f) is not None]
        if taking_baseline:
            self._say_once("session_baseline", f"Not calibrated in this {view} view: a few seconds of sitting "
                                                f"upright are the reference (`posecheck calibrate sitting` "
                                                f"sets your own)", t, new_events)
        if taking_baseline and not judged_faults:
            self._judged(t)
            state = self._set_posture_state(t, "upright", [], new_events)
            return FrameResult(t, True, view, position, True, "posture", _clean(metrics), (), new_events,
                               posture_state=state)
        if not judged_faults:  # e.g. a front view before any front-view calibration
            return self._no_judgement(t, new_events, "needs_calibration",
                                      f"Calibrate in this {view} view first: `posecheck calibrate sitting`",
                                      view=view, position=position, metrics=metrics)
        if all(value(f.metric) is None for f in judged_faults):
            code, message = hidden_cue(ctx.missing)
            return self._no_judgement(t, new_events, code, message, view=view, position=position,
                                      metrics=metrics)
        self._judged(t)
        self._faults.step(t, view, "posture", value, probe)
        self._emit_cue(t, new_events)
        active = list(self._faults.active)
        posture = self.posture_codes(active)  # looking down explains a reading; it is not a slouch
        state = self._set_posture_state(t, "slouched" if posture else "upright", posture, new_events)
        return FrameResult(t, True, view, position, True, "posture", _clean(metrics), tuple(active), new_events,
                           posture_state=state)

    def _say_once(self, code: str, message: str, t: float, new_events: list[Event]) -> None:
        self._say_every(code, message, t, new_events, every_s=float("inf"))

    def _say_every(self, code: str, message: str, t: float, new_events: list[Event], *, every_s: float) -> None:
        said = self._said.get(code)
        if said is None or t - said >= every_s:
            self._said[code] = t
            self._emit(Event(t, "info", code, message, 1), new_events)

    def _set_posture_state(self, t: float, state: str, faults: list[str], new_events: list[Event]) -> str:
        before = self._timeline.state
        state = self._timeline.update(t, state, faults)
        if state != before and before in ("upright", "slouched"):  # a stretch of sitting ended
            self._emit_all(self._faults.close_unit(t, self._timeline.spans[-2].faults), new_events)
        return state


def _clean(metrics: dict) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in metrics.items() if v is not None}
