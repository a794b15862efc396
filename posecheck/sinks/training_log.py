"""Finished exercise sets and guided sessions in the local history (history.py's file):
counts, hold times, depth against target, faults and stops for pain; never frames.

Writers check the user's `keep_history` switch (engine/profiles.py) before they open anything.

A session row is `running` while the process that started it lives: that process holds
the row's lock (`<history>.session-<id>.lock`, a flock the kernel drops however the process
ends), taken before the row can be seen. The next start of a session (or of the server)
closes every row left running whose lock nobody holds, as `partial` (or `pain_stop` when
it holds a set stopped for pain), with a summary of the sets it holds."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import PosecheckError
from ..files import PidLock, lock_is_held
from ..training.guided import (
    SessionSummary,
    SetOutcome,
    SetPlan,
    cue_text,
    depth_faults,
    sets_done_line,
    summarise_named,
)
from .history import BUSY_TIMEOUT_S, History, database_problem

# Session rows this process runs: lock path -> the held lock (one process may run several:
# the server's guided runs).
_owned: dict[Path, PidLock] = {}
_owned_guard = threading.Lock()


def session_lock_path(history: History, session_id: int) -> Path:
    key = history.key  # resolved: the same row has the same lock however the file was named
    return key.with_name(f"{key.name}.session-{session_id}.lock")


def _release(path: Path) -> None:
    with _owned_guard:
        lock = _owned.pop(path, None)
    if lock is not None:
        path.unlink(missing_ok=True)  # before the flock goes: no one can have taken it meanwhile
        lock.release()


def is_locked(exc: Exception) -> bool:
    """SQLite's "database is locked" / "busy": another program holds a write."""
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


class TrainingLog:
    def __init__(self, history: History) -> None:
        self.history = history
        self.db = history.db

    # --- writing ---------------------------------------------------------------------------

    def start_session(self, user: str, routine: str, title: str, planned_sets: int,
                      started_ts: float | None = None) -> int:
        """A new `running` row, owned by this process until `finish_session` (or
        `close_stored`). Rows left running by processes that are gone are closed first."""
        self.close_abandoned()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO exercise_sessions (user, routine, title, started_ts, planned_sets) VALUES (?, ?, ?, ?, ?)",
                (user, routine, title, started_ts or time.time(), planned_sets))
            # Inside the transaction: by the time another process sees the row, it is owned.
            lock = PidLock(session_lock_path(self.history, cur.lastrowid)).acquire()
        with _owned_guard:
            _owned[lock.path] = lock
        return cur.lastrowid

    def add_set(self, user: str, outcome: SetOutcome, *, session_id: int | None = None,
                ts: float | None = None) -> int:
        p = outcome.plan
        with self.db:
            cur = self.db.execute(
                "INSERT INTO exercise_sets (session_id, user, ts, exercise, status, set_number, sets, target, done, "
                "reps, good_reps, holds, full_holds, hold_times, hold_target, depth_share, depth_target, "
                "depth_calibrated, faults, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, user, ts or time.time(), p.exercise, outcome.status, p.set_number, p.sets, p.target,
                 outcome.done, outcome.reps, outcome.good_reps, outcome.holds, outcome.full_holds,
                 json.dumps(outcome.hold_times), json.dumps(p.hold_s) if p.hold_s else None, outcome.depth_share,
                 outcome.depth_target,
                 None if outcome.depth_calibrated is None else int(outcome.depth_calibrated),
                 json.dumps(outcome.faults), outcome.duration_s))
        return cur.lastrowid

    def mark_set(self, set_id: int, status: str) -> None:
        with self.db:
            self.db.execute("UPDATE exercise_sets SET status = ? WHERE id = ? AND status != 'pain_stop'",
                            (status, set_id))

    def finish_session(self, session_id: int, summary: SessionSummary, *, ended_ts: float | None = None) -> None:
        status = "pain_stop" if summary.pain_stop else (
            "completed" if all(o.status == "done" for o in summary.outcomes) else "partial")
        with self.db:
            self.db.execute("UPDATE exercise_sessions SET ended_ts = ?, status = ?, summary = ? WHERE id = ?",
                            (ended_ts or time.time(), status, json.dumps(summary.lines), session_id))
        _release(session_lock_path(self.history, session_id))

    def close_stored(self, session_id: int, *, only_running: bool = True) -> str | None:
        """Close a session row with what it holds: `pain_stop` when one of its sets was
        stopped for pain, else `partial`, and the summary of its stored sets. Returns the
        status, or None when the row was not running (`only_running`) or is not there."""
        session = self.db.execute("SELECT title, planned_sets, started_ts, status FROM exercise_sessions WHERE id = ?",
                                  (session_id,)).fetchone()
        if session is None or (only_running and session[3] != "running"):
            return None
        title, planned, started_ts, _ = session
        cur = self.db.execute("SELECT * FROM exercise_sets WHERE session_id = ? AND status != 'repeated' ORDER BY id",
                              (session_id,))
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
        outcomes = [outcome_from_row(row) for row in rows]
        pain = any(o.status == "pain_stop" for o in outcomes)
        status = "pain_stop" if pain else "partial"
        lines = [sets_done_line(title, outcomes, planned, pain_stop=pain, end="; the session was not finished."),
                 *summarise_named("", title, outcomes, pain_stop=pain).lines[1:]]
        ended = max([started_ts, *(row["ts"] for row in rows)])
        with self.db:
            self.db.execute("UPDATE exercise_sessions SET ended_ts = ?, status = ?, summary = ? WHERE id = ?"
                            + (" AND status = 'running'" if only_running else ""),
                            (ended, status, json.dumps(lines), session_id))
        _release(session_lock_path(self.history, session_id))
        return status

    def close_abandoned(self) -> list[int]:
        """Rows left `running` by a process that is gone (killed, crashed, a server that
        stopped): each closed with what it holds. Rows whose owner lives are left alone."""
        if not self.history.has_table("exercise_sessions"):
            return []
        closed = []
        for (session_id,) in self.db.execute("SELECT id FROM exercise_sessions WHERE status = 'running'").fetchall():
            lock = session_lock_path(self.history, session_id)
            with _owned_guard:
                ours = lock in _owned
            if ours or lock_is_held(lock):
                continue
            if self.close_stored(session_id) is not None:
                closed.append(session_id)
            lock.unlink(missing_ok=True)
        return closed

    # --- reading ----------------------------------------------------------------------------

    def sets(self, user: str, since_ts: float = 0.0, until_ts: float = float("inf")) -> list[dict]:
        return self._rows("exercise_sets", "ts", ("hold_times", "hold_target", "faults"), user, since_ts, until_ts)

    def sessions(self, user: str, since_ts: float = 0.0, until_ts: float = float("inf")) -> list[dict]:
        return self._rows("exercise_sessions", "started_ts", ("summary",), user, since_ts, until_ts)

    def _rows(self, table: str, time_column: str, json_columns: tuple[str, ...], user: str, since_ts: float,
              until_ts: float) -> list[dict]:
        """A user's rows of `table` in [since, until), JSON columns decoded (NULL stays None).
        A file not yet upgraded has no such table: nothing stored yet."""
        if not self.history.has_table(table):
            return []
        cur = self.db.execute(f"SELECT * FROM {table} WHERE user = ? AND {time_column} >= ? AND {time_column} < ? "
                              f"ORDER BY {time_column}", (user, since_ts, min(until_ts, 1e18)))
        names = [c[0] for c in cur.description]
        out = []
        for row in cur.fetchall():
            item = dict(zip(names, row))
            for column in json_columns:
                item[column] = json.loads(item[column]) if item[column] is not None else None
            out.append(item)
        return out


def outcome_from_row(row: dict) -> SetOutcome:
    """A stored set back as an outcome (for the summary of a session closed later): the
    counts, holds, depth and faults it was stored with, worded by its exercise's spec when
    that is still there."""
    from ..engine.spec import get_spec
    from ..training.routines import counts_holds

    try:
        spec = get_spec(row["exercise"])
    except PosecheckError:
        spec = None
    holds = counts_holds(spec) if spec is not None else bool(row["holds"] and not row["reps"])
    per_side = bool(spec is not None and spec.hold and spec.hold.per_side and holds)
    hold_s = json.loads(row["hold_target"]) if row["hold_target"] else None
    plan = SetPlan(index=0, step=0, exercise=row["exercise"],
                   title=spec.exercise.title if spec is not None else row["exercise"].replace("_", " ").capitalize(),
                   set_number=row["set_number"] or 1, sets=row["sets"] or 1,
                   reps=None if holds else row["target"], holds=row["target"] if holds else None, per_side=per_side,
                   hold_s=tuple(hold_s) if hold_s else None, rest_s=0.0, note="", counts="holds" if holds else "reps")
    faults = json.loads(row["faults"] or "{}")
    unit = None
    if row["depth_target"] is not None:
        metric = depth_faults(spec)[0].metric if spec is not None and depth_faults(spec) else ""
        unit = "deg" if metric.endswith("_deg") or (not metric and row["depth_target"] > 2) else "of leg length"
    return SetOutcome(
        plan=plan, status=row["status"], reps=row["reps"], good_reps=row["good_reps"], holds=row["holds"],
        full_holds=row["full_holds"],
        holds_by_side={"left": row["done"], "right": row["done"]} if per_side else {"either side": row["done"]},
        hold_times=json.loads(row["hold_times"] or "[]"), faults=faults,
        fault_labels={c: spec.fault_label(c) if spec is not None else c.replace("_", " ").capitalize() for c in faults},
        fault_cues={c: cue_text(spec, c) if spec is not None else "" for c in faults},
        depth_share=row["depth_share"], depth_target=row["depth_target"], depth_unit=unit,
        depth_calibrated=None if row["depth_calibrated"] is None else bool(row["depth_calibrated"]),
        duration_s=row["duration_s"])


class SessionRecorder:
    """One headless session's writes, each made as it happens. A write refused because
    another program holds the database locked (past SQLite's busy wait) is kept, in order,
    and tried again before the next one (waiting less, so the session goes on); `flush`
    makes the last try, with the full wait. Nothing analysed is dropped on the way."""

    RETRY_WAIT_S = 2

    def __init__(self, log: TrainingLog, user: str, routine: str, title: str, planned_sets: int, *,
                 warn: Callable[[str], None] | None = None) -> None:
        self.log, self.user = log, user
        self.session_id: int | None = None
        self.pending: list[Callable[[], object]] = []
        self.problem: str | None = None
        self.sets_pending = 0
        self.warn = warn or (lambda text: print(text, file=sys.stderr))
        self._write(self._start(routine, title, planned_sets))

    def _start(self, routine: str, title: str, planned_sets: int) -> Callable[[], object]:
        def start() -> None:
            self.session_id = self.log.start_session(self.user, routine, title, planned_sets)
        return start

    def add_set(self, outcome: SetOutcome) -> None:
        def add() -> None:
            self.log.add_set(self.user, outcome, session_id=self.session_id)
            self.sets_pending -= 1
        self.sets_pending += 1
        self._write(add)

    def finish(self, summary: SessionSummary) -> None:
        self._write(lambda: self.log.finish_session(self.session_id, summary))
        self.flush(BUSY_TIMEOUT_S)

    def _write(self, write: Callable[[], object]) -> None:
        self.pending.append(write)
        self.flush()

    def flush(self, wait_s: float | None = None) -> bool:
        if wait_s is not None:
            self._wait(wait_s)
        while self.pending:
            try:
                self.pending[0]()
            except sqlite3.OperationalError as exc:
                if not is_locked(exc):
                    raise
                if self.problem is None:
                    self.warn(f"posecheck: warning: {database_problem(self.log.history.path, exc)}; the sets are "
                              "kept and stored as soon as it is free")
                    self._wait(self.RETRY_WAIT_S)
                self.problem = database_problem(self.log.history.path, exc)
                return False
            self.pending.pop(0)
        if self.problem is not None:
            self._wait(BUSY_TIMEOUT_S)
            self.problem = None
        return True

    def _wait(self, seconds: float) -> None:
        self.log.db.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def unsaved(self) -> str | None:
        """After `finish`: what could not be stored, in one line, or None."""
        if not self.pending:
            return None
        if self.session_id is None:
            return f"{self.problem}; the session and its {self.sets_pending} set(s) could not be stored"
        if self.sets_pending:
            return (f"{self.problem}; {self.sets_pending} set(s) and the session's end could not be stored (the "
                    "sets stored before are kept, and the session is closed with them at the next start)")
        return (f"{self.problem}; the session's end could not be stored (its sets are stored, and it is closed "
                "with them at the next start)")
