"""Parsers of user files and requests bound size and depth, and one broken routine file of
the user's does not take the others down (hardening issue, items 6 and 11). Through the
real CLI and a real server."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import run_cli
from .test_guided_sessions import write_routine

NESTED = "[" * 500


@pytest.fixture
def specs(tmp_path):
    folder = tmp_path / "specs"
    (folder / "routines").mkdir(parents=True)
    return folder


def test_a_deeply_nested_routine_is_one_line_not_a_traceback(specs):
    (specs / "routines" / "deep.toml").write_text(f"x = {NESTED}")
    proc = run_cli("--exercises-dir", str(specs), "routines", "show", "deep")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().endswith("nested too deeply to be a routine")


def test_a_deeply_nested_exercise_spec_is_one_line_not_a_traceback(specs):
    (specs / "plank.toml").write_text(f"x = {NESTED}")
    proc = run_cli("exercises", "validate", str(specs / "plank.toml"))
    assert proc.returncode != 0 and "Traceback" not in proc.stderr and "nested too deeply" in proc.stderr


def test_a_deeply_nested_label_file_is_one_line_not_a_traceback(tmp_path):
    labels = tmp_path / "labels.json"
    for text in ('{"about": "", "clips": {"a.mp4": ' + "[" * 500 + "]" * 500 + "}}", "[" * 100_000 + "]" * 100_000):
        labels.write_text(text)
        proc = run_cli("validate", str(labels), "--out", str(tmp_path / "out"))
        assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and str(labels) in proc.stderr


def test_a_routine_file_too_large_to_be_one_is_refused(specs):
    (specs / "routines" / "huge.toml").write_text("# padding\n" * 60_000)
    proc = run_cli("--exercises-dir", str(specs), "routines", "show", "huge")
    assert proc.returncode != 0 and "too large for a routine" in proc.stderr


def test_one_broken_routine_is_listed_with_why_and_the_others_still_start(specs, tmp_path):
    (specs / "routines" / "broken.toml").write_text(f"x = {NESTED}")
    write_routine(specs, "renamed", "[routine]\nname = \"other\"\ntitle = \"T\"\n[[steps]]\nexercise = \"squat\"\n"
                                    "sets = 1\nreps = 5\n")
    listed = run_cli("--exercises-dir", str(specs), "routines", "list", check=True).stdout
    assert "broken" in listed and "cannot be used: broken.toml: nested too deeply" in listed
    assert "renamed" in listed and "cannot be used: renamed.toml: routine.name is 'other'" in listed
    assert "back_care" in listed and "Back care:" in listed

    from .test_browser import start_server, stop_server

    proc, url = start_server({"XDG_DATA_HOME": str(tmp_path / "data"), "POSECHECK_PROFILE_DIR": str(tmp_path / "p")},
                             "--exercises-dir", str(specs))
    try:
        routines = httpx.get(f"{url}/api/routines")
        assert routines.status_code == 200
        assert "back_care" in [r["name"] for r in routines.json()]
        assert not {"broken", "renamed"} & {r["name"] for r in routines.json()}
        nested = httpx.post(f"{url}/api/guided", content=json.dumps({"routine": "back_care"})[:-1] + ', "x": '
                            + NESTED + "]" * 500 + "}", headers={"Content-Type": "application/json"})
        assert nested.status_code in (400, 422), nested.text
        started = httpx.post(f"{url}/api/guided", json={"routine": "back_care", "user": "default"})
        assert started.status_code == 200 and started.json()["sets"]
    finally:
        stop_server(proc)


def test_one_broken_exercise_spec_leaves_the_others_usable(tmp_path):
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "my_lunge.toml").write_text("[exercise\nname = ")
    listed = run_cli("--exercises-dir", str(specs), "exercises", "list", check=True).stdout
    assert "my_lunge" in listed and "cannot be used: my_lunge.toml: not valid TOML" in listed
    assert "squat" in listed and "Counts reps" in listed

    from .test_browser import start_server, stop_server

    proc, url = start_server({"XDG_DATA_HOME": str(tmp_path / "data"), "POSECHECK_PROFILE_DIR": str(tmp_path / "p")},
                             "--exercises-dir", str(specs))
    try:
        exercises = httpx.get(f"{url}/api/exercises")
        assert exercises.status_code == 200
        assert {"squat", "glute_bridge", "bird_dog", "sitting_posture"} <= {e["name"] for e in exercises.json()}
        assert httpx.get(f"{url}/api/routines").status_code == 200
    finally:
        stop_server(proc)
