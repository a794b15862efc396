"""A guided session: a routine expanded into sets, what each set achieved, and the
summary in words a person reads (never a raw fault code).

Pure domain logic, shared by the web page (server/guided_runs.py) and the headless
`posecheck session`: a set's outcome is built from the same report `posecheck analyze`
prints (analysis.build_report)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from ..engine.profiles import Profile
from ..engine.spec import ExerciseSpec
from ..engine.verdicts import is_good
from .routines import Routine, counts_holds

# done: the target reached (or a free set finished); stopped: finished before its target;
# pain_stop: ended by the pain button; skipped; not_reached: the session ended before it;
# no_footage: headless, no readable video for it; repeated: a set done again (the later one
# counts). Reps and holds of done, stopped and pain-stopped sets all count: they were done.
# wrong_exercise: headless, its video shows another exercise (set_videos.py); unreadable:
# headless, a video was given but could not be read (`reason` says why). A pain_stop set is
# never re-marked repeated: a stop for pain stays in the history.
STATUSES = ("done", "stopped", "pain_stop", "skipped", "not_reached", "no_footage", "wrong_exercise", "unreadable",
            "repeated")
DONE_STATUSES = ("done",)
COUNTED_STATUSES = ("done", "stopped", "pain_stop")


@dataclass(frozen=True)
class SetPlan:
    index: int  # place in the session, 0-based
    step: int
    exercise: str
    title: str
    set_number: int  # 1-based, within its step
    sets: int
    reps: int | None
    holds: int | None
    per_side: bool
    hold_s: tuple[float, float] | None
    rest_s: float
    note: str
    to_depth: bool = False  # the exercise has a depth target (calibrated, or the default)
    counts: str = "reps"  # what the target counts: "reps" or "holds"; "posture": time sitting, no target

    @property
    def target(self) -> int | None:
        return self.reps if self.counts == "reps" else self.holds

    def describe(self) -> str:
        """`Set 2 of 3: 10 glute bridge reps, hold 3-5 s at the top`."""
        name = self.title.lower()
        if self.target is None:
            return f"{self.title}: a free set"
        if self.counts == "reps":
            what = f"{self.reps} {name} reps"
            if self.hold_s:
                what += f", hold {fmt_range(self.hold_s)} at the top"
            if self.to_depth:
                what += ", as deep as your calibrated mobility allows"
        else:
            what = f"{self.holds} {name} holds{' per side' if self.per_side else ''}"
            if self.hold_s:
                what += f", {fmt_range(self.hold_s)} each"
        return f"Set {self.set_number} of {self.sets}: {what}"

    def to_dict(self) -> dict:
        return {**asdict(self), "target": self.target, "description": self.describe()}


def holds_toward_target(holds_by_side: dict[str, int], per_side: bool) -> int:
    """Holds counted toward a target: all of them, or per side the fewest of either side
    (the live counter and the set summary both use this)."""
    if per_side:
        return min(holds_by_side.values()) if len(holds_by_side) >= 2 else 0
    return sum(holds_by_side.values())


def fmt_seconds(s: float) -> str:
    """'45 s', or '3 min 5 s' past a minute."""
    s = round(s)
    return f"{s} s" if s < 60 else f"{s // 60} min" + (f" {s % 60} s" if s % 60 else "")


def fmt_range(r: tuple[float, float]) -> str:
    low, high = (f"{v:g}" for v in r)
    return f"{low} s" if low == high else f"{low}-{high} s"


def plan_sets(routine: Routine, specs: dict[str, ExerciseSpec]) -> list[SetPlan]:
    plans = []
    for s, step in enumerate(routine.steps):
        spec = specs[step.exercise]
        hold_s = step.hold_s or (spec.hold.target_s if spec.hold else None)
        for n in range(1, step.sets + 1):
            plans.append(SetPlan(index=len(plans), step=s, exercise=step.exercise, title=spec.exercise.title,
                                 set_number=n, sets=step.sets, reps=step.reps,
                                 holds=step.holds if counts_holds(spec) else None,
                                 per_side=bool(spec.hold and spec.hold.per_side and counts_holds(spec)),
                                 hold_s=tuple(hold_s) if hold_s else None, rest_s=step.rest_s, note=step.note,
                                 to_depth=has_depth_target(spec), counts="holds" if counts_holds(spec) else "reps"))
    return plans


def free_set_plan(spec: ExerciseSpec) -> SetPlan:
    """A set done on its own in the live coach: no target, counted as the exercise counts."""
    holds = counts_holds(spec)
    return SetPlan(index=0, step=0, exercise=spec.name, title=spec.exercise.title, set_number=1, sets=1,
                   reps=None, holds=None, per_side=bool(holds and spec.hold.per_side),
                   hold_s=tuple(spec.hold.target_s) if spec.hold else None, rest_s=0.0, note="",
                   to_depth=has_depth_target(spec),
                   counts="posture" if spec.exercise.mode == "posture" else ("holds" if holds else "reps"))


@dataclass
class Depth:
    """Reps' deepest point against the person's calibrated target (or the default one)."""
    metric: str
    target: float
    calibrated: bool
    reached: list[float]  # per judged rep, the rep's deepest value
    unit: str  # "deg" or "of leg length"

    @property
    def share(self) -> float | None:
        return sum(self.reached) / len(self.reached) / self.target if self.reached and self.target else None


def depth_words(share: float) -> str:
    """What a depth share means: 100% is the target, more is deeper."""
    return "target reached" if share >= 1.0 else "short of it"


def target_words(target: float, unit: str) -> str:
    return f"{target:.0f} deg" if unit == "deg" else f"{target:.0%} of your leg length"


def depth_faults(spec: ExerciseSpec) -> list:
    """From the spec, not from a name: a rep fault judged below a profile reference is a
    depth target (the squat's `shallow_depth`)."""
    return [f for f in spec.faults if f.during == "rep" and f.fault_if == "below" and f.profile_key is not None]


def has_depth_target(spec: ExerciseSpec) -> bool:
    return bool(depth_faults(spec))


def depth_against_target(spec: ExerciseSpec, profile: Profile, reps: list[dict]) -> Depth | None:
    """The first depth target (depth_faults) whose metric the reps carry."""
    for fault in depth_faults(spec):
        key = fault.profile_key
        # Only reps whose depth the camera could measure (not "not judged" in that rep).
        values = [r["metrics"][f"max_{fault.metric}"] for r in reps
                  if r.get("judged", True) and fault.code not in r.get("not_judged", [])
                  and f"max_{fault.metric}" in r.get("metrics", {})]
        if not values and reps:
            continue
        target = profile.get(key)
        calibrated = target is not None
        target = target if calibrated else fault.default_reference
        if target is None:
            continue
        unit = "deg" if fault.metric.endswith("_deg") else "of leg length"
        return Depth(fault.metric, float(target), calibrated, [float(v) for v in values], unit)
    return None


@dataclass
class SetOutcome:
    plan: SetPlan
    status: str  # one of STATUSES
    reps: int = 0
    good_reps: int = 0
    holds: int = 0
    full_holds: int = 0  # held at least the low end of the target (seconds with good form)
    holds_by_side: dict[str, int] = field(default_factory=dict)
    hold_times: list[float] = field(default_factory=list)  # seconds held with good form, one per rep or hold
    faults: dict[str, int] = field(default_factory=dict)  # code -> reps (or holds) with it
    fault_labels: dict[str, str] = field(default_factory=dict)  # code -> words
    fault_cues: dict[str, str] = field(default_factory=dict)
    depth_share: float | None = None
    depth_target: float | None = None
    depth_unit: str | None = None  # "deg" or "of leg length"
    depth_calibrated: bool | None = None
    duration_s: float = 0.0
    source: str | None = None
    posture_s: dict[str, float] = field(default_factory=dict)  # sitting: seconds upright / slouched
    reason: str | None = None  # why a set was not done, in words (an unreadable video's problem)

    @property
    def done(self) -> int:
        """Toward the target: reps, or holds (the fewest on either side, per side)."""
        if self.plan.counts == "reps":
            return self.reps
        return holds_toward_target(self.holds_by_side, self.plan.per_side)

    def to_dict(self) -> dict:
        return {**{k: v for k, v in asdict(self).items() if k != "plan"}, "plan": self.plan.to_dict(),
                "done": self.done, "words": set_words(self)}


def outcome_from_report(plan: SetPlan, report: dict, spec: ExerciseSpec, profile: Profile, *,
                        status: str = "done", source: str | None = None) -> SetOutcome:
    reps = report["reps"]
    counted_in_holds = plan.counts == "holds"
    low = plan.hold_s[0] if plan.hold_s else None
    if counted_in_holds:
        holds = [{"side": h["side"], "held_s": h["good_s"]} for h in report["holds"]]
    else:  # a hold is the top of its rep: one per counted rep, never more holds than reps
        holds = [{"side": r["side"], "held_s": r["hold_s"] or 0.0} for r in reps if r.get("hold_target_s")]
    items = report["holds"] if counted_in_holds else reps
    if report.get("posture") is not None:  # sitting: its posture spans are what was done
        items = [p for p in report["posture"] if p["state"] == "slouched"]
    faults = Counter()
    for item in items:
        faults.update(set(item["faults"]))
    by_side = Counter(h["side"] or "either side" for h in holds)
    outcome = SetOutcome(
        plan=plan, status=status, reps=len(reps), good_reps=sum(1 for r in reps if r.get("good", is_good(r))),
        holds=len(holds), full_holds=sum(1 for h in holds if low is None or h["held_s"] >= low),
        holds_by_side=dict(by_side), hold_times=[round(h["held_s"], 2) for h in holds],
        faults=dict(faults), fault_labels={c: spec.fault_label(c) for c in faults},
        fault_cues={c: cue_text(spec, c) for c in faults}, duration_s=round(report.get("duration_s", 0.0), 2),
        source=source)
    for span in report.get("posture") or []:
        if span["state"] in ("upright", "slouched"):
            outcome.posture_s[span["state"]] = round(outcome.posture_s.get(span["state"], 0.0)
                                                     + span["end_s"] - span["start_s"], 1)
    if status == "done" and plan.target is not None and outcome.done < plan.target:
        outcome.status = "stopped"  # finished before the target: "stopped after N", not "done"
    depth = depth_against_target(spec, profile, reps) if not counted_in_holds else None
    if depth is not None:
        outcome.depth_share = round(depth.share, 3) if depth.share is not None else None
        outcome.depth_target = depth.target
        outcome.depth_unit = depth.unit
        outcome.depth_calibrated = depth.calibrated
    return outcome


def cue_text(spec: ExerciseSpec, code: str) -> str:
    """A fault's cue as a person reads it, without the live numbers it is said with."""
    for fault in spec.faults:
        if fault.code == code:
            # The live numbers ("{value:.0f} deg", or "...: {value} deg") are cut off, whichever comes first.
            text = fault.cue.split("{", 1)[0]
            text = text.split(":", 1)[0] if ":" in text and "{" in fault.cue else text
            return text.strip().rstrip("(").strip().rstrip(".")
    return ""


def not_done(plan: SetPlan, status: str, reason: str | None = None) -> SetOutcome:
    return SetOutcome(plan=plan, status=status, reason=reason)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# A set that brought no count of its own, in words.
NOT_DONE_WORDS = {
    "skipped": "skipped.",
    "no_footage": "not done (no video for it).",
    "wrong_exercise": "not done (its video shows another exercise).",
    "not_reached": "not done.",
    "repeated": "done again (the repeat counts).",
}


def set_words(o: SetOutcome) -> str:
    """One sentence on one set, against its target."""
    p = o.plan
    head = f"{p.title}, set {p.set_number} of {p.sets}"
    if o.status == "unreadable":
        return f"{head}: not done (its video could not be read{f': {o.reason}' if o.reason else ''})."
    if o.status in NOT_DONE_WORDS:
        return f"{head}: {NOT_DONE_WORDS[o.status]}"
    if p.target is None:
        head = p.title
    of = f" of {p.target}" if p.target is not None else ""
    stopped = "stopped after " if o.status in ("stopped", "pain_stop") and p.target is not None else ""
    if p.counts == "posture":
        sat = o.posture_s
        if not sat:
            return f"{p.title}: no sitting posture judged ({fmt_seconds(o.duration_s)} watched)."
        text = f"{p.title}: upright {fmt_seconds(sat.get('upright', 0))}, slouched {fmt_seconds(sat.get('slouched', 0))}"
        if o.faults:
            text += " (" + ", ".join(f"{o.fault_labels[c].lower()} {plural(n, 'time')}"
                                     for c, n in Counter(o.faults).most_common()) + ")"
        return text + "."
    if p.counts == "reps":
        text = f"{head}: {stopped}{o.reps}{of} {'rep' if o.reps == 1 and not of else 'reps'}, {o.good_reps} with good form"
        if p.hold_s and o.holds:
            text += f"; {o.full_holds} of {o.reps} held {fmt_range(p.hold_s)} at the top"
    elif p.per_side:
        sides = ", ".join(f"{side} {n}" for side, n in sorted(o.holds_by_side.items())) or "none"
        text = f"{head}: {stopped}holds per side {sides}" + (f" (target {p.holds} each)" if p.holds else "")
        if p.hold_s and o.holds:
            text += f"; {o.full_holds} of {o.holds} held {fmt_range(p.hold_s)}"
    else:
        text = f"{head}: {stopped}{o.holds}{of} holds"
        if p.hold_s and o.holds:
            text += f"; {o.full_holds} of {o.holds} held {fmt_range(p.hold_s)}"
    if o.depth_share is not None:
        whose = "your calibrated depth target" if o.depth_calibrated else "the default depth target (not calibrated)"
        text += f"; depth {o.depth_share:.0%} of {whose}, {depth_words(o.depth_share)}"
    if o.faults:
        text += "; " + ", ".join(f"{o.fault_labels[c].lower()} ({plural(n, 'time')})"
                                 for c, n in Counter(o.faults).most_common())
    if p.hold_s and o.holds and o.full_holds < o.holds:
        text += f". Next time: {hold_advice(p)}"
    if o.status == "pain_stop":
        text += "; stopped for pain"
    return text + "."


def hold_advice(p: SetPlan) -> str:
    where = " at the top" if p.counts == "reps" else ""
    return f"hold each {'rep' if p.counts == 'reps' else 'extension'} {fmt_range(p.hold_s)}{where}"


@dataclass
class SessionSummary:
    routine: str
    title: str
    outcomes: list[SetOutcome]
    pain_stop: bool
    lines: list[str]

    def to_dict(self) -> dict:
        return {"routine": self.routine, "title": self.title, "pain_stop": self.pain_stop, "lines": self.lines,
                "sets": [o.to_dict() for o in self.outcomes]}


def summarise(routine: Routine, outcomes: list[SetOutcome], *, pain_stop: bool,
              earlier: list[SetOutcome] | None = None) -> SessionSummary:
    """The end of a session in words: sets done against the plan, then per exercise what
    was done against its targets, which faults came up and how often, and depth.
    `earlier`: the first tries of sets done again; their reps count too (nothing done is lost)."""
    return summarise_named(routine.name, routine.routine.title, outcomes, pain_stop=pain_stop, earlier=earlier)


def sets_done_line(title: str, outcomes: list[SetOutcome], planned: int, *, pain_stop: bool, end: str = ".",
                   repeats: int = 0) -> str:
    """'Back care: 1 of 8 sets done in full; 2 stopped early (1 for pain), 1 skipped, 1 done again.'"""
    done_sets = [o for o in outcomes if o.status in DONE_STATUSES]
    stopped = [o for o in outcomes if o.status in ("stopped", "pain_stop")]
    for_pain = sum(o.status == "pain_stop" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    more = ([f"{len(stopped)} stopped early" + (f" ({for_pain} for pain)" if for_pain else "")] if stopped else []) \
        + ([f"{skipped} skipped"] if skipped else []) + ([f"{repeats} done again"] if repeats else [])
    full = " in full" if stopped else ""
    return (f"{title}: {len(done_sets)} of {planned} sets done{full}" + ("; " + ", ".join(more) if more else "")
            + ("; the session was stopped for pain" if pain_stop and not for_pain else "") + end)


def summarise_named(name: str, title: str, outcomes: list[SetOutcome], *, pain_stop: bool,
                    earlier: list[SetOutcome] | None = None) -> SessionSummary:
    """`summarise` by the routine's name and title (a session stored in the history may
    name a routine that is no longer there)."""
    lines = []
    outcomes = [o for o in outcomes if o.status != "repeated"]
    earlier = [o for o in (earlier or []) if o.status in COUNTED_STATUSES]
    lines.append(sets_done_line(title, outcomes, len(outcomes), pain_stop=pain_stop, repeats=len(earlier)))
    by_exercise: dict[str, list[SetOutcome]] = {}
    for o in outcomes:
        by_exercise.setdefault(o.plan.exercise, []).append(o)
    for sets in by_exercise.values():
        p = sets[0].plan
        done = [o for o in sets if o.status in COUNTED_STATUSES] + [o for o in earlier if o.plan.exercise == p.exercise]
        planned = sum(o.plan.target or 0 for o in sets)
        if not done:
            lines.append(f"{p.title}: not done.")
            continue
        if p.counts == "reps":
            reps = sum(o.reps for o in done)
            good = sum(o.good_reps for o in done)
            of = f" of {planned}" if planned else ""
            text = f"{p.title}: {reps}{of} reps in {plural(len(done), 'set')}, {good} with good form"
            if reps:
                text += f" ({good / reps:.0%})"
            if p.hold_s and any(o.holds for o in done):
                text += f"; {sum(o.full_holds for o in done)} of {reps} held {fmt_range(p.hold_s)} at the top"
        else:
            holds = sum(o.done for o in done)
            text = (f"{p.title}: {holds}{f' of {planned}' if planned else ''} holds{' per side' if p.per_side else ''} "
                    f"in {plural(len(done), 'set')}")
            times = [t for o in done for t in o.hold_times]
            if times:
                text += f"; held {fmt_range((round(min(times)), round(max(times))))}"
                if p.hold_s:
                    text += f" (target {fmt_range(p.hold_s)}, {sum(o.full_holds for o in done)} of {len(times)} reached)"
        depths = [(o.depth_share, o.reps) for o in done if o.depth_share is not None]
        if depths:
            share = sum(s * n for s, n in depths) / max(1, sum(n for _, n in depths))
            calibrated = all(o.depth_calibrated for o in done if o.depth_share is not None)
            first = next(o for o in done if o.depth_share is not None)
            unit = target_words(first.depth_target, first.depth_unit)
            text += (f"; depth {share:.0%} of your calibrated target ({unit}), {depth_words(share)}" if calibrated else
                     f"; depth {share:.0%} of the default target ({unit}), {depth_words(share)}: calibrate to get "
                     "your own")
        faults = Counter()
        labels, cues = {}, {}
        for o in done:
            faults.update(o.faults)
            labels |= o.fault_labels
            cues |= o.fault_cues
        short_holds = p.hold_s and any(o.full_holds < o.holds for o in done)
        if short_holds:
            text += f". Next time: {hold_advice(p)}"
        if faults:
            code, n = faults.most_common(1)[0]
            text += f". Most frequent fault: {labels[code].lower()} ({plural(n, 'time')})"
            if cues.get(code):
                text += f"; next time: {cues[code][0].lower() + cues[code][1:]}"
            others = [f"{labels[c].lower()} ({plural(k, 'time')})" for c, k in faults.most_common()[1:]]
            if others:
                text += f". Also: {', '.join(others)}"
        elif not short_holds:
            text += ". No faults seen"
        lines.append(text + ".")
    if pain_stop:
        lines.append("You stopped for pain. If it was sharp or shot down your leg, or it does not settle, "
                     "stop these exercises and see your physiotherapist or doctor.")
    return SessionSummary(name, title, outcomes, pain_stop, lines)
