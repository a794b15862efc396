"""Shared fixtures: where the real clips live, and their landmark recordings (made once
per test session with the real model, cached on disk by clip checksum)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("POSECHECK_SHARED", REPO.parent / "shared"))
VIDEOS = SHARED / "videos"
CACHE = REPO / ".cache" / "test-recordings"


def shared_available() -> bool:
    return (VIDEOS / "labels.json").is_file()


needs_shared = pytest.mark.skipif(
    not shared_available(),
    reason=f"real clips not found at {VIDEOS} (set POSECHECK_SHARED to the shared/ folder)")


@pytest.fixture(scope="session")
def labels() -> dict:
    if not shared_available():
        pytest.skip(f"real clips not found at {VIDEOS} (set POSECHECK_SHARED)")
    return json.loads((VIDEOS / "labels.json").read_text())["clips"]


@pytest.fixture(scope="session")
def core_labels(labels) -> dict:
    """The eight clips with the project's own simple labels (view: side|front); the corpus
    under corpus/ is scored as a whole by `posecheck validate` (test_validation.py)."""
    return {name: label for name, label in labels.items() if not name.startswith("corpus/")}


def clip_path(name: str) -> Path:
    path = VIDEOS / name
    if not path.is_file():
        pytest.skip(f"clip {path} not found (set POSECHECK_SHARED)")
    return path


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    h.update(path.read_bytes())
    return h.hexdigest()[:16]


def recording_for(name: str, model: str = "full") -> Path:
    """The raw landmark recording of a shared clip, made with `posecheck record`."""
    video = clip_path(name)
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"{video.stem}.{model}.{_digest(video)}.landmarks.jsonl"
    if not out.is_file():
        run_cli("record", str(video), "-o", str(out), "--model", model, check=True)
    return out


def tasks_recording_for(name: str, model: str = "full") -> Path:
    """The raw landmark recording of a shared clip made by the Tasks backend, in the cache
    `posecheck validate --cache` shares (the name carries the bundle's models)."""
    from posecheck.validation.runner import recording_path

    video = clip_path(name)
    CACHE.mkdir(parents=True, exist_ok=True)
    out = recording_path(CACHE, video, model, backend="tasks")
    if not out.is_file():
        run_cli("--backend", "tasks", "record", str(video), "-o", str(out), "--model", model, check=True)
    return out


@pytest.fixture(scope="session")
def recordings(core_labels) -> dict[str, Path]:
    return {name: recording_for(name) for name in core_labels}


def run_cli(*args: str, check: bool = False, env: dict | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real `posecheck` command in a subprocess."""
    proc = subprocess.run([sys.executable, "-m", "posecheck", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"posecheck {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True, timeout=300)
