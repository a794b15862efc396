"""Batch analysis over real clips and generated bad files: outputs, labels, the
annotated video, HTML, skipping, failures, and the Ray engine."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from posecheck.batch import BatchOptions, run_batch

from .conftest import clip_path, ffmpeg, needs_shared, run_cli

pytestmark = [needs_shared, pytest.mark.slow]


def _decode_count_and_size(path: Path) -> tuple[int, int, int]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(s))
        return n, s.codec_context.width, s.codec_context.height


@pytest.fixture(scope="module")
def squat_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch-squat")
    proc = run_cli("analyze", str(clip_path("squat_side_barbell.mp4")), str(clip_path("squat_side_forward_lean.mp4")),
                   "-e", "squat", "--out", str(out), "--workers", "2", timeout=900)
    return out, proc


def test_batch_writes_every_output_and_they_parse(squat_batch, labels):
    out, proc = squat_batch
    assert proc.returncode == 0, proc.stderr
    assert "2 analysed, 0 already done, 0 failed" in proc.stdout
    for stem in ("squat_side_barbell", "squat_side_forward_lean"):
        folder = out / stem
        report = json.loads((folder / "report.json").read_text())
        assert report["schema"] == "posecheck.report" and report["version"] == 1
        assert report["summary"]["rep_count"] == labels[f"{stem}.mp4"]["reps"]
        reps = list(csv.DictReader((folder / "reps.csv").open()))
        assert len(reps) == report["summary"]["rep_count"]
        events = list(csv.DictReader((folder / "events.csv").open()))
        assert len(events) == len(report["events"])
        with (folder / "frames.csv").open() as fh:
            rows = list(csv.DictReader(fh))
        assert len(rows) == report["frames"]["total"]
        assert "squat_depth_deg" in rows[0] and "left_knee_x" in rows[0]
        html = (folder / "report.html").read_text()
        assert html.count("data:image/png;base64,") >= 2 and "Reps" in html
        frames, w, h = _decode_count_and_size(folder / "annotated.mp4")
        assert frames == report["frames"]["total"]
        assert h > w  # both clips are portrait and stay upright
    index = (out / "index.html").read_text()
    assert "squat_side_barbell/report.html" in index
    summary = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["status"] for r in summary] == ["done", "done"]
    assert "excessive_forward_lean" in summary[1]["faults"]
    # A finished run leaves what the user asked for, no lock files.
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_rerun_skips_finished_videos_unless_forced(squat_batch):
    out, _ = squat_batch
    before = (out / "squat_side_barbell" / "report.json").stat().st_mtime
    proc = run_cli("analyze", str(clip_path("squat_side_barbell.mp4")), "-e", "squat", "--out", str(out))
    assert proc.returncode == 0 and "0 analysed, 1 already done" in proc.stdout
    assert (out / "squat_side_barbell" / "report.json").stat().st_mtime == before
    proc = run_cli("analyze", str(clip_path("squat_side_barbell.mp4")), "-e", "squat", "--out", str(out),
                   "--force", "--no-video")
    assert "1 analysed" in proc.stdout
    assert not list(out.glob(".*partial*"))


def _bad_files(folder: Path) -> dict[str, Path]:
    src = clip_path("bridge_side.mp4")
    files = {}
    (folder / "notes.mp4").write_text("not a video")
    files["not-a-video"] = folder / "notes.mp4"
    data = src.read_bytes()
    corrupt = bytearray(data[:400_000])
    corrupt[:2048] = b"\x00" * 2048
    (folder / "corrupt.mp4").write_bytes(bytes(corrupt))
    files["corrupt"] = folder / "corrupt.mp4"
    ffmpeg("-i", str(src), "-t", "4", "-an", "-c", "copy", "-movflags", "+faststart", str(folder / "fs.mp4"))
    fs = (folder / "fs.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(fs[: len(fs) // 2])
    (folder / "fs.mp4").unlink()
    files["truncated"] = folder / "truncated.mp4"
    with av.open(str(folder / "empty.mp4"), "w") as c:
        s = c.add_stream("mpeg4", rate=30)
        s.width, s.height = 64, 64
        c.start_encoding()
    files["zero-frames"] = folder / "empty.mp4"
    ffmpeg("-i", str(src), "-t", "4", "-an", "-c:v", "libsvtav1", str(folder / "av1.mp4"))
    files["av1"] = folder / "av1.mp4"
    ffmpeg("-i", str(src), "-t", "2", "-an", "-vf", "scale=3840:2160", "-c:v", "libx264", "-preset", "ultrafast",
           str(folder / "huge_4k.mp4"))
    files["huge"] = folder / "huge_4k.mp4"
    ffmpeg("-i", str(src), "-t", "4", "-an", "-vf", "transpose=1", "-c:v", "libx264", str(folder / "side.mp4"))
    ffmpeg("-display_rotation", "90", "-i", str(folder / "side.mp4"), "-c", "copy", str(folder / "rotated.mp4"))
    (folder / "side.mp4").unlink()
    files["rotated"] = folder / "rotated.mp4"
    ffmpeg("-i", str(src), "-t", "6", "-an", "-vf", "select='lt(t,2)+not(mod(n,3))'", "-fps_mode", "vfr",
           "-c:v", "libx264", str(folder / "vfr.mp4"))
    files["vfr"] = folder / "vfr.mp4"
    return files


def test_bad_files_are_listed_with_a_reason_and_the_rest_go_on(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    files = _bad_files(inputs)
    out = tmp_path / "out"
    proc = run_cli("analyze", str(inputs), "-e", "glute_bridge", "--out", str(out), "--workers", "2", timeout=900)
    assert proc.returncode == 1
    rows = {Path(r["video"]).name: r for r in csv.DictReader((out / "summary.csv").open())}
    assert len(rows) == len(files)
    expected_failures = {"not-a-video": "not a readable video file", "corrupt": "not a readable video file",
                         "truncated": "truncated video", "zero-frames": "no video stream|no decodable frames"}
    import re

    for kind, path in files.items():
        row = rows[path.name]
        if kind in expected_failures:
            assert row["status"] == "failed" and re.search(expected_failures[kind], row["reason"]), row
            assert not (out / path.stem).exists()
        else:
            assert row["status"] == "done", row
            report = json.loads((out / path.stem / "report.json").read_text())
            assert report["frames"]["with_person"] >= 0.9 * report["frames"]["total"], kind
    _, w, h = _decode_count_and_size(out / "rotated" / "annotated.mp4")
    assert w > h  # the sideways-stored clip is written upright (landscape, like the original)
    assert json.loads((out / "rotated" / "report.json").read_text())["view"] == "side"
    _, w, h = _decode_count_and_size(out / "huge_4k" / "annotated.mp4")
    assert max(w, h) <= 960
    vfr = json.loads((out / "vfr" / "report.json").read_text())
    assert vfr["duration_s"] == pytest.approx(6.0, abs=0.3)
    for line in proc.stderr.splitlines():
        assert line.startswith("  failed: ") or line.startswith("failed: ") or not line.strip()
    assert not list(out.glob(".*partial*"))


def test_killed_run_leaves_no_half_written_report(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "posecheck", "analyze", str(clip_path("squat_front_goblet.mp4")),
                             "-e", "squat", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(8)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "squat_front_goblet").exists()  # only renamed into place when complete
    proc = run_cli("analyze", str(clip_path("squat_side_good.mp4")), "-e", "squat", "--out", str(out), "--no-video")
    assert proc.returncode == 0
    assert not list(out.glob(".*partial*"))  # the killed run's leftovers are cleared


def test_ray_engine_gives_the_same_reports_as_local_workers(tmp_path):
    pytest.importorskip("ray", reason="Ray is an optional extra: pip install -e '.[ray]'")
    videos = [clip_path("bridge_side.mp4"), clip_path("squat_side_good.mp4")]
    local = BatchOptions(exercise="glute_bridge", out_dir=str(tmp_path / "local"), annotate=False)
    ray_opts = BatchOptions(exercise="glute_bridge", out_dir=str(tmp_path / "ray"), annotate=False)
    a = run_batch(videos, local, workers=2)
    b = run_batch(videos, ray_opts, workers=2, engine="ray")
    assert [r.status for r in a] == [r.status for r in b] == ["done", "done"]
    for video in videos:
        ra = json.loads((tmp_path / "local" / video.stem / "report.json").read_text())
        rb = json.loads((tmp_path / "ray" / video.stem / "report.json").read_text())
        for key in ("reps", "holds", "events", "summary", "view"):
            assert ra[key] == rb[key], key


def test_rate_option_analyses_fewer_frames_with_the_same_verdicts(tmp_path, labels):
    out = tmp_path / "out"
    proc = run_cli("analyze", str(clip_path("squat_side_forward_lean.mp4")), "-e", "squat", "--out", str(out),
                   "--rate", "15")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "squat_side_forward_lean" / "report.json").read_text())
    assert report["frames"]["total"] == pytest.approx(225, abs=3)  # 15 s at 15 of 30 fps
    assert report["summary"]["rep_count"] == 2 and "excessive_forward_lean" in report["summary"]["fault_counts"]
    frames, _, _ = _decode_count_and_size(out / "squat_side_forward_lean" / "annotated.mp4")
    assert frames == report["frames"]["total"]
