"""Assembling a MediaPipe Tasks `.task` bundle for PoseLandmarker from the two model files
that the legacy `mediapipe==0.10.21` wheel ships (Apache-2.0):

    modules/pose_detection/pose_detection.tflite     -> pose_detector.tflite
    modules/pose_landmark/pose_landmark_<v>.tflite   -> pose_landmarks_detector.tflite

The Tasks runtime needs each model to say how its float input is normalised, so both get
image-input metadata first, written with MediaPipe's own metadata writer. The values are the
legacy graph's own: its pose_detection_cpu graph feeds the detector pixels scaled to [-1, 1]
(mean 127.5, std 127.5), its pose_landmark_by_roi graph feeds the landmark model [0, 1]
(mean 0, std 255). With [0, 1] for the detector too, the detector still finds people but
misses more of them (on a shared squat clip, 254 of 371 frames against the legacy 352); the pair is then zipped with MediaPipe's bundle writer (aligned for mmap). Those
writers work in mediapipe 0.10.21 but not in the 1.x wheels for Python 3.13, which is why
the full bundle also ships, prebuilt, inside posecheck (tasks.py)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKER_MEMBER = "pose_landmarks_detector.tflite"


# (mean, std) of each member's float input: (pixel - mean) / std, as in the legacy graphs.
DETECTOR_NORMALISATION = (127.5, 127.5)  # [-1, 1]
LANDMARKER_NORMALISATION = (0.0, 255.0)  # [0, 1]


def with_image_metadata(model: bytes, normalisation: tuple[float, float]) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    mean, std = normalisation
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_image_input(norm_mean=[mean], norm_std=[std])  # RGB by default
    populated, _ = writer.populate()
    return bytes(populated)


def build_bundle(detector: Path, landmarker: Path, out: Path) -> Path:
    """Write the bundle atomically; raises ImportError where MediaPipe's writers are missing."""
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    members = {DETECTOR_MEMBER: with_image_metadata(detector.read_bytes(), DETECTOR_NORMALISATION),
               LANDMARKER_MEMBER: with_image_metadata(landmarker.read_bytes(), LANDMARKER_NORMALISATION)}
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
