"""Landmark recordings: lossless round trip, replay without the model, bad files."""

from __future__ import annotations

import pytest

from posecheck.errors import RecordingError
from posecheck.pose.pipeline import PipelineSettings, PoseStream
from posecheck.pose.recording import Recording, RecordingWriter

from .conftest import clip_path, ffmpeg, needs_shared, run_cli


@needs_shared
@pytest.mark.parametrize("suffix", [".landmarks.jsonl", ".landmarks.jsonl.gz"], ids=["plain", "gzip"])
def test_record_then_replay_is_lossless(tmp_path, suffix):
    short = tmp_path / "short.mp4"
    ffmpeg("-i", str(clip_path("squat_side_good.mp4")), "-ss", "11", "-t", "1.5", "-an", "-c:v", "libx264", str(short))
    with PoseStream(short, PipelineSettings(smoothing=False)) as stream:
        live = list(stream)
        info = stream.info
    out = tmp_path / f"short{suffix}"
    with RecordingWriter(out, info, model="full") as writer:
        for pf in live:
            writer.write(pf)
    replayed = list(Recording(out))
    assert len(replayed) == len(live) > 40
    for a, b in zip(live, replayed):
        assert a.timestamp_ms == b.timestamp_ms and a.index == b.index
        assert (a.pose is None) == (b.pose is None)
        if a.pose is not None:
            assert a.pose.equals(b.pose), f"frame {a.index} differs after the round trip"
    assert Recording(out).info == info


@needs_shared
def test_cli_record_and_replay(tmp_path):
    short = tmp_path / "short.mp4"
    ffmpeg("-i", str(clip_path("bridge_side.mp4")), "-t", "1", "-an", "-c:v", "libx264", str(short))
    out = tmp_path / "short.landmarks.jsonl"
    proc = run_cli("record", str(short), "-o", str(out), check=True)
    assert "30 frames, person found in 30" in proc.stdout
    replay = run_cli("replay", str(out), check=True)
    lines = replay.stdout.strip().splitlines()
    assert len(lines) == 30
    assert all("position=lying" in line and "view=side_" in line for line in lines)


def test_writer_leaves_nothing_when_the_run_fails(tmp_path):
    from posecheck.pose.types import VideoInfo

    out = tmp_path / "x.landmarks.jsonl"
    with pytest.raises(RuntimeError):
        with RecordingWriter(out, VideoInfo(kind="video", name="x", resolution_wh=(2, 2)), model="full"):
            raise RuntimeError("source failed half-way")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("content", "message"), [
    ("not json at all\n", "not a posecheck landmark recording"),
    ('{"format": "something-else"}\n', "not a posecheck landmark recording"),
    ('{"format": "posecheck.landmarks", "version": 99}\n', "version 99 is not supported"),
], ids=["garbage", "other-format", "future-version"])
def test_bad_recording_is_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "bad.landmarks.jsonl"
    path.write_text(content)
    with pytest.raises(RecordingError, match=message):
        Recording(path)
    proc = run_cli("replay", str(path))
    assert proc.returncode == 2 and message in proc.stderr


def test_malformed_line_names_its_line_number(tmp_path):
    path = tmp_path / "bad.landmarks.jsonl"
    header = ('{"format": "posecheck.landmarks", "version": 1, "model": "full", "source": '
              '{"kind": "video", "name": "x", "resolution_wh": [10, 10]}}\n')
    path.write_text(header + '{"i": 0, "t_ms": 0, "pose": null}\n{"i": 1, "t_ms": 33, "pose": {"xyz": [1]}}\n')
    with pytest.raises(RecordingError, match="line 3 is malformed"):
        list(Recording(path))
