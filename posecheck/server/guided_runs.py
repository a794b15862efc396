"""Guided sessions in the web page: the server holds each run's plan and outcomes; the
page only shows them. A set is one /ws/live session whose start message names the run
and the set; its report becomes the set's outcome here, and goes into the history
(unless the user switched history off). Sets done on their own in the live coach go into
the history too, as free sets."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.profiles import load_profile
from ..engine.spec import ExerciseSpec, get_spec
from ..errors import PosecheckError
from ..sinks.history import History
from ..sinks.training_log import TrainingLog
from ..training.guided import (
    COUNTED_STATUSES,
    SessionSummary,
    SetOutcome,
    SetPlan,
    free_set_plan,
    not_done,
    outcome_from_report,
    plan_sets,
    summarise,
)
from ..training.routines import Routine, get_routine

MAX_RUNS = 20  # runs kept in memory; finished ones go first, then the oldest (a page left open is not a leak)
# A running run let go still takes the set it has in flight and its end (a pain stop is
# never lost): its id leads to its row for this many more runs; it starts no new set.
MAX_LET_GO = 200


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
    pain_stops: int = 0  # sets stopped for pain, redone or not
    earlier: list[SetOutcome] = field(default_factory=list)  # first tries of sets done again: they count too


class GuidedRuns:
    def __init__(self, history_path: Path) -> None:
        self.history_path = history_path
        self._runs: dict[str, GuidedRun] = {}
        self._let_go: OrderedDict[str, GuidedRun] = OrderedDict()
        self._lock = threading.Lock()
        self.close_left_running()

    def _log(self) -> TrainingLog:
        return TrainingLog(History(self.history_path))

    def close_left_running(self) -> None:
        """At the server's start: session rows a server or `posecheck session` left running
        (killed, crashed) are closed with what they hold. Only a file holding such a row
        is opened for writing; a file that cannot be is left to the pages to report."""
        if not Path(self.history_path).is_file():
            return
        try:
            with History(self.history_path, readonly=True) as reader:
                if not reader.has_table("exercise_sessions") or reader.db.execute(
                        "SELECT 1 FROM exercise_sessions WHERE status = 'running' LIMIT 1").fetchone() is None:
                    return
            log = self._log()
            with log.history:
                log.close_abandoned()
        except (PosecheckError, sqlite3.Error):
            pass

    def start(self, routine_name: str, user: str) -> GuidedRun:
        routine = get_routine(routine_name)
        specs = {s.exercise: get_spec(s.exercise) for s in routine.steps}
        keep = load_profile(user).keep_history
        run = GuidedRun(secrets.token_urlsafe(9), routine, user, plan_sets(routine, specs), specs, keep)
        if keep:
            log = self._log()
            with log.history:
                run.session_row = log.start_session(user, routine.name, routine.routine.title, len(run.plans))
        let_go = []
        with self._lock:
            while len(self._runs) >= MAX_RUNS:
                old = next((k for k, r in self._runs.items() if r.summary is not None), next(iter(self._runs)))
                gone = self._runs.pop(old)
                if gone.summary is None:
                    let_go.append(gone)
                    self._let_go[old] = gone
                    while len(self._let_go) > MAX_LET_GO:
                        self._let_go.popitem(last=False)
            self._runs[run.id] = run
        for gone in let_go:  # its row holds what was done so far: closed now, not left running
            if gone.keep and gone.session_row is not None:
                try:
                    log = self._log()
                    with log.history:
                        log.close_stored(gone.session_row)
                except (PosecheckError, sqlite3.Error):
                    pass  # left running: closed at the next start
        return run

    def get(self, run_id: str, *, let_go: bool = False) -> GuidedRun:
        """A run in memory; `let_go`: also one let go while running (for its last set and its end)."""
        with self._lock:
            run = self._runs.get(run_id) or (self._let_go.get(run_id) if let_go else None)
        if run is None:
            raise RunNotFound(f"no guided session '{run_id[:20]}' (it ended, or the server restarted)")
        return run

    def _let_go_run(self, run: GuidedRun) -> bool:
        with self._lock:
            return self._runs.get(run.id) is not run

    def plan(self, run_id: str, index: int) -> SetPlan:
        run = self.get(run_id)
        if not 0 <= index < len(run.plans):
            raise RunNotFound(f"set {index} is not in this session (0-{len(run.plans) - 1})")
        if run.summary is not None:
            raise RunNotFound("this guided session has ended")
        return run.plans[index]

    def record(self, run_id: str, index: int, report: dict, *, pain: bool = False) -> SetOutcome:
        """A set that ended (done, or stopped for pain): stored as it happens, even when its
        run was let go while the set was in flight."""
        run = self.get(run_id, let_go=True)
        if not 0 <= index < len(run.plans):
            raise RunNotFound(f"set {index} is not in this session (0-{len(run.plans) - 1})")
        if run.summary is not None:
            raise RunNotFound("this guided session has ended")
        plan = run.plans[index]
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
            before = run.outcomes.get(index)
            run.outcomes[index] = outcome
            if outcome.status == "pain_stop":
                run.pain_stops += 1
            # Done again: the later try is the set, and what the first try did still counts.
            kept = before is not None and before.status in COUNTED_STATUSES
            if kept:
                run.earlier.append(before)
        if not run.keep:
            return
        log = self._log()
        with log.history:
            # Only a try that did nothing (skipped) is replaced in the history; a done,
            # stopped or pain-stopped one stays counted.
            if repeated is not None and before is not None and not kept:
                log.mark_set(repeated, "repeated")
            run.set_rows[index] = log.add_set(run.user, outcome, session_id=run.session_row)
            if self._let_go_run(run) and run.summary is None and run.session_row is not None:
                log.close_stored(run.session_row, only_running=False)  # its closed row now holds this set too

    def finish(self, run_id: str, *, pain: bool) -> SessionSummary:
        run = self.get(run_id, let_go=True)
        if run.summary is not None:
            return run.summary
        outcomes = [run.outcomes.get(p.index) or not_done(p, "not_reached") for p in run.plans]
        # A set stopped for pain and then redone still makes it a session stopped for pain.
        summary = summarise(run.routine, outcomes, pain_stop=pain or run.pain_stops > 0, earlier=run.earlier)
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
