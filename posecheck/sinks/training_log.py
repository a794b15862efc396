"""Finished exercise sets and guided sessions in the local history (history.py's file):
counts, hold times, depth against target, faults and stops for pain; never frames.

Writers check the user's `keep_history` switch (profiles.py) before they open anything."""

from __future__ import annotations

import json
import time

from ..guided import SessionSummary, SetOutcome
from .history import History


class TrainingLog:
    def __init__(self, history: History) -> None:
        self.history = history
        self.db = history.db

    # --- writing ---------------------------------------------------------------------------

    def start_session(self, user: str, routine: str, title: str, planned_sets: int,
                      started_ts: float | None = None) -> int:
        with self.db:
            cur = self.db.execute(
                "INSERT INTO exercise_sessions (user, routine, title, started_ts, planned_sets) VALUES (?, ?, ?, ?, ?)",
                (user, routine, title, started_ts or time.time(), planned_sets))
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
            self.db.execute("UPDATE exercise_sets SET status = ? WHERE id = ?", (status, set_id))

    def finish_session(self, session_id: int, summary: SessionSummary, *, ended_ts: float | None = None) -> None:
        status = "pain_stop" if summary.pain_stop else (
            "completed" if all(o.status == "done" for o in summary.outcomes) else "partial")
        with self.db:
            self.db.execute("UPDATE exercise_sessions SET ended_ts = ?, status = ?, summary = ? WHERE id = ?",
                            (ended_ts or time.time(), status, json.dumps(summary.lines), session_id))

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
