"""Guided sessions in the web page: the server holds each run's plan and outcomes; the
page only shows them. A set is one /ws/live session whose start message names the run
and the set; its report becomes the set's outcome here, and goes into the history
(unless the user switched history off). Sets done on their own in the live coach go into
the history too, as free sets."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PosecheckError
from ..guided import (
    SessionSummary,
    SetOutcome,
    SetPlan,
    free_set_plan,
    not_done,
    outcome_from_report,
    plan_sets,
    summarise,
)
from ..profiles import load_profile
from ..routines import Routine, get_routine
from ..sinks.history import History
from ..sinks.training_log import TrainingLog
from ..spec import ExerciseSpec, get_spec

MAX_RUNS = 20  # runs kept in memory; the oldest go first (a page left open is not a leak)


class RunNotFound(PosecheckError):
    pass


@dataclass
class GuidedRun:
    id: str
    routine: Routine
    user: str
    plans: list[SetPlan]
    specs: dict[str, ExerciseSpec]
    keep: bool
    session_row: int | None = None
    outcomes: dict[int, SetOutcome] = field(default_factory=dict)
    set_rows: dict[int, int] = field(default_factory=dict)  # set index -> history row
    summary: SessionSummary | None = None


class GuidedRuns:
    def __init__(self, history_path: Path) -> None:
        self.history_path = history_path
        self._runs: dict[str, GuidedRun] = {}
        self._lock = threading.Lock()

    def _log(self) -> TrainingLog:
        return TrainingLog(History(self.history_path))

    def start(self, routine_name: str, user: str) -> GuidedRun:
        routine = get_routine(routine_name)
        specs = {s.exercise: get_spec(s.exercise) for s in routine.steps}
        keep = load_profile(user).keep_history
        run = GuidedRun(secrets.token_urlsafe(9), routine, user, plan_sets(routine, specs), specs, keep)
        if keep:
            log = self._log()
            with log.history:
                run.session_row = log.start_session(user, routine.name, routine.routine.title, len(run.plans))
        with self._lock:
            while len(self._runs) >= MAX_RUNS:
                self._runs.pop(next(iter(self._runs)))
            self._runs[run.id] = run
        return run

    def get(self, run_id: str) -> GuidedRun:
        with self._lock:
            run = self._runs.get(run_id)
        if run is None:
            raise RunNotFound(f"no guided session '{run_id[:20]}' (it ended, or the server restarted)")
        return run

    def plan(self, run_id: str, index: int) -> SetPlan:
        run = self.get(run_id)
        if not 0 <= index < len(run.plans):
            raise RunNotFound(f"set {index} is not in this session (0-{len(run.plans) - 1})")
        if run.summary is not None:
            raise RunNotFound("this guided session has ended")
        return run.plans[index]

    def record(self, run_id: str, index: int, report: dict, *, pain: bool = False) -> SetOutcome:
        plan = self.plan(run_id, index)
        run = self.get(run_id)
        profile = load_profile(run.user)
        outcome = outcome_from_report(plan, report, run.specs[plan.exercise], profile,
                                      status="pain_stop" if pain else "done")
        self._store(run, index, outcome)
        return outcome

    def skip(self, run_id: str, index: int) -> SetOutcome:
        plan = self.plan(run_id, index)
        outcome = not_done(plan, "skipped")
        self._store(self.get(run_id), index, outcome)
        return outcome

    def _store(self, run: GuidedRun, index: int, outcome: SetOutcome) -> None:
        with self._lock:
            repeated = run.set_rows.get(index)
            run.outcomes[index] = outcome
        if not run.keep:
            return
        log = self._log()
        with log.history:
            if repeated is not None:  # the set was done again: the later one counts
                log.mark_set(repeated, "repeated")
            run.set_rows[index] = log.add_set(run.user, outcome, session_id=run.session_row)

    def finish(self, run_id: str, *, pain: bool) -> SessionSummary:
        run = self.get(run_id)
        if run.summary is not None:
            return run.summary
        outcomes = [run.outcomes.get(p.index) or not_done(p, "not_reached") for p in run.plans]
        summary = summarise(run.routine, outcomes, pain_stop=pain)
        run.summary = summary
        if run.keep and run.session_row is not None:
            log = self._log()
            with log.history:
                # Sets never reached are stored too: /progress and the handout count the
                # plan's targets from the same rows the session summary counted.
                for outcome in outcomes:
                    if outcome.status == "not_reached":
                        log.add_set(run.user, outcome, session_id=run.session_row)
                log.finish_session(run.session_row, summary)
        return summary


def store_free_set(history_path: Path, spec: ExerciseSpec, user: str, report: dict) -> SetOutcome:
    """A set done on its own in the live coach, with no target; stored unless the user
    switched history off."""
    profile = load_profile(user)
    outcome = outcome_from_report(free_set_plan(spec), report, spec, profile)
    if profile.keep_history and (outcome.reps or outcome.holds):
        log = TrainingLog(History(history_path))
        with log.history:
            log.add_set(user, outcome)
    return outcome
