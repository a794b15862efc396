"""Assembling a MediaPipe Tasks `.task` bundle for PoseLandmarker from the two model files
that the legacy `mediapipe==0.10.21` wheel ships (Apache-2.0):

    modules/pose_detection/pose_detection.tflite     -> pose_detector.tflite
    modules/pose_landmark/pose_landmark_<v>.tflite   -> pose_landmarks_detector.tflite

The Tasks runtime needs each model to say how its float input is normalised, so both get
image-input metadata first (mean 0, std 255, RGB), written with MediaPipe's own metadata
writer; the pair is then zipped with MediaPipe's bundle writer (aligned for mmap). Those
writers work in mediapipe 0.10.21 but not in the 1.x wheels for Python 3.13, which is why
the full bundle also ships, prebuilt, inside posecheck (models.py)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKER_MEMBER = "pose_landmarks_detector.tflite"


def with_image_metadata(model: bytes) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])  # RGB by default
    populated, _ = writer.populate()
    return bytes(populated)


def build_bundle(detector: Path, landmarker: Path, out: Path) -> Path:
    """Write the bundle atomically; raises ImportError where MediaPipe's writers are missing."""
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    members = {DETECTOR_MEMBER: with_image_metadata(detector.read_bytes()),
               LANDMARKER_MEMBER: with_image_metadata(landmarker.read_bytes())}
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    os.close(fd)
    try:
        model_asset_bundle_utils.create_model_asset_bundle(members, tmp)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out


def member_digests(bundle: Path) -> dict[str, str]:
    """SHA-256 of each model inside a bundle: what identifies it (the zip's own bytes carry
    timestamps, so two builds of the same models differ there and nowhere else)."""
    with zipfile.ZipFile(bundle) as zf:
        return {name: hashlib.sha256(zf.read(name)).hexdigest() for name in sorted(zf.namelist())}
