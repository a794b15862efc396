"""Progress over days and weeks, from the history's stored sets and sessions: per exercise,
what was done against the target, the share of good reps, depth against the calibrated
target, hold times and the most frequent fault (in words, with its cue); adherence to the
plan and stops for pain. Pure functions over the rows sinks/training_log.py returns."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..engine.spec import ExerciseSpec
from .guided import COUNTED_STATUSES, DONE_STATUSES, cue_text
from .routines import counts_holds

DONE = COUNTED_STATUSES  # sets whose reps and holds count (done, stopped early, stopped for pain)


@dataclass
class Period:
    start: date
    label: str  # "Mon 16 Nov" or "week of 16 Nov"
    sets: int = 0
    done: int = 0  # toward targets, in sets that had one
    target: int = 0  # every planned set's target, done or not (as the session summary counts it)
    free: int = 0  # in free sets (the live coach, no target)
    reps: int = 0
    good_reps: int = 0
    hold_times: list[float] = field(default_factory=list)
    depth_shares: list[float] = field(default_factory=list)

    @property
    def good_share(self) -> float | None:
        return self.good_reps / self.reps if self.reps else None

    @property
    def depth_share(self) -> float | None:
        return sum(self.depth_shares) / len(self.depth_shares) if self.depth_shares else None

    @property
    def hold_mean(self) -> float | None:
        return sum(self.hold_times) / len(self.hold_times) if self.hold_times else None


@dataclass
class RecurringFault:
    code: str
    label: str
    count: int
    cue: str


@dataclass
class ExerciseTrend:
    exercise: str
    title: str
    counts_reps: bool
    periods: list[Period]
    faults: list[RecurringFault]
    hold_target: tuple[float, float] | None
    depth_target: float | None
    depth_calibrated: bool | None
    pain_stops: int
    per_side: bool = False  # holds count per side (the fewest of either side), as sets count them

    @property
    def done(self) -> int:
        return sum(p.done for p in self.periods)

    @property
    def free(self) -> int:
        return sum(p.free for p in self.periods)

    @property
    def target(self) -> int:
        return sum(p.target for p in self.periods)

    @property
    def good_share(self) -> float | None:
        reps = sum(p.reps for p in self.periods)
        return sum(p.good_reps for p in self.periods) / reps if reps else None

    def sentences(self) -> list[str]:
        # A per-side exercise counts a set's holds per side: said so, beside "Holds: n of all".
        unit = "reps" if self.counts_reps else "holds per side" if self.per_side else "holds"
        good = self.good_share if self.counts_reps else None
        parts = []
        if self.target:
            parts.append(f"{self.done} of {self.target} {unit} done in guided sets")
        if self.free or not self.target:
            one = unit.replace("reps", "rep").replace("holds", "hold")  # "1 rep", not "1 reps"
            parts.append(f"{self.free} {one if self.free == 1 else unit} in free sets")
        out = ["; ".join(parts) + (f", {good:.0%} of reps with good form" if good is not None else "") + "."]
        shares = [s for p in self.periods for s in p.depth_shares]
        if shares:
            first, last = self.periods_with_depth[0].depth_share, self.periods_with_depth[-1].depth_share
            whose = "calibrated" if self.depth_calibrated else "default (not calibrated)"
            trend = f", from {first:.0%} to {last:.0%}" if len(self.periods_with_depth) > 1 else ""
            out.append(f"Depth: {sum(shares) / len(shares):.0%} of the {whose} target on average{trend}.")
        holds = [t for p in self.periods for t in p.hold_times]
        if holds and self.hold_target:
            held = sum(1 for t in holds if t >= self.hold_target[0])
            what = "reps held" if self.counts_reps else "holds reached"
            out.append(f"Holds: {held} of {len(holds)} {what} at least {self.hold_target[0]:g} s "
                       f"(target {self.hold_target[0]:g}-{self.hold_target[1]:g} s), longest {max(holds):.1f} s.")
        if self.faults:
            top = self.faults[0]
            out.append(f"Most frequent fault: {top.label.lower()} ({top.count}x)"
                       + (f"; cue: \u201c{top.cue}\u201d." if top.cue else "."))
        else:
            out.append("No recurring faults.")
        if self.pain_stops:
            out.append(f"Stopped for pain {self.pain_stops}x during this exercise.")
        return out

    @property
    def periods_with_depth(self) -> list[Period]:
        return [p for p in self.periods if p.depth_share is not None]


def parse_day(text: str, today: datetime | None = None) -> datetime:
    """A day a person names: `2026-11-01`, or `14d` / `4w` back from today; its local
    midnight. ValueError, in words, for anything else, including a day the platform's clock
    cannot take (`0001-01-01`, `1000000w`): the CLI's --since/--until and /progress share it."""
    today = (today or datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    shown = text if len(text) <= 24 else f"{text[:24]}..."
    try:
        if text[-1:] in ("d", "w") and text[:-1].isdigit():
            day = today - timedelta(days=int(text[:-1]) * (7 if text[-1] == "w" else 1))
        else:
            day = datetime.strptime(text, "%Y-%m-%d")
    except OverflowError:
        raise ValueError(f"'{shown}': too far back") from None
    except ValueError:
        raise ValueError(f"'{shown}': give a date as YYYY-MM-DD, or 14d / 4w back from today") from None
    try:
        day.timestamp()
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"'{shown}': out of range; give a later date") from None
    return day


def period_start(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


def period_label(start: date, weekly: bool) -> str:
    return f"week of {start:%d %b}" if weekly else f"{start:%a %d %b}"


def use_weeks(sets: list[dict]) -> bool:
    """Days while the history is short; weeks once it spans four weeks or more."""
    if not sets:
        return False
    return (sets[-1]["ts"] - sets[0]["ts"]) >= 28 * 86400


def exercise_trends(sets: list[dict], specs: dict[str, ExerciseSpec], *, weekly: bool | None = None) -> list[ExerciseTrend]:
    weekly = use_weeks(sets) if weekly is None else weekly
    trends = []
    by_exercise: dict[str, list[dict]] = {}
    for s in sets:
        by_exercise.setdefault(s["exercise"], []).append(s)
    for exercise, rows in by_exercise.items():
        spec = specs.get(exercise)
        title = spec.exercise.title if spec else exercise.replace("_", " ").capitalize()
        periods: dict[date, Period] = {}
        faults: Counter = Counter()
        hold_target = depth_target = depth_calibrated = None
        counts_reps = not (spec and counts_holds(spec))
        planned_slots: set = set()
        for s in rows:
            if s["status"] == "repeated":  # a skipped try replaced by a later one
                continue
            start = period_start(datetime.fromtimestamp(s["ts"]).date(), weekly)
            p = periods.setdefault(start, Period(start, period_label(start, weekly)))
            # A set done twice in a session counts its work twice and its target once, as
            # the session summary does.
            slot = (s["session_id"], s["set_number"]) if s["session_id"] is not None else ("free", s["id"])
            if slot not in planned_slots:
                planned_slots.add(slot)
                p.target += s["target"] or 0
            if s["status"] not in DONE:
                continue
            p.sets += 1
            if s["target"]:
                p.done += s["done"]
            else:
                p.free += s["done"]
            p.reps += s["reps"]
            p.good_reps += s["good_reps"]
            p.hold_times += s["hold_times"]
            if s["depth_share"] is not None:
                p.depth_shares.append(s["depth_share"])
                depth_target, depth_calibrated = s["depth_target"], bool(s["depth_calibrated"])
            hold_target = tuple(s["hold_target"]) if s["hold_target"] else hold_target
            faults.update(s["faults"])
        recurring = [RecurringFault(code, spec.fault_label(code) if spec else code.replace("_", " "), n,
                                    cue_text(spec, code) if spec else "")
                     for code, n in faults.most_common()]
        trends.append(ExerciseTrend(exercise, title, counts_reps, [periods[k] for k in sorted(periods)], recurring,
                                    hold_target, depth_target, depth_calibrated,
                                    sum(1 for s in rows if s["status"] == "pain_stop"),
                                    per_side=bool(spec and not counts_reps and spec.hold and spec.hold.per_side)))
    return trends


@dataclass
class Adherence:
    sessions: int
    completed: int
    sets_done: int
    sets_planned: int
    pain_stops: int
    days_active: int
    sets_partly: int = 0  # stopped before the target (or for pain): done in part

    def sentence(self) -> str:
        if not self.sessions:
            return "No guided sessions in this period."
        share = f" ({self.sets_done / self.sets_planned:.0%})" if self.sets_planned else ""
        partly = f", {self.sets_partly} in part" if self.sets_partly else ""
        text = (f"{self.sessions} session{'s' if self.sessions != 1 else ''} on {self.days_active} "
                f"day{'s' if self.days_active != 1 else ''}, {self.completed} completed; "
                f"{self.sets_done} of {self.sets_planned} planned sets done in full{share}{partly}.")
        if self.pain_stops:
            text += f" Stopped for pain {self.pain_stops}x."
        return text


def adherence(sessions: list[dict], sets: list[dict]) -> Adherence:
    in_sessions = [s for s in sets if s["session_id"] is not None]
    return Adherence(
        sessions=len(sessions), completed=sum(1 for s in sessions if s["status"] == "completed"),
        sets_done=sum(1 for s in in_sessions if s["status"] in DONE_STATUSES),
        sets_partly=sum(1 for s in in_sessions if s["status"] in ("stopped", "pain_stop")),
        sets_planned=sum(s["planned_sets"] for s in sessions),
        pain_stops=sum(1 for s in sessions if s["status"] == "pain_stop"),
        days_active=len({datetime.fromtimestamp(s["started_ts"]).date() for s in sessions}))
