"""Routines, headless guided sessions and the history they go into: the real CLI on the
shared clips (or their real-model landmark recordings), a real SQLite file."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from posecheck.sinks.history import SCHEMA_VERSION
from posecheck.training.routines import get_routine

from .conftest import REPO, clip_path, needs_shared, recording_for, run_cli

FIXTURE_DB = REPO / "tests" / "data" / "monitor-history-v1.sqlite"

# The routine's targets scaled to the shared clips (3 bridges, one bird-dog hold per side,
# 2 squats), in the user's own routines folder.
CLIPS_ROUTINE = """
[routine]
name = "clips"
title = "Back care, scaled to the clips"

[[steps]]
exercise = "glute_bridge"
sets = 1
reps = 3
hold_s = [3.0, 5.0]
rest_s = 5

[[steps]]
exercise = "bird_dog"
sets = 1
holds = 1
hold_s = [5.0, 10.0]
rest_s = 5

[[steps]]
exercise = "squat"
sets = 1
reps = 2
rest_s = 5
"""
CLIPS = ("bridge_side.mp4", "birddog_side.mp4", "squat_side_good.mp4")


def write_routine(folder: Path, name: str, text: str) -> Path:
    (folder / "routines").mkdir(parents=True, exist_ok=True)
    path = folder / "routines" / f"{name}.toml"
    path.write_text(text)
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_the_back_care_routine_follows_the_rehab_numbers():
    routine = get_routine("back_care")
    steps = {s.exercise: s for s in routine.steps}
    assert list(steps) == ["glute_bridge", "bird_dog", "squat"]
    assert steps["glute_bridge"].hold_s == (3.0, 5.0) and steps["bird_dog"].hold_s == (5.0, 10.0)
    for step in routine.steps:
        assert 2 <= step.sets <= 3 and 8 <= (step.reps or step.holds) <= 15 and step.rest_s > 0
    assert any("shooting pain" in line for line in routine.routine.safety)


def test_routines_list_and_show_say_where_each_routine_comes_from(tmp_path):
    write_routine(tmp_path, "clips", CLIPS_ROUTINE)
    listed = run_cli("--exercises-dir", str(tmp_path), "routines", "list", check=True).stdout
    assert "back_care" in listed and "built-in" in listed and "clips" in listed and "--exercises-dir" in listed
    shown = run_cli("routines", "show", "back_care", check=True).stdout
    assert "Set 2 of 3: 10 glute bridge reps, hold 3-5 s at the top" in shown
    assert "8 bird-dog holds per side, 5-10 s each" in shown and "calibrated mobility" in shown


@pytest.mark.parametrize("step, expected", [
    ('exercise = "glute_bridge"\nsets = 3', "bad.toml: steps[0].reps: a glute_bridge set needs a rep target"),
    ('exercise = "bird_dog"\nsets = 2\nreps = 8', "bad.toml: steps[0].holds: a bird_dog set needs a hold target per side"),
    ('exercise = "squat"\nsets = 0\nreps = 8', "bad.toml: steps[0].sets: Input should be greater than or equal to 1"),
    ('exercise = "squat"\nsets = 2\nreps = 8\nrest_s = 5000', "bad.toml: steps[0].rest_s: Input should be less than"),
    ('exercise = "glute_bridge"\nsets = 2\nreps = 8\nhold_s = [5.0, 3.0]', "bad.toml: steps[0].hold_s: hold_s [5.0, 3.0]"),
    ('exercise = "deadlift"\nsets = 2\nreps = 8', "bad.toml: steps[0].exercise: unknown exercise 'deadlift'"),
    ('exercise = "sitting_posture"\nsets = 2\nreps = 8', "bad.toml: steps[0].exercise: 'sitting_posture' is watched continuously"),
    ('exercise = "squat"\nsets = 2\nreps = 8\ntempo = 3', "bad.toml: steps[0].tempo: Extra inputs are not permitted"),
])
def test_a_routine_with_a_bad_field_gets_one_line_naming_the_file_and_key(tmp_path, step, expected):
    write_routine(tmp_path, "bad", f'[routine]\nname = "bad"\ntitle = "Bad"\n\n[[steps]]\n{step}\n')
    proc = run_cli("--exercises-dir", str(tmp_path), "routines", "show", "bad")
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], proc.stderr


def test_history_upgrades_a_monitor_database_made_by_todays_code_and_keeps_its_rows(tmp_path):
    """tests/data/monitor-history-v1.sqlite was written by `posecheck monitor` before the
    history was versioned (18 samples of a real clip)."""
    db = tmp_path / "history.sqlite"
    shutil.copy(FIXTURE_DB, db)
    tables = ("minutes", "alerts", "breaks", "samples")
    columns = {t: ", ".join(r[1] for r in rows(db, f"PRAGMA table_info({t})")) for t in tables}
    before = {t: rows(db, f"SELECT {columns[t]} FROM {t} ORDER BY rowid") for t in tables}
    assert rows(db, "PRAGMA user_version") == [(0,)] and len(before["samples"]) == 18
    report_before = run_cli("monitor", "report", "--db", str(db), "--json", check=True).stdout
    run_cli("profile", "history", "on", check=True)
    proc = run_cli("monitor", "report", "--db", str(db), "--json", check=True)
    assert proc.stdout == report_before  # a reader does not change the file
    from posecheck.sinks.history import History

    with History(db) as history:
        assert history.upgraded_from == 0
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    for table, old in before.items():
        assert rows(db, f"SELECT {columns[table]} FROM {table} ORDER BY rowid") == old
    assert rows(db, "SELECT count(*) FROM exercise_sets") == [(0,)]
    assert rows(db, "SELECT sum(paused_s), sum(stale_s) FROM minutes") == [(0.0, 0.0)]  # new states, no time yet
    assert run_cli("monitor", "report", "--db", str(db), "--json", check=True).stdout == report_before
    with History(db) as history:  # a second open finds nothing to do
        assert history.upgraded_from == SCHEMA_VERSION


def test_a_history_from_a_newer_posecheck_is_refused_and_left_untouched(tmp_path):
    db = tmp_path / "history.sqlite"
    shutil.copy(FIXTURE_DB, db)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = db.read_bytes()
    proc = run_cli("session", "--routine", "back_care", "--source", str(FIXTURE_DB), "--db", str(db))
    assert proc.returncode == 1 and "made by a newer posecheck" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and db.read_bytes() == before


def session_json(tmp_path: Path, sources: list[Path], *extra: str, env: dict | None = None) -> tuple[dict, Path]:
    write_routine(tmp_path / "specs", "clips", CLIPS_ROUTINE)
    db = tmp_path / "history.sqlite"
    args = ["--exercises-dir", str(tmp_path / "specs"), "session", "--routine", "clips", "--db", str(db), "--json",
            *extra]
    for source in sources:
        args += ["--source", str(source)]
    proc = run_cli(*args, env={"POSECHECK_PROFILE_DIR": str(tmp_path / "profiles"), **(env or {})}, timeout=900)
    assert proc.returncode in (0, 2), proc.stderr
    return {**json.loads(proc.stdout), "returncode": proc.returncode, "stderr": proc.stderr}, db


@needs_shared
@pytest.mark.slow
def test_a_headless_session_on_the_shared_clips_completes_and_is_stored(tmp_path):
    summary, db = session_json(tmp_path, [clip_path(c) for c in CLIPS])
    sets = summary["sets"]
    assert [(s["plan"]["exercise"], s["status"]) for s in sets] == \
        [("glute_bridge", "done"), ("bird_dog", "done"), ("squat", "done")]
    assert [s["done"] for s in sets] == [3, 1, 2]  # the labelled reps, and one hold per side
    assert sets[2]["depth_share"] is not None and sets[2]["depth_calibrated"] is False
    assert summary["lines"][0] == "Back care, scaled to the clips: 3 of 3 sets done."
    assert any(line.startswith("Squat: 2 of 2 reps") and "default target" in line for line in summary["lines"])
    stored = rows(db, "SELECT exercise, status, done, reps, holds, depth_share IS NOT NULL FROM exercise_sets ORDER BY id")
    assert stored == [("glute_bridge", "done", 3, 3, 3, 0), ("bird_dog", "done", 1, 2, 2, 0),
                      ("squat", "done", 2, 2, 0, 1)]
    assert rows(db, "SELECT routine, status, planned_sets FROM exercise_sessions") == [("clips", "completed", 3)]
    assert "heels_lifting" not in json.dumps(summary["lines"])


@needs_shared
def test_the_summary_names_faults_in_words_never_as_codes(tmp_path):
    bridge, birddog = recording_for("bridge_side.mp4"), recording_for("birddog_side.mp4")
    lean = recording_for("squat_side_forward_lean.mp4")
    summary, _ = session_json(tmp_path, [bridge, birddog, lean])
    text = " ".join(summary["lines"]) + " ".join(s["words"] for s in summary["sets"])
    assert "leaning the trunk too far forward" in text and "Chest up" not in text.split("next time")[0]
    assert "next time: chest up" in text
    codes = {"excessive_forward_lean", "heels_lifting", "shallow_depth", "over_arching", "hip_rotation"}
    assert not [code for code in codes if code in text]


@needs_shared
def test_sets_without_a_video_are_not_done_and_an_unreadable_video_lets_the_others_go_on(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    summary, db = session_json(tmp_path, [recording_for("bridge_side.mp4"), broken])
    assert summary["returncode"] == 2 and "broken.mp4" in summary["stderr"]
    assert [s["status"] for s in summary["sets"]] == ["done", "unreadable", "no_footage"]  # a video was given
    assert summary["lines"][0].endswith("1 of 3 sets done.")
    assert rows(db, "SELECT status FROM exercise_sessions") == [("partial",)]


@needs_shared
def test_a_user_who_switched_history_off_leaves_no_trace(tmp_path):
    env = {"POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")}
    proc = run_cli("profile", "history", "off", "--user", "sam", env=env, check=True)
    assert "not kept" in proc.stdout
    summary, db = session_json(tmp_path, [recording_for("bridge_side.mp4")], "--user", "sam")
    assert summary["stored"] is False and not db.exists()
    summary, db = session_json(tmp_path, [recording_for("bridge_side.mp4")], "--user", "sam", "--history")
    assert summary["stored"] is True and rows(db, "SELECT user FROM exercise_sets") == [("sam",)] * 3


@needs_shared
def test_the_handout_holds_adherence_trends_faults_and_a_pdf_of_the_same(tmp_path):
    bridge, birddog = recording_for("bridge_side.mp4"), recording_for("birddog_side.mp4")
    lean = recording_for("squat_side_forward_lean.mp4")
    _, db = session_json(tmp_path, [bridge, birddog, lean])
    out = tmp_path / "handout.html"
    proc = run_cli("report", "--db", str(db), "--since", "1d", "-o", str(out), "--pdf", check=True)
    assert str(out) in proc.stdout and str(out.with_suffix(".pdf")) in proc.stdout
    page = out.read_text()
    assert "1 session on 1 day, 1 completed; 3 of 3 planned sets done in full (100%)." in page
    assert "Leaning the trunk too far forward" in page and "Chest up" in page  # the fault with its cue
    assert "excessive_forward_lean" not in page and page.count("<svg") == 3  # a plot per exercise
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from anywhere
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 4


def test_a_report_without_any_history_says_so_in_one_line(tmp_path):
    proc = run_cli("report", "--db", str(tmp_path / "none.sqlite"))
    assert proc.returncode == 1 and "no history yet" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    bad = run_cli("report", "--db", str(FIXTURE_DB), "--since", "last tuesday")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_a_missing_video_is_an_input_error_before_any_set_runs(tmp_path):
    proc = run_cli("session", "--routine", "back_care", "--source", str(tmp_path / "nope.mp4"),
                   "--db", str(tmp_path / "h.sqlite"))
    assert proc.returncode == 2 and proc.stderr.strip() == f"posecheck: error: {tmp_path / 'nope.mp4'}: no such video"
    assert not (tmp_path / "h.sqlite").exists()  # nothing started, nothing written


@needs_shared
def test_a_video_of_another_exercise_is_refused_for_its_set_with_what_it_shows(tmp_path):
    """In order, a bird-dog and a squat given as the bridge's and the bird-dog's sets: never
    "0 of 10 reps" in silence. Each is refused, the summary says why, the exit code is 2."""
    bridge, birddog, squat = (recording_for(c) for c in CLIPS)
    summary, _ = session_json(tmp_path, [birddog, squat, bridge])
    assert summary["returncode"] == 2
    assert [s["status"] for s in summary["sets"]] == ["wrong_exercise", "wrong_exercise", "wrong_exercise"]
    assert "shows a bird-dog, not a glute bridge" in summary["stderr"]
    assert "--set bird_dog=" in summary["stderr"]
    assert summary["sets"][0]["words"] == "Glute bridge, set 1 of 1: not done (its video shows another exercise)."


@needs_shared
def test_videos_mapped_to_sets_by_exercise_go_where_they_belong_and_are_listed(tmp_path):
    bridge, birddog, squat = (recording_for(c) for c in CLIPS)
    write_routine(tmp_path / "specs", "clips", CLIPS_ROUTINE)
    proc = run_cli("--exercises-dir", str(tmp_path / "specs"), "session", "--routine", "clips", "--no-history",
                   "--set", f"squat={squat}", "--set", f"bridge={bridge}", "--set", f"bird-dog={birddog}",
                   env={"POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")}, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert f"set 1 (Glute bridge, set 1 of 1): {bridge.name}" in proc.stdout
    assert f"set 3 (Squat, set 1 of 1): {squat.name}" in proc.stdout
    assert "3 of 3 sets done" in proc.stdout
    both = run_cli("session", "--routine", "back_care", "--source", str(bridge), "--set", f"squat={squat}")
    assert both.returncode != 0 and "not both" in both.stderr
    unknown = run_cli("session", "--routine", "back_care", "--set", f"plank={squat}")
    assert unknown.returncode != 0 and "the routine's exercises are" in unknown.stderr


@pytest.mark.parametrize("statuses, pain_stop, line", [
    (["stopped", "skipped", "not_reached"], True,
     "Back care: 0 of 3 sets done in full; 1 stopped early, 1 skipped; the session was stopped for pain."),
    (["done", "pain_stop", "not_reached"], True,
     "Back care: 1 of 3 sets done in full; 1 stopped early (1 for pain)."),
    (["done", "done", "skipped"], False, "Back care: 2 of 3 sets done; 1 skipped."),
], ids=["pain stop between sets", "pain stop inside a set", "no pain stop"])
def test_the_headline_says_whose_stop_was_for_pain(statuses, pain_stop, line):
    from posecheck.training.guided import SetOutcome, SetPlan, sets_done_line

    plans = [SetPlan(index=i, step=0, exercise="glute_bridge", title="Glute bridge", set_number=i + 1, sets=3,
                     reps=3, holds=None, per_side=False, hold_s=(3.0, 5.0), rest_s=30.0, note="")
             for i in range(3)]
    outcomes = [SetOutcome(plan=p, status=s) for p, s in zip(plans, statuses)]
    assert sets_done_line("Back care", outcomes, 3, pain_stop=pain_stop) == line


def test_progress_says_a_per_side_count_is_per_side_beside_the_count_of_all_holds(tmp_path):
    # A free bird-dog set of 4 holds on one side and 3 on the other read "3 holds in free
    # sets" above "Holds: 0 of 7 holds reached at least 5 s": two counts, one word.
    from posecheck.engine.spec import all_specs
    from posecheck.sinks.history import History
    from posecheck.sinks.training_log import TrainingLog
    from posecheck.training.guided import SetOutcome, free_set_plan
    from posecheck.training.progress import exercise_trends

    specs = {s.name: s for s in all_specs()}
    times = [2.2, 3.0, 3.0, 2.7, 2.5, 2.9, 2.4]
    with History(tmp_path / "history.sqlite") as history:
        log = TrainingLog(history)
        log.add_set("default", SetOutcome(free_set_plan(specs["bird_dog"]), "done", holds=3, full_holds=0,
                                          holds_by_side={"left": 4, "right": 3}, hold_times=times))
        (trend,) = exercise_trends(log.sets("default"), specs)
    said = " ".join(trend.sentences())
    assert "3 holds per side in free sets" in said
    assert "Holds: 0 of 7 holds reached at least 5 s" in said


def test_progress_counts_one_free_rep_in_the_singular(tmp_path):
    from posecheck.engine.spec import all_specs
    from posecheck.sinks.history import History
    from posecheck.sinks.training_log import TrainingLog
    from posecheck.training.guided import SetOutcome, free_set_plan
    from posecheck.training.progress import exercise_trends

    specs = {s.name: s for s in all_specs()}
    with History(tmp_path / "history.sqlite") as history:
        log = TrainingLog(history)
        log.add_set("default", SetOutcome(free_set_plan(specs["squat"]), "done", reps=1, good_reps=1))
        (trend,) = exercise_trends(log.sets("default"), specs)
    assert trend.sentences()[0] == "1 rep in free sets, 100% of reps with good form."


def test_a_progress_chart_with_nothing_done_counts_from_zero(tmp_path):
    """A bird-dog set stopped before any hold: the count axis reads 0 to 1 (it read
    -0.045 to 0.045, a count below zero)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from posecheck.engine.spec import all_specs
    from posecheck.sinks.history import History
    from posecheck.sinks.progress_plots import draw_trend
    from posecheck.sinks.training_log import TrainingLog
    from posecheck.training.guided import SetOutcome, free_set_plan
    from posecheck.training.progress import exercise_trends

    specs = {s.name: s for s in all_specs()}
    with History(tmp_path / "history.sqlite") as history:
        log = TrainingLog(history)
        log.add_set("default", SetOutcome(free_set_plan(specs["bird_dog"]), "stopped"))
        (trend,) = exercise_trends(log.sets("default"), specs)
    fig = Figure()
    draw_trend(fig, trend)
    assert fig.axes[0].get_ylim() == (0.0, 1.0)
