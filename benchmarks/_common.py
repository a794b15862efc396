"""Helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    return Path(os.environ.get("POSECHECK_SHARED", REPO.parent / "shared"))


def default_clip(name: str = "bridge_side.mp4") -> Path:
    path = shared_dir() / "videos" / name
    if not path.is_file():
        raise SystemExit(f"benchmark clip not found: {path} (set POSECHECK_SHARED or pass --clip)")
    return path


def machine_line() -> str:
    return (f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")
