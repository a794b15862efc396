"""Landmark recordings: every frame's pose with its timestamp, one JSON object a line.

Format `posecheck.landmarks` version 1 (`.landmarks.jsonl`, or `.jsonl.gz` gzipped):

    line 1  {"format": "posecheck.landmarks", "version": 1, "source": VideoInfo, "model": "full",
             "smoothing": "none", "landmarks": ["NOSE", ...], "created_by": "posecheck 0.1.0"}
    then    {"i": frame index, "t_ms": timestamp, "pose": null}                       (nobody found)
    or      {"i": ..., "t_ms": ..., "pose": {"xyz": [[x, y, z] x33], "vis": [33], "pres": [33],
                                             "world": [[x, y, z] x33]}}

`xyz` is normalised to the upright frame (x, y in 0..1; z MediaPipe's relative depth);
`world` is metres with the origin between the hips. Values are float32 written with
Python's shortest round-trip repr, so replay gives back exactly what was recorded.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import PosecheckError, RecordingError
from ..files import apply_umask
from .landmarks import NUM_LANDMARKS, Landmark
from .types import Pose, PoseFrame, VideoInfo

FORMAT = "posecheck.landmarks"
VERSION = 1


def _open_text(path: Path, mode: str, *, gzipped: bool | None = None):
    if gzipped if gzipped is not None else str(path).endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def _floats(arr: np.ndarray) -> list:
    # float32 -> Python float is exact, and json writes the shortest repr that reads back
    # to the same double, so the round trip is lossless.
    return arr.astype(np.float32).tolist()


def pose_to_json(pose: Pose) -> dict:
    return {"xyz": _floats(pose.xyz_norm), "vis": _floats(pose.visibility),
            "pres": _floats(pose.presence), "world": _floats(pose.world_xyz)}


def pose_from_json(data: dict, *, timestamp_ms: float, frame_index: int,
                   resolution_wh: tuple[int, int]) -> Pose:
    return Pose(xyz_norm=np.asarray(data["xyz"], dtype=np.float32),
                visibility=np.asarray(data["vis"], dtype=np.float32),
                world_xyz=np.asarray(data["world"], dtype=np.float32),
                presence=np.asarray(data.get("pres", [1.0] * NUM_LANDMARKS), dtype=np.float32),
                timestamp_ms=timestamp_ms, resolution_wh=resolution_wh, frame_index=frame_index)


class RecordingWriter:
    """Context manager: writes to a temp file beside the target and renames it into place
    only when the block ends without an error, so a failed run leaves nothing behind."""

    def __init__(self, path: str | os.PathLike, info: VideoInfo, *, model: str,
                 smoothing: str = "none") -> None:
        self.path = Path(path)
        self.header = {"format": FORMAT, "version": VERSION, "source": info.to_dict(), "model": model,
                       "smoothing": smoothing, "landmarks": [lm.name for lm in Landmark],
                       "created_by": f"posecheck {__version__}"}
        self.frames_written = 0
        self.poses_written = 0

    def __enter__(self) -> RecordingWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.",
                                         suffix=".part")
        os.close(fd)
        # gzip-ness follows the target's name, not the temp file's.
        self._fh = _open_text(Path(self._tmp), "w", gzipped=str(self.path).endswith(".gz"))
        self._fh.write(json.dumps(self.header) + "\n")
        return self

    def write(self, pose_frame: PoseFrame) -> None:
        row = {"i": pose_frame.index, "t_ms": pose_frame.timestamp_ms,
               "pose": pose_to_json(pose_frame.pose) if pose_frame.pose is not None else None}
        self._fh.write(json.dumps(row, separators=(",", ":")) + "\n")
        self.frames_written += 1
        self.poses_written += pose_frame.pose is not None

    def __exit__(self, exc_type, exc, tb) -> None:
        self._fh.close()
        if exc_type is not None:
            Path(self._tmp).unlink(missing_ok=True)
            return
        try:
            apply_umask(self._tmp)
            os.replace(self._tmp, self.path)
        except OSError as exc:
            Path(self._tmp).unlink(missing_ok=True)
            raise PosecheckError(f"{self.path}: cannot write the recording ({exc.strerror})") from None


class Recording:
    """A recording opened for replay: `info`, `header`, and iteration over `PoseFrame`s."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RecordingError(f"{self.path}: no such recording")
        try:
            with _open_text(self.path, "r") as fh:
                first = fh.readline()
            self.header = json.loads(first)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, EOFError):
            raise RecordingError(f"{self.path.name}: not a posecheck landmark recording") from None
        if not isinstance(self.header, dict) or self.header.get("format") != FORMAT:
            raise RecordingError(f"{self.path.name}: not a posecheck landmark recording "
                                 f"(missing \"format\": \"{FORMAT}\" header)")
        if self.header.get("version") != VERSION:
            raise RecordingError(f"{self.path.name}: recording version {self.header.get('version')} "
                                 f"is not supported (this posecheck reads version {VERSION})")
        source = self.header.get("source")
        if not isinstance(source, dict):
            raise RecordingError(f"{self.path.name}: the recording's header has no \"source\" object")
        try:
            self.info = VideoInfo.from_dict(source)
        except KeyError as exc:
            raise RecordingError(f"{self.path.name}: the recording's header has no source.{exc.args[0]}") from None
        except (TypeError, ValueError) as exc:
            raise RecordingError(f"{self.path.name}: the recording's header is malformed ({exc})") from None
        self.model = self.header.get("model", "unknown")

    def __iter__(self) -> Iterator[PoseFrame]:
        wh = self.info.resolution_wh
        with _open_text(self.path, "r") as fh:
            fh.readline()
            for line_no, line in enumerate(fh, start=2):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    pose = None
                    if row["pose"] is not None:
                        pose = pose_from_json(row["pose"], timestamp_ms=row["t_ms"],
                                              frame_index=row["i"], resolution_wh=wh)
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    raise RecordingError(f"{self.path.name}: line {line_no} is malformed ({exc})") from None
                yield PoseFrame(timestamp_ms=row["t_ms"], index=row["i"], pose=pose)

    def close(self) -> None:
        pass
