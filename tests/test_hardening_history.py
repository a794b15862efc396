"""The local history under stress: who can read it, files from a newer posecheck, user
names and dates at the edges, a database another program holds locked or that sits on a
read-only folder, monitors reaching one file by two names, and guided sessions whose pain
stops and sets must never be lost. The real CLI (or the real app in-process) on a real
SQLite file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from posecheck.server.app import ServerSettings, create_app
from posecheck.server.guided_runs import MAX_RUNS, RunNotFound
from posecheck.sinks.history import SCHEMA_VERSION, History

from .conftest import clip_path, needs_shared, recording_for, run_cli

LOCAL = "http://127.0.0.1:8000"
# What a set's report holds when it was stopped before its first rep (the shape
# analysis.build_report gives): enough for the guided run to make its outcome.
NO_REPS_REPORT = {"reps": [], "holds": [], "duration_s": 4.0}
TWO_BRIDGES = """
[routine]
name = "two_bridges"
title = "Two bridge sets"

[[steps]]
exercise = "glute_bridge"
sets = 2
reps = 3
rest_s = 5
"""


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith("posecheck: error:")]


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = error_lines(proc)
    assert len(lines) == 1, proc.stderr
    return lines[0]


def cli(*args: str, cwd: Path | None = None, env: dict | None = None, prefix: tuple[str, ...] = (),
        timeout: float = 300) -> subprocess.CompletedProcess:
    """`posecheck` in a subprocess, from `cwd` (run_cli with a working folder and a prefix)."""
    return subprocess.run([*prefix, sys.executable, "-m", "posecheck", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env={**os.environ, **(env or {})})


def private_env(tmp_path: Path) -> dict:
    return {"XDG_DATA_HOME": str(tmp_path / "data"), "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles"),
            "XDG_RUNTIME_DIR": str(tmp_path / "run")}


def rows(db: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def make_history(db: Path) -> Path:
    with History(db) as history:
        history.add_sample(time.time() - 60, "upright", 1.0, [])
    return db


def text_video(folder: Path) -> Path:
    """A text file renamed .mp4: a video given, that nothing can read."""
    path = folder / "notes.mp4"
    path.write_text("these are my notes, not a video\n")
    return path


# --- 2: the data folder and the history are the user's alone ---------------------------------

def test_history_folder_and_file_are_private_when_created_from_nothing(tmp_path):
    base = tmp_path / "empty"
    base.mkdir()
    data_home = base / "share" / "data"  # XDG_DATA_HOME itself does not exist yet either
    # Profiles in the data folder too (no POSECHECK_PROFILE_DIR): every folder is posecheck's.
    child_env = {k: v for k, v in os.environ.items() if k != "POSECHECK_PROFILE_DIR"} | \
        {"XDG_DATA_HOME": str(data_home)}
    old_umask = os.umask(0o022)  # the usual umask: a folder made without care would be 0755
    try:
        run = lambda *args: subprocess.run([sys.executable, "-m", "posecheck", *args], capture_output=True,
                                           text=True, cwd=tmp_path, env=child_env, timeout=300)
        assert run("profile", "history", "on").returncode == 0
        session = run("session", "--routine", "back_care", "--source", str(text_video(tmp_path)))
        assert session.returncode == 2, session.stderr  # the video could not be read; the session is stored
    finally:
        os.umask(old_umask)
    db = data_home / "posecheck" / "history.sqlite"
    assert db.is_file()
    made = [p for p in base.rglob("*") if p.is_dir()]
    assert {p.relative_to(base).as_posix() for p in made} >= {"share", "share/data", "share/data/posecheck",
                                                              "share/data/posecheck/profiles"}
    assert {p.relative_to(base).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in made} == \
        {p.relative_to(base).as_posix(): "0o700" for p in made}
    # The file, and the -wal and -shm SQLite makes beside it while it is open.
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    conn = sqlite3.connect(db)
    try:
        conn.execute("INSERT INTO alerts (ts, kind, message) VALUES (1, 'posture', 'x')")
        conn.commit()
        companions = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
        assert any(p.exists() for p in companions)
        for path in companions:
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    finally:
        conn.close()


# --- 3: every reader refuses a history from a newer posecheck -------------------------------

def newer_history(tmp_path: Path) -> Path:
    db = make_history(tmp_path / "history.sqlite")
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute("ALTER TABLE exercise_sets ADD COLUMN tempo_s REAL")  # what a newer one might have added
    conn.commit()
    conn.close()
    return db


@pytest.mark.parametrize("command", [["report", "-o", "{tmp}/report.html"], ["monitor", "report"]])
def test_a_history_from_a_newer_posecheck_is_refused_by_every_cli_reader_in_one_line(tmp_path, command):
    db = newer_history(tmp_path)
    before = db.read_bytes()
    proc = run_cli(*[a.format(tmp=tmp_path) for a in command], "--db", str(db), env=private_env(tmp_path))
    assert proc.returncode != 0
    line = one_error_line(proc)
    assert "made by a newer posecheck" in line and str(db) in line and len(proc.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before and not (tmp_path / "report.html").exists()


def test_a_history_from_a_newer_posecheck_is_refused_by_the_server_pages_that_read_it(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path / "profiles"))
    db = newer_history(tmp_path)
    before = db.read_bytes()
    with TestClient(create_app(ServerSettings(data_dir=tmp_path, history_db=db)), base_url=LOCAL) as client:
        for url in ("/progress", "/api/monitor/day"):
            response = client.get(url)
            assert response.status_code in (409, 503), (url, response.status_code, response.text)
            assert "made by a newer posecheck" in response.json()["detail"], url
    assert db.read_bytes() == before


# --- 4: user names never become paths ------------------------------------------------------

@pytest.mark.parametrize("user", ["../../escaped", "a/b", ".hidden", "a b"])
def test_report_user_names_that_are_paths_are_refused_and_create_nothing(tmp_path, user):
    db = make_history(tmp_path / "store" / "history.sqlite")
    work = tmp_path / "one" / "two"
    work.mkdir(parents=True)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    proc = cli("report", "--user", user, "--db", str(db), cwd=work, env=private_env(tmp_path))
    assert proc.returncode == 1 and "user name" in one_error_line(proc)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


# --- 7: one file by two names is one history --------------------------------------------------

@needs_shared
def test_a_second_monitor_through_a_symlink_or_dotdot_is_refused_and_status_finds_the_first(tmp_path):
    env = private_env(tmp_path)
    (tmp_path / "run").mkdir()
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    db = real / "history.sqlite"
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "h.sqlite"
    link.symlink_to(db)
    clip = str(clip_path("sitting_side_slouch.mp4"))
    first = subprocess.Popen([sys.executable, "-m", "posecheck", "monitor", "--source", clip, "--loop",
                              "--alert", "page", "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, **env})
    try:
        deadline = time.time() + 90
        while run_cli("monitor", "status", "--db", str(db), env=env).returncode != 0:
            assert first.poll() is None and time.time() < deadline, first.stderr.read() if first.poll() else "slow"
            time.sleep(0.5)
        for other in (link, real / "sub" / ".." / "history.sqlite"):
            status = run_cli("monitor", "status", "--db", str(other), env=env)
            assert status.returncode == 0, (other, status.stderr)
            second = run_cli("monitor", "--source", clip, "--fast", "--max-samples", "3", "--alert", "page",
                             "--db", str(other), env=env)
            assert second.returncode == 1 and "another monitor" in one_error_line(second), (other, second.stderr)
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert not list((tmp_path / "elsewhere").glob("*.lock")) and not list((real / "sub").iterdir())


# --- 8 and 16: days at the edges, and a period that ends before it starts -----------------------

@pytest.mark.parametrize("args", [["--since", "0001-01-01"], ["--since", "1000000w"],
                                  ["--since", "9" * 20 + "d"], ["--since", "9" * 5000 + "d"],
                                  ["--since", "2026-01-01", "--until", "0001-01-01"],
                                  ["--since", "2026-03-01", "--until", "2026-02-01"],
                                  ["--since", "2026-03-01", "--until", "2026-03-01"]])
def test_report_days_at_the_edges_and_since_after_until_are_one_line_usage_errors(tmp_path, args):
    db = make_history(tmp_path / "history.sqlite")
    proc = run_cli("report", *args, "--db", str(db), "-o", str(tmp_path / "r.html"), env=private_env(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "Invalid value for '--since'" in proc.stderr or "Invalid value for '--until'" in proc.stderr
    assert not (tmp_path / "r.html").exists()


def test_report_for_a_period_that_does_reach_far_back_still_works(tmp_path):
    db = make_history(tmp_path / "history.sqlite")
    proc = run_cli("report", "--since", "1000-01-01", "--until", "9999-12-31", "--db", str(db),
                   "-o", str(tmp_path / "r.html"), env=private_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r.html").is_file()


def test_days_at_the_edge_of_the_calendar_are_a_4xx_on_the_pages_never_a_500(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path / "profiles"))
    db = make_history(tmp_path / "history.sqlite")
    with TestClient(create_app(ServerSettings(data_dir=tmp_path, history_db=db)), base_url=LOCAL) as client:
        for since in ("0001-01-01", "1000000w", "9" * 20 + "d"):
            response = client.get("/progress", params={"since": since})
            assert response.status_code == 400, (since, response.text)
        for date in ("0001-01-01", "0001-01-02", "0001-01-14"):
            response = client.get("/api/monitor/day", params={"date": date})
            assert response.status_code < 500, (date, response.text)


# --- 12: a pain stop and a finished set are never lost -----------------------------------------

@pytest.fixture
def guided_app(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path / "profiles"))
    db = tmp_path / "history.sqlite"
    app = create_app(ServerSettings(data_dir=tmp_path, history_db=db))
    with TestClient(app, base_url=LOCAL) as client:
        yield app, client, db


def start_run(client) -> dict:
    response = client.post("/api/guided", json={"routine": "back_care"})
    assert response.status_code == 200, response.text
    return response.json()


def session_row_of(db: Path, started: int) -> tuple:
    """(id, status, summary) of the n-th session started (1-based)."""
    return rows(db, "SELECT id, status, summary FROM exercise_sessions ORDER BY id")[started - 1]


def test_a_pain_stop_in_a_run_let_go_for_newer_runs_is_still_recorded_against_its_session(guided_app):
    app, client, db = guided_app
    runs = app.state.guided
    running = start_run(client)["run_id"]
    runs.skip(running, 0)
    finished = start_run(client)["run_id"]
    assert client.post(f"/api/guided/{finished}/finish", json={}).status_code == 200
    for _ in range(MAX_RUNS - 1):  # one more than room for: the finished run goes first
        start_run(client)
    assert runs.plan(running, 1).exercise == "glute_bridge"
    assert session_row_of(db, 1)[1] == "running"
    start_run(client)  # now only running runs are left: the oldest is let go
    with pytest.raises(RunNotFound):
        runs.plan(running, 2)  # it starts no new set
    row_id, status, summary = session_row_of(db, 1)
    assert status == "partial" and "not finished" in json.loads(summary)[0]  # closed with what it holds
    # The set that was in flight when it was let go ends with Stop: pain (live_sessions.record_set).
    outcome = runs.record(running, 1, NO_REPS_REPORT, pain=True)
    assert outcome.status == "pain_stop"
    assert rows(db, "SELECT set_number, status FROM exercise_sets WHERE session_id = ? ORDER BY id", row_id) == \
        [(1, "skipped"), (2, "pain_stop")]
    _, status, summary = session_row_of(db, 1)
    assert status == "pain_stop" and any("stopped for pain" in line for line in json.loads(summary))
    finish = client.post(f"/api/guided/{running}/finish", json={"pain": True})
    assert finish.status_code == 200 and finish.json()["pain_stop"] is True
    assert session_row_of(db, 1)[1] == "pain_stop"
    assert not (db.parent / f"{db.name}.session-{row_id}.lock").exists()


def test_a_pain_stopped_set_done_again_stays_a_pain_stop_in_the_history(guided_app):
    app, client, db = guided_app
    run = start_run(client)["run_id"]
    app.state.guided.record(run, 0, NO_REPS_REPORT, pain=True)
    app.state.guided.record(run, 0, NO_REPS_REPORT)  # the person felt better and did the set again
    assert client.post(f"/api/guided/{run}/finish", json={}).status_code == 200
    assert rows(db, "SELECT status FROM exercise_sets WHERE set_number = 1 AND exercise = 'glute_bridge' "
                    "ORDER BY id") == [("pain_stop",), ("stopped",)]
    assert session_row_of(db, 1)[1] == "pain_stop"


OWNER = """
import sys, time
from posecheck.training.guided import outcome_from_report, plan_sets
from posecheck.engine.profiles import Profile
from posecheck.training.routines import get_routine
from posecheck.sinks.history import History
from posecheck.sinks.training_log import TrainingLog
from posecheck.engine.spec import get_spec

routine = get_routine("back_care")
specs = {s.exercise: get_spec(s.exercise) for s in routine.steps}
plans = plan_sets(routine, specs)
log = TrainingLog(History(sys.argv[1]))
session = log.start_session("default", routine.name, routine.routine.title, len(plans))
for plan, status in zip(plans, sys.argv[2].split(",")):
    log.add_set("default", outcome_from_report(plan, {"reps": [], "holds": [], "duration_s": 3.0},
                                               specs[plan.exercise], Profile(), status=status), session_id=session)
print(session, flush=True)
time.sleep(600)
"""


def owner(db: Path, statuses: str) -> tuple[subprocess.Popen, int]:
    """A process that started a session, stored its sets, and is still in it."""
    proc = subprocess.Popen([sys.executable, "-c", OWNER, str(db), statuses], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.strip().isdigit(), proc.stderr.read() if proc.poll() is not None else line
    return proc, int(line)


def kill(proc: subprocess.Popen) -> None:
    proc.kill()  # as the power going off would: nothing closes the row
    proc.communicate(timeout=30)


def test_a_session_left_running_is_closed_with_what_it_holds_at_the_next_start(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path / "profiles"))
    db = make_history(tmp_path / "history.sqlite")
    in_pain, in_pain_id = owner(db, "done,pain_stop")
    plain, plain_id = owner(db, "done")
    status = lambda session: rows(db, "SELECT status FROM exercise_sessions WHERE id = ?", session)[0][0]
    try:
        create_app(ServerSettings(data_dir=tmp_path, history_db=db))  # a server starting meanwhile
        assert status(in_pain_id) == status(plain_id) == "running"  # their owners are still in them
        kill(in_pain)
        create_app(ServerSettings(data_dir=tmp_path, history_db=db))  # the next server start
        assert status(in_pain_id) == "pain_stop" and status(plain_id) == "running"
        ended, summary = rows(db, "SELECT ended_ts, summary FROM exercise_sessions WHERE id = ?", in_pain_id)[0]
        lines = json.loads(summary)
        # Both sets stopped before a rep: "stopped" (short of the target), then the pain stop.
        assert ended is not None and lines[0] == ("Back care: 0 of 8 sets done in full; 2 stopped early (1 for "
                                                  "pain); the session was not finished.")
        assert any(line.startswith("Glute bridge: 0 of 20 reps in 2 sets") for line in lines)
        assert any("You stopped for pain" in line for line in lines)
        kill(plain)
    finally:
        for proc in (in_pain, plain):
            if proc.poll() is None:
                kill(proc)
    proc = run_cli("session", "--routine", "back_care", "--source", str(text_video(tmp_path)), "--db", str(db),
                   env={"POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")})  # the next session's start
    assert proc.returncode == 2, proc.stderr
    assert status(plain_id) == "partial"
    assert json.loads(rows(db, "SELECT summary FROM exercise_sessions WHERE id = ?", plain_id)[0][0])[0] == \
        "Back care: 0 of 8 sets done in full; 1 stopped early; the session was not finished."
    assert rows(db, "SELECT count(*) FROM exercise_sessions WHERE status = 'running'") == [(0,)]
    assert not list(tmp_path.glob("*.session-*.lock"))


# --- 13: a history another program holds locked --------------------------------------------------

def lock_history(db: Path) -> sqlite3.Connection:
    """Another program in the middle of a long write."""
    holder = sqlite3.connect(db, isolation_level=None, timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO alerts (ts, kind, message) VALUES (1, 'posture', 'another program')")
    return holder


def two_bridge_session(tmp_path: Path, db: Path) -> list[str]:
    routines = tmp_path / "specs" / "routines"
    routines.mkdir(parents=True, exist_ok=True)
    (routines / "two_bridges.toml").write_text(TWO_BRIDGES)
    bridge = recording_for("bridge_side.mp4")
    return [sys.executable, "-m", "posecheck", "--exercises-dir", str(tmp_path / "specs"), "session", "--routine",
            "two_bridges", "--source", str(bridge), "--source", str(bridge), "--db", str(db)]


@needs_shared
def test_a_history_locked_all_along_prints_the_summary_and_one_line_naming_the_file_and_the_cause(tmp_path):
    db = make_history(tmp_path / "history.sqlite")
    holder = lock_history(db)
    try:
        proc = subprocess.run(two_bridge_session(tmp_path, db), capture_output=True, text=True, timeout=300,
                              env={**os.environ, "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert str(db) in line and "locked" in line and "another program" in line and "could not be stored" in line
    # Every set analysed is on the screen, and the summary of them.
    assert proc.stdout.count("Glute bridge, set ") >= 2 and "Summary:" in proc.stdout
    assert "Two bridge sets: " in proc.stdout.split("Summary:")[1]


@needs_shared
def test_a_history_locked_for_a_while_keeps_every_set_and_stores_them_once_it_is_free(tmp_path):
    db = make_history(tmp_path / "history.sqlite")
    holder = lock_history(db)
    proc = subprocess.Popen(two_bridge_session(tmp_path, db), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")})
    try:
        for line in proc.stdout:  # locked through the session's start and the first set
            if line.startswith("  Glute bridge, set 1 of 2:"):
                break
        else:
            raise AssertionError(proc.stderr.read())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "locked" in err and str(db) in err  # it said why it waited
    assert "Summary:" in out and f"Stored in {db}" in out
    assert rows(db, "SELECT set_number, status FROM exercise_sets ORDER BY id") == [(1, "done"), (2, "done")]
    assert rows(db, "SELECT status FROM exercise_sessions") == [("completed",)]


# --- 14: a history on a read-only folder ---------------------------------------------------------

def without_root_powers() -> tuple[str, ...]:
    """As root, chmod does not stop a write: drop the capabilities that let root pass
    file permissions (setpriv), so a 0555 folder is read-only as on a read-only mount."""
    if os.geteuid() != 0:
        return ()
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search")


def test_a_history_in_a_read_only_folder_is_read_by_report_and_monitor_report(tmp_path):
    folder = tmp_path / "mounted"
    folder.mkdir()
    db = make_history(folder / "history.sqlite")
    assert sorted(p.name for p in folder.iterdir()) == ["history.sqlite"]  # closed: no -wal, no -shm left
    before = db.read_bytes()
    prefix = without_root_powers()
    folder.chmod(0o555)
    try:
        probe = subprocess.run([*prefix, sys.executable, "-c", f"import os; print(os.access({str(folder)!r}, os.W_OK))"],
                               capture_output=True, text=True)
        if probe.returncode != 0 or probe.stdout.strip() != "False":
            pytest.skip(f"cannot make a folder read-only here ({probe.stderr.strip() or probe.stdout.strip()})")
        env = private_env(tmp_path)
        report = cli("report", "--db", str(db), "-o", str(tmp_path / "report.html"), env=env, prefix=prefix)
        assert report.returncode == 0, report.stderr
        monitor = cli("monitor", "report", "--db", str(db), "--json", env=env, prefix=prefix)
        assert monitor.returncode == 0, monitor.stderr
        assert json.loads(monitor.stdout)["today"]["seconds"]["upright"] == 1.0
    finally:
        folder.chmod(0o755)
    assert (tmp_path / "report.html").is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["history.sqlite"] and db.read_bytes() == before


# --- 15: errors name what was asked for ------------------------------------------------------------

def test_report_into_a_folder_names_the_folder_not_a_temp_file(tmp_path):
    db = make_history(tmp_path / "history.sqlite")
    folder = tmp_path / "outdir"
    folder.mkdir()
    proc = cli("report", "-o", str(folder), "--db", str(db), env=private_env(tmp_path))
    line = one_error_line(proc)
    assert proc.returncode == 1 and str(folder) in line and "folder" in line and ".part" not in line
    assert list(folder.iterdir()) == [] and not list(tmp_path.glob(".*part"))


def test_monitor_pause_with_a_number_too_long_to_read_is_one_line(tmp_path):
    proc = run_cli("monitor", "pause", "9" * 5000 + "m", env=private_env(tmp_path))
    assert proc.returncode == 1 and "say how long" in one_error_line(proc)
    assert len(proc.stderr) < 300


# --- 16: validate names a clip whose label names an unknown exercise ---------------------------------

def test_validate_names_the_clip_whose_label_names_an_unknown_exercise_and_fails(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    (clips / "labels.json").write_text(json.dumps({"clips": {
        "good.mp4": {"exercise": "squat", "reps": 3},
        "mine/typo.mp4": {"exercise": "squats", "reps": 5},
        "lunge.mp4": {"exercise": "other:lunge"}}}))
    proc = run_cli("validate", str(clips / "labels.json"), "--out", str(tmp_path / "out"))
    line = one_error_line(proc)
    assert proc.returncode == 1 and "mine/typo.mp4" in line and "'squats'" in line and "other:" in line
    assert not (tmp_path / "out" / "validation.json").exists()


# --- 17: a video given that cannot be read says so in its set's words -------------------------------

def test_a_video_that_cannot_be_read_says_so_in_its_sets_words_and_history(tmp_path):
    db = tmp_path / "history.sqlite"
    env = {"POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")}
    video = text_video(tmp_path)
    proc = run_cli("session", "--routine", "back_care", "--source", str(video), "--db", str(db), env=env)
    assert proc.returncode == 2
    assert "Glute bridge, set 1 of 3: not done (its video could not be read: not a readable video file)." \
        in proc.stdout
    assert "Glute bridge, set 2 of 3: not done (no video for it)." in proc.stdout
    as_json = run_cli("session", "--routine", "back_care", "--source", str(video), "--db", str(db), "--json", env=env)
    first = json.loads(as_json.stdout)["sets"][0]
    assert first["status"] == "unreadable" and "could not be read" in first["words"]
    assert first["reason"] == "not a readable video file"
    assert rows(db, "SELECT DISTINCT status FROM exercise_sets WHERE set_number = 1 AND exercise = 'glute_bridge'") \
        == [("unreadable",)]


@needs_shared
def test_a_set_done_again_keeps_what_the_first_try_did_in_the_summary_the_history_and_progress(guided_app):
    """'Repeat that set' after 3 bridge reps, then 3 more: 6 reps were done, and every screen
    says so; the set's target is counted once."""
    from posecheck.engine.analysis import analyze
    from posecheck.engine.spec import all_specs, get_spec
    from posecheck.sinks.history import History
    from posecheck.sinks.training_log import TrainingLog
    from posecheck.training.progress import exercise_trends

    from .conftest import recording_for

    report, _ = analyze(recording_for("bridge_side.mp4"), get_spec("glute_bridge"))
    app, client, db = guided_app
    run = start_run(client)["run_id"]
    app.state.guided.record(run, 0, report)
    app.state.guided.record(run, 0, report)  # done again
    lines = client.post(f"/api/guided/{run}/finish", json={}).json()["lines"]
    assert "1 done again" in lines[0]
    assert any(line.startswith("Glute bridge: 6 of 30 reps in 2 sets") for line in lines), lines
    assert rows(db, "SELECT status, reps FROM exercise_sets WHERE exercise = 'glute_bridge' AND set_number = 1 "
                    "ORDER BY id") == [("stopped", 3), ("stopped", 3)]
    with History(db, readonly=True) as history:
        trend = next(t for t in exercise_trends(TrainingLog(history).sets("default"), {s.name: s for s in all_specs()})
                     if t.exercise == "glute_bridge")
    assert (trend.done, trend.target) == (6, 30)
