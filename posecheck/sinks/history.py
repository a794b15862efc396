"""The local history in SQLite (WAL): the monitor's per-minute posture totals, alerts and
breaks, and (training_log.py) finished exercise sets and guided sessions. One database.

Every sample is committed as it is taken (an upsert of its minute's row), so a monitor
killed with `kill -9` loses at most the sample in flight and the file still opens.

Tables:
    minutes(minute_ts INTEGER PRIMARY KEY,  -- epoch seconds of the minute's start (local clock)
            upright_s, slouched_s, not_sitting_s, not_visible_s, away_s REAL,
            faults TEXT)                      -- JSON {fault_code: seconds}
    alerts(id, ts REAL, kind TEXT,            -- kind: posture | break
           message TEXT, faults TEXT)
    breaks(id, start_ts REAL, end_ts REAL)    -- away or standing long enough to count as a break
    samples(ts REAL, state TEXT, faults TEXT) -- every sample, kept `SAMPLE_RETENTION_DAYS` days
    exercise_sessions, exercise_sets          -- see training_log.py (schema version 2)
    minutes.paused_s, minutes.stale_s         -- paused, and calibration stale (version 3)

The schema is versioned with `PRAGMA user_version`: `MIGRATIONS[n]` takes a database from
version n to n+1, each in one transaction. A file from before versioning (the monitor's
tables, user_version 0) is version 1's tables already, so upgrading it only adds tables.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from ..errors import PosecheckError
from ..files import private_dir, private_file

STATES = ("upright", "slouched", "not_sitting", "not_visible", "away", "paused", "stale")

SCHEMA = """
CREATE TABLE IF NOT EXISTS minutes (
    minute_ts INTEGER PRIMARY KEY,
    upright_s REAL NOT NULL DEFAULT 0, slouched_s REAL NOT NULL DEFAULT 0,
    not_sitting_s REAL NOT NULL DEFAULT 0, not_visible_s REAL NOT NULL DEFAULT 0,
    away_s REAL NOT NULL DEFAULT 0, faults TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, kind TEXT NOT NULL,
    message TEXT NOT NULL, faults TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS breaks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, start_ts REAL NOT NULL, end_ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS samples (
    ts REAL NOT NULL, state TEXT NOT NULL, faults TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE INDEX IF NOT EXISTS samples_ts ON samples(ts);
"""
EXERCISE_SCHEMA = """
CREATE TABLE IF NOT EXISTS exercise_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, routine TEXT NOT NULL, title TEXT NOT NULL,
    started_ts REAL NOT NULL, ended_ts REAL, status TEXT NOT NULL DEFAULT 'running',
    planned_sets INTEGER NOT NULL, summary TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS exercise_sets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER REFERENCES exercise_sessions(id),  -- NULL: a set done on its own
    user TEXT NOT NULL, ts REAL NOT NULL, exercise TEXT NOT NULL, status TEXT NOT NULL,
    set_number INTEGER, sets INTEGER, target INTEGER, done INTEGER NOT NULL DEFAULT 0,
    reps INTEGER NOT NULL DEFAULT 0, good_reps INTEGER NOT NULL DEFAULT 0,
    holds INTEGER NOT NULL DEFAULT 0, full_holds INTEGER NOT NULL DEFAULT 0,
    hold_times TEXT NOT NULL DEFAULT '[]', hold_target TEXT,
    depth_share REAL, depth_target REAL, depth_calibrated INTEGER,
    faults TEXT NOT NULL DEFAULT '{}', duration_s REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS exercise_sets_user_ts ON exercise_sets(user, ts);
CREATE INDEX IF NOT EXISTS exercise_sessions_user_ts ON exercise_sessions(user, started_ts);
"""
# Paused time (a snooze, a locked screen) and time with a stale calibration are states of
# their own: neither is posture, neither is being away.
PAUSE_SCHEMA = """
ALTER TABLE minutes ADD COLUMN paused_s REAL NOT NULL DEFAULT 0;
ALTER TABLE minutes ADD COLUMN stale_s REAL NOT NULL DEFAULT 0
"""
# MIGRATIONS[n]: version n -> n + 1. Never edit one that has shipped; add the next.
MIGRATIONS = (SCHEMA, EXERCISE_SCHEMA, PAUSE_SCHEMA)
SCHEMA_VERSION = len(MIGRATIONS)
SAMPLE_RETENTION_DAYS = 14


def schema_version(db: sqlite3.Connection, path: Path) -> int:
    """The file's schema version; one this code does not know is refused before anything
    (even the journal mode) is changed in it."""
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise PosecheckError(f"{path}: made by a newer posecheck (history schema {found}, this one knows "
                             f"{SCHEMA_VERSION}); it was left untouched")
    return found


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Bring the file to SCHEMA_VERSION; returns the version it had."""
    found = schema_version(db, path)
    for version in range(found, SCHEMA_VERSION):
        with db:  # one transaction per step: a crash leaves the old version, whole
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
    return found


BUSY_TIMEOUT_S = 10  # how long a write waits for another program's write to end


def database_problem(path: Path, exc: Exception) -> str:
    """One line on why SQLite could not use `path`; nothing is changed in the file."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return (f"{path}: the history database is locked: another program is writing to it "
                f"(waited {BUSY_TIMEOUT_S} s)")
    if "not a database" in text or "malformed" in text:
        return f"{path}: not a posecheck history database ({text}); it was left untouched"
    if "readonly" in text or "read-only" in text:
        return f"{path}: the history database cannot be written (read-only)"
    if "unable to open" in text:
        return f"{path}: cannot open the history database there (missing or read-only folder)"
    return f"{path}: history database error ({text})"


def history_key(path: str | Path) -> Path:
    """The one name of a history file, whatever way it was reached (a symlink, `a/b/../`):
    what its locks and its monitor's control channel are derived from."""
    return Path(path).expanduser().resolve()


def read_uri(path: Path) -> str:
    """A reader's URI: read-only; and where the folder cannot be written (a read-only
    mount), immutable, as SQLite could not make the -shm file a WAL file needs to be read.
    Nobody can be writing there; a -wal left with content is read the normal way."""
    uri = f"file:{quote(str(path.absolute()))}?mode=ro"
    wal = path.with_name(path.name + "-wal")
    if not os.access(path.parent, os.W_OK) and not (wal.exists() and wal.stat().st_size):
        uri += "&immutable=1"
    return uri


class History:
    """`readonly`: for readers (the web page, reports) that must not create the file.
    Readers and writers alike refuse a file from a newer posecheck (`schema_version`)."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise PosecheckError(f"{self.path}: is a folder, not a history database")
        self.db = None
        try:
            if not readonly:
                private_dir(self.path.parent)
                private_file(self.path)  # 0600 from the start, and so are its -wal and -shm
            uri = read_uri(self.path) if readonly else f"file:{quote(str(self.path.absolute()))}?mode=rwc"
            self.db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            if readonly:
                schema_version(self.db, self.path)
                self.db.execute("SELECT count(*) FROM minutes").fetchone()
            else:
                schema_version(self.db, self.path)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self.upgraded_from = migrate(self.db, self.path)
        except (sqlite3.Error, PosecheckError) as exc:
            if self.db is not None:
                self.db.close()
            if isinstance(exc, PosecheckError):
                raise
            raise PosecheckError(database_problem(self.path, exc)) from None
        except OSError as exc:
            raise PosecheckError(f"{self.path}: cannot create the history database there ({exc.strerror})") from None

    @property
    def key(self) -> Path:
        return history_key(self.path)

    def states(self) -> tuple[str, ...]:
        """The states this file has columns for (a reader may open an older file)."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(minutes)")}
        return tuple(s for s in STATES if f"{s}_s" in columns)

    def has_table(self, name: str) -> bool:
        """For readers of a file not yet upgraded (they never change it)."""
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                               (name,)).fetchone() is not None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------------

    def add_sample(self, ts: float, state: str, seconds: float, faults: list[str]) -> None:
        """Credit `seconds` of `state` (and of each fault) to the minute holding `ts`."""
        if state not in STATES:
            raise ValueError(f"unknown state {state}")
        minute = int(ts // 60 * 60)
        with self.db:
            self.db.execute("INSERT INTO samples (ts, state, faults) VALUES (?, ?, ?)",
                            (ts, state, json.dumps(faults)))
            row = self.db.execute("SELECT faults FROM minutes WHERE minute_ts = ?", (minute,)).fetchone()
            fault_s = json.loads(row[0]) if row else {}
            for code in faults:
                fault_s[code] = round(fault_s.get(code, 0.0) + seconds, 3)
            self.db.execute(
                f"INSERT INTO minutes (minute_ts, {state}_s, faults) VALUES (?, ?, ?) "
                f"ON CONFLICT(minute_ts) DO UPDATE SET {state}_s = {state}_s + excluded.{state}_s, "
                "faults = excluded.faults", (minute, seconds, json.dumps(fault_s)))

    def prune(self, now: float) -> None:
        with self.db:
            self.db.execute("DELETE FROM samples WHERE ts < ?", (now - SAMPLE_RETENTION_DAYS * 86400,))

    def samples(self, start_ts: float, end_ts: float) -> list[dict]:
        rows = self.db.execute("SELECT ts, state, faults FROM samples WHERE ts >= ? AND ts < ? ORDER BY ts",
                               (start_ts, end_ts)).fetchall()
        return [{"ts": ts, "state": st, "faults": json.loads(f)} for ts, st, f in rows]

    def add_alert(self, ts: float, kind: str, message: str, faults: list[str]) -> None:
        with self.db:
            self.db.execute("INSERT INTO alerts (ts, kind, message, faults) VALUES (?, ?, ?, ?)",
                            (ts, kind, message, json.dumps(faults)))

    def add_break(self, start_ts: float, end_ts: float) -> None:
        with self.db:
            self.db.execute("INSERT INTO breaks (start_ts, end_ts) VALUES (?, ?)", (start_ts, end_ts))

    # --- reading ----------------------------------------------------------------------------

    def minutes(self, start_ts: float, end_ts: float) -> list[dict]:
        states = self.states()
        rows = self.db.execute(
            f"SELECT minute_ts, {', '.join(f'{s}_s' for s in states)}, faults "
            "FROM minutes WHERE minute_ts >= ? AND minute_ts < ? ORDER BY minute_ts", (start_ts, end_ts)).fetchall()
        out = []
        for minute, *secs, faults in rows:
            totals = dict(zip(states, secs)) | {s: 0.0 for s in STATES if s not in states}
            state = max(totals, key=totals.get) if any(totals.values()) else "away"
            out.append({"minute_ts": minute, **{f"{k}_s": round(v, 2) for k, v in totals.items()},
                        "state": state, "faults": json.loads(faults)})
        return out

    def alerts(self, start_ts: float, end_ts: float) -> list[dict]:
        rows = self.db.execute("SELECT ts, kind, message, faults FROM alerts WHERE ts >= ? AND ts < ? ORDER BY ts",
                               (start_ts, end_ts)).fetchall()
        return [{"ts": ts, "kind": kind, "message": msg, "faults": json.loads(f)} for ts, kind, msg, f in rows]

    def alerts_after(self, alert_id: int) -> list[dict]:
        """Alerts newer than `alert_id` (for pushing them to the page as they come)."""
        rows = self.db.execute("SELECT id, ts, kind, message, faults FROM alerts WHERE id > ? ORDER BY id",
                               (alert_id,)).fetchall()
        return [{"id": i, "ts": ts, "kind": kind, "message": msg, "faults": json.loads(f)} for i, ts, kind, msg, f in rows]

    def last_alert_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM alerts").fetchone()[0]

    def breaks(self, start_ts: float, end_ts: float) -> list[dict]:
        rows = self.db.execute("SELECT start_ts, end_ts FROM breaks WHERE end_ts >= ? AND start_ts < ? "
                               "ORDER BY start_ts", (start_ts, end_ts)).fetchall()
        return [{"start_ts": a, "end_ts": b} for a, b in rows]

    def summary(self, start_ts: float, end_ts: float) -> dict:
        minutes = self.minutes(start_ts, end_ts)
        totals = state_totals(minutes)
        longest = streak = 0.0
        last_minute = None
        for m in minutes:  # a sitting streak: consecutive minutes spent mostly sitting
            sitting = m["upright_s"] + m["slouched_s"] + m["not_visible_s"] >= 30
            contiguous = last_minute is not None and m["minute_ts"] - last_minute == 60
            streak = (streak + 60 if contiguous else 60) if sitting else 0.0
            longest = max(longest, streak)
            last_minute = m["minute_ts"]
        alerts = self.alerts(start_ts, end_ts)
        judged = totals["upright"] + totals["slouched"]
        return {"from_ts": start_ts, "to_ts": end_ts, "seconds": totals,
                "upright_share": round(totals["upright"] / judged, 3) if judged else None,
                "score": posture_score(totals["upright"], totals["slouched"]),
                "longest_sitting_streak_s": longest,
                "posture_alerts": sum(a["kind"] == "posture" for a in alerts),
                "break_reminders": sum(a["kind"] == "break" for a in alerts),
                "breaks_taken": len(self.breaks(start_ts, end_ts))}

    def hourly(self, start_ts: float, end_ts: float) -> list[dict]:
        hours: dict[int, dict] = {}
        for m in self.minutes(start_ts, end_ts):
            hour = int(m["minute_ts"] // 3600 * 3600)
            h = hours.setdefault(hour, {"hour_ts": hour, **{f"{s}_s": 0.0 for s in STATES}})
            for s in STATES:
                h[f"{s}_s"] = round(h[f"{s}_s"] + m[f"{s}_s"], 2)
        return [hours[k] for k in sorted(hours)]


# A day's posture score: the share of judged sitting time spent upright, 0-100, given once
# at least SCORE_MIN_JUDGED_S of posture was judged (a few minutes say little about a day).
# A streak is the run of days, up to today, each scoring at least STREAK_SCORE.
SCORE_MIN_JUDGED_S = 10 * 60
STREAK_SCORE = 75


def state_totals(minutes: list[dict]) -> dict[str, float]:
    """Seconds in each state over some minutes (History.minutes rows)."""
    return {s: round(sum(m[f"{s}_s"] for m in minutes), 1) for s in STATES}


def posture_score(upright_s: float, slouched_s: float) -> int | None:
    judged = upright_s + slouched_s
    return round(100 * upright_s / judged) if judged >= SCORE_MIN_JUDGED_S else None


def daily_scores(history: History, days: int = 30, today: datetime | None = None) -> list[dict]:
    """The last `days` days, oldest first: date, score (or None), judged minutes."""
    today = (today or datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for back in range(days - 1, -1, -1):
        try:
            day = today - timedelta(days=back)
            bounds = day_bounds(day)
        except (ValueError, OverflowError, OSError):  # before the calendar's (or the clock's) first day
            continue
        totals = state_totals(history.minutes(*bounds))
        out.append({"date": f"{day:%Y-%m-%d}", "score": posture_score(totals["upright"], totals["slouched"]),
                    "judged_min": round((totals["upright"] + totals["slouched"]) / 60, 1)})
    return out


def streak(days: list[dict]) -> int:
    """Days in a row, back from the newest, scoring at least STREAK_SCORE; today still
    counting (not scored yet) does not break it."""
    run = 0
    for i, day in enumerate(reversed(days)):
        if day["score"] is None and i == 0:
            continue
        if day["score"] is None or day["score"] < STREAK_SCORE:
            break
        run += 1
    return run


def day_bounds(day: datetime | None = None) -> tuple[float, float]:
    day = (day or datetime.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp(), (day + timedelta(days=1)).timestamp()


def week_bounds(now: datetime | None = None) -> tuple[float, float]:
    now = now or datetime.now()
    start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return start.timestamp(), (start + timedelta(days=7)).timestamp()
