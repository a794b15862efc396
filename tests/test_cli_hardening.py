"""Bad input through the real CLI: one line on stderr, a non-zero exit, nothing
half-written; and batches that share an output folder."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from posecheck.files import PidLock

from .conftest import clip_path, ffmpeg, needs_shared, run_cli

SHORT = "squat_side_good.mp4"


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("posecheck: error:")]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".part") or ".partial-" in p.name)


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    """Two seconds of a real clip: enough for every check here, quick to analyse."""
    out = tmp_path_factory.mktemp("clips") / "short.mp4"
    ffmpeg("-i", str(clip_path(SHORT)), "-t", "2", "-c:v", "libx264", "-an", str(out))
    return out


# --- record and analyze: the output location is checked first -------------------------------

@needs_shared
def test_record_to_a_folder_is_one_line_and_leaves_no_part_file(tmp_path, short_clip):
    folder = tmp_path / "out"
    folder.mkdir()
    proc = run_cli("record", str(short_clip), "-o", str(folder))
    assert proc.returncode == 1 and "names a folder" in one_error_line(proc)
    assert leftovers(tmp_path) == []


@needs_shared
@pytest.mark.parametrize("where", ["/proc/posecheck/rec.landmarks.jsonl", "{file}/rec.landmarks.jsonl"])
def test_record_where_nothing_can_be_written_fails_before_the_model_runs(tmp_path, short_clip, where):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    started = time.monotonic()
    proc = run_cli("record", str(short_clip), "-o", where.format(file=blocker))
    assert proc.returncode == 1 and "cannot create or write" in one_error_line(proc)
    assert time.monotonic() - started < 20 and "frames" not in proc.stdout


@needs_shared
@pytest.mark.parametrize("where", ["/proc/posecheck-out", "{file}/reports"])
def test_analyze_out_where_nothing_can_be_written_is_one_line(tmp_path, short_clip, where):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    proc = run_cli("analyze", str(short_clip), "-e", "squat", "--out", where.format(file=blocker))
    assert proc.returncode == 1 and "cannot create or write" in one_error_line(proc)


# --- monitor ----------------------------------------------------------------------------------

@needs_shared
def test_monitor_on_a_truncated_video_is_one_line_and_keeps_the_samples_taken(tmp_path):
    data = clip_path("sitting_side_slouch.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.3)])  # moov at the front: the first seconds still decode
    db = tmp_path / "h.sqlite"
    proc = run_cli("monitor", "--source", str(cut), "--fast", "--no-notify", "--db", str(db))
    assert proc.returncode == 2 and "corrupt or truncated" in one_error_line(proc)
    import sqlite3

    assert sqlite3.connect(db).execute("SELECT count(*) FROM samples").fetchone()[0] >= 2


@pytest.mark.parametrize("command", [["monitor", "--source", "/nonexistent/never.mp4"], ["monitor", "report"]])
def test_monitor_on_a_corrupt_database_says_so_and_leaves_it_untouched(tmp_path, command):
    db = tmp_path / "history.sqlite"
    db.write_bytes(os.urandom(8192))
    before = db.read_bytes()
    args = [*command, "--db", str(db)]
    if command[1] == "--source":  # a readable source, so the database is what fails
        args[2] = str(clip_path("sitting_side_slouch.mp4"))
    proc = run_cli(*args)
    assert proc.returncode == 1 and "left untouched" in one_error_line(proc)
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", [["monitor", "--no-notify", "--source", "SOURCE"], ["monitor", "report"]])
@pytest.mark.parametrize("db", ["{tmp}", "/proc/posecheck/history.sqlite"])
def test_monitor_database_in_a_folder_or_read_only_place_is_one_line(tmp_path, command, db):
    args = [a.replace("SOURCE", str(clip_path("sitting_side_slouch.mp4"))) for a in command]
    proc = run_cli(*args, "--db", db.format(tmp=tmp_path))
    assert proc.returncode == 1
    one_error_line(proc)


@needs_shared
def test_a_second_monitor_on_the_same_database_is_refused(tmp_path):
    db = tmp_path / "h.sqlite"
    first = subprocess.Popen([sys.executable, "-m", "posecheck", "monitor", "--source",
                              str(clip_path("sitting_side_slouch.mp4")), "--loop", "--no-notify", "--db", str(db)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if db.with_name(db.name + ".monitor.lock").exists():
                break
            time.sleep(0.2)
        time.sleep(1)
        second = run_cli("monitor", "--source", str(clip_path("sitting_side_slouch.mp4")), "--no-notify",
                         "--db", str(db))
        assert second.returncode == 1 and f"pid {first.pid}" in one_error_line(second)
    finally:
        first.terminate()
        first.wait(timeout=30)
    # once the first has stopped, the lock is free again
    third = run_cli("monitor", "--source", str(clip_path("sitting_side_slouch.mp4")), "--fast", "--max-samples", "2",
                    "--no-notify", "--db", str(db))
    assert third.returncode == 0, third.stderr


def test_monitor_stops_at_once_on_sigterm_while_waiting_for_a_camera(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "posecheck", "monitor", "--source", "7", "--no-notify",
                             "--db", str(tmp_path / "h.sqlite")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(8)  # past the first back-off waits (1, 2, 4 s)
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    assert time.monotonic() - sent < 3
    assert "retrying" in proc.stderr.read()


# --- option ranges, exit codes ---------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["monitor", "--interval", "-1"], ["monitor", "--interval", "0"], ["serve", "--port", "99999"],
    ["analyze", "x.mp4", "-e", "squat", "--max-side", "-5"], ["analyze", "x.mp4", "-e", "squat", "--workers", "0"],
    ["analyze", "x.mp4", "-e", "squat", "--rate", "0"], ["monitor", "calibrate", "--seconds", "0"],
    ["serve", "--max-sessions", "0"],
])
def test_out_of_range_numbers_are_usage_errors(args):
    proc = run_cli(*args)
    assert proc.returncode == 2 and "Invalid value" in proc.stderr and "Traceback" not in proc.stderr


def test_a_port_in_use_is_one_line_with_the_documented_exit_code():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_cli("serve", "--port", str(port))
    assert proc.returncode == 1 and "already in use" in one_error_line(proc)


@needs_shared
def test_replay_of_a_video_is_an_input_error(short_clip):
    proc = run_cli("replay", str(short_clip))
    assert proc.returncode == 2 and "not a landmark recording" in one_error_line(proc)


def test_replay_of_a_recording_whose_header_lacks_the_source_name_is_one_line(tmp_path):
    rec = tmp_path / "x.landmarks.jsonl"
    rec.write_text('{"format": "posecheck.landmarks", "version": 1, "source": {"kind": "video"}}\n')
    proc = run_cli("replay", str(rec))
    assert proc.returncode == 2 and "source.name" in one_error_line(proc)


@pytest.mark.parametrize("user", ["..", ".", "a\nb", ".hidden", "x" * 65, "a/b"])
def test_unsafe_profile_names_are_refused(tmp_path, user):
    proc = run_cli("profile", "show", "--user", user, env={"POSECHECK_PROFILE_DIR": str(tmp_path)})
    assert proc.returncode == 1 and "user name" in one_error_line(proc)


def test_resetting_an_unknown_profile_creates_nothing(tmp_path):
    proc = run_cli("profile", "reset", "--user", "ghost", env={"POSECHECK_PROFILE_DIR": str(tmp_path / "p")})
    assert proc.returncode == 0 and "nothing to reset" in proc.stdout
    assert not (tmp_path / "p").exists()


@needs_shared
def test_a_png_renamed_mp4_is_treated_as_the_image_it_is(tmp_path):
    import cv2

    from posecheck.pose.sources import open_source

    frame = next(iter(open_source(clip_path(SHORT), max_side=640)))
    fake = tmp_path / "photo.mp4"
    ok, buf = cv2.imencode(".png", cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR))
    fake.write_bytes(buf.tobytes())
    single = run_cli("analyze", str(fake), "-e", "squat", "--json")
    assert single.returncode == 0 and '"kind": "image"' in single.stdout
    batch = run_cli("analyze", str(fake), "-e", "squat", "--out", str(tmp_path / "out"))
    assert batch.returncode == 1 and "an image, not a video" in batch.stderr


# --- batches sharing a folder ----------------------------------------------------------------

@needs_shared
@pytest.mark.slow
def test_two_batches_into_one_folder_both_finish_and_the_index_lists_all(tmp_path, short_clip):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, names in ((a, ("one", "two")), (b, ("three", "four"))):
        folder.mkdir()
        for name in names:
            shutil.copy(short_clip, folder / f"{name}.mp4")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "posecheck", "analyze", "-e", "squat", "--out", str(out), "--no-video"]
    procs = [subprocess.Popen([*cmd, str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for folder in (a, b)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert sorted(Path(r["video"]).stem for r in rows) == ["four", "one", "three", "two"]
    assert all((out / name / "report.json").is_file() for name in ("one", "two", "three", "four"))
    assert leftovers(out) == [] and not list(out.glob(".posecheck-run-*.lock"))


def test_leftovers_of_a_dead_run_are_cleared_but_a_live_runs_work_is_kept(tmp_path):
    from posecheck.batch.outputs import clear_leftovers

    dead = tmp_path / ".clip.partial-999999999abcdef-x1"
    live = tmp_path / ".other.partial-424242fedcba-x2"
    dead.mkdir()
    live.mkdir()
    with PidLock(tmp_path / ".posecheck-run-424242fedcba.lock"):
        clear_leftovers(tmp_path)
        assert live.is_dir() and not dead.exists()


@needs_shared
@pytest.mark.slow
def test_videos_named_like_the_runs_own_files_get_their_own_folders(tmp_path, short_clip):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("summary.csv.mp4", "index.html.mp4", ".hidden.mp4"):
        shutil.copy(short_clip, src / name)
    out = tmp_path / "out"
    proc = run_cli("analyze", *(str(src / n) for n in ("summary.csv.mp4", "index.html.mp4", ".hidden.mp4")),
                   "-e", "squat", "--out", str(out), "--no-video")
    assert proc.returncode == 0, proc.stderr
    assert (out / "summary.csv").is_file() and (out / "index.html").is_file()
    assert {p.name for p in out.iterdir() if p.is_dir()} == {"summary.csv-video", "index.html-video", "hidden"}


@needs_shared
@pytest.mark.slow
def test_batch_outputs_follow_the_umask_and_link_loops_are_listed(tmp_path, short_clip):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(short_clip, src / "sub" / "clip.mp4")
    (src / "sub" / "loop").symlink_to(src, target_is_directory=True)
    (src / "dangling.mp4").symlink_to(src / "nowhere.mp4")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "posecheck", "analyze", str(src), "-e", "squat", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, preexec_fn=lambda: os.umask(0o027))
    assert proc.returncode == 0, proc.stderr
    assert "ignored:" in proc.stderr and "link loop" in proc.stderr and "broken or looping link" in proc.stderr
    rows = {r["status"] for r in csv.DictReader((out / "summary.csv").open())}
    assert rows == {"done", "ignored"}
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [out / "clip", *(out / "clip").iterdir(),
                                                               out / "summary.csv"]}
    assert modes.pop("clip") == 0o750
    assert set(modes.values()) == {0o640}, modes


def test_every_commands_help_names_values_in_words_not_python_types(capsys):
    import re

    from posecheck.cli import main

    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    commands = re.findall(r"^  (\w[\w-]*)\s", top.split("Commands:")[1], re.M)
    assert len(commands) >= 10
    for name in commands:
        assert main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert not re.search(r"<(str|bool|int|float|path|list\[\w+\])>", text), (name, text)


def test_a_batch_with_no_video_in_its_inputs_is_an_input_error_and_makes_no_folder(tmp_path):
    inputs = tmp_path / "vids"
    inputs.mkdir()
    (inputs / "notes.txt").write_text("not a video")
    proc = run_cli("analyze", str(inputs), "-e", "squat", "--out", str(tmp_path / "reports"))
    assert proc.returncode == 2 and "no video files found" in proc.stderr, proc.stderr
    assert not (tmp_path / "reports").exists()
