"""`.task` bundles for the Tasks-API backend (pose/estimator.py, MediaPipeTasksEstimator).

Where a bundle comes from, in order:
1. the user's model cache, `~/.local/share/posecheck/models/pose_landmarker_<v>.task`
   (built there by `posecheck models build-task`, or copied by `posecheck models install`);
2. for `full`, the bundle shipped inside posecheck (`posecheck/pose/models/`, Apache-2.0, see
   its LICENSE file): the only source on Python 3.13, where MediaPipe ships no models;
3. built once into the cache from the legacy wheel's model files, where that wheel's
   bundle writer works (mediapipe 0.10.21).
Every bundle is verified by the SHA-256 of the two models inside it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from ...errors import ModelError
from ...files import user_data_dir
from .bundle import DETECTOR_MEMBER, LANDMARKER_MEMBER, build_bundle, member_digests
from .legacy import find_model_file, mediapipe_model_dir

log = logging.getLogger(__name__)

DETECTOR_SHA256 = "ba17bf03cccbf7c543b85319668bacb21288c1455843c8bf46e6d9fb6ea17b2f"  # with image metadata ([-1, 1])
LANDMARKER_SHA256 = {  # pose_landmark_<v>.tflite with image metadata
    "lite": "b742514dc7f2e6c328bd561f3b35fb79fc269e0300d0b838fc55630b20a1859d",
    "full": "51b8d04297537d0130398b8826e9873c1e21c2c4563acede4e3bf4a02dbcaadd",
    "heavy": "099fa5d23dee92dbc7e43cc658042a8af97030469c1e0ce146b4f2221243f30a",
}


@dataclass(frozen=True)
class TaskBundle:
    variant: str
    path: Path
    origin: str  # "cache", "shipped" or "built"


def bundle_name(variant: str) -> str:
    return f"pose_landmarker_{variant}.task"


def expected_members(variant: str) -> dict[str, str]:
    if variant not in LANDMARKER_SHA256:
        raise ModelError(f"unknown model '{variant}'; choose one of {', '.join(LANDMARKER_SHA256)}")
    return {DETECTOR_MEMBER: DETECTOR_SHA256, LANDMARKER_MEMBER: LANDMARKER_SHA256[variant]}


def bundle_tag(variant: str) -> str:
    """Eight hex digits that name the models of a variant's bundle (for cache file names)."""
    import hashlib

    members = expected_members(variant)
    return hashlib.sha256("".join(members[name] for name in sorted(members)).encode()).hexdigest()[:8]


def verify_bundle(path: Path, variant: str) -> Path:
    import zipfile

    try:
        found = member_digests(path)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{path}: not a readable .task bundle ({exc})") from None
    if found != expected_members(variant):
        raise ModelError(f"{path}: not the {variant} pose landmarker bundle (its models' checksums differ)")
    return path


def cache_path(variant: str) -> Path:
    return user_data_dir() / "models" / bundle_name(variant)


def shipped_path(variant: str) -> Path | None:
    candidate = files("posecheck.pose.models") / bundle_name(variant)
    return Path(str(candidate)) if candidate.is_file() else None


def build_into_cache(variant: str) -> Path:
    """Assemble the bundle from the legacy wheel's detector and the variant's landmark model."""
    detector = mediapipe_model_dir().parent / "pose_detection" / "pose_detection.tflite"
    landmarker = find_model_file(variant)
    if detector.is_file() and landmarker is None:  # mediapipe 0.10.21 here, its wheel without this variant
        raise ModelError(f"no {variant} landmark model here to build a .task bundle from: mediapipe 0.10.21 ships "
                         f"only the full one; put the {variant} model in place first with "
                         f"`posecheck models install {variant} pose_landmark_{variant}.tflite`, then run "
                         f"`posecheck models build-task {variant}` again")
    if not detector.is_file() or landmarker is None:
        shipped = [v for v in LANDMARKER_SHA256 if shipped_path(v) is not None]
        raise ModelError(f"no {variant} model to build a .task bundle from: this install has "
                         f"{' and '.join(shipped) or 'no'} model{'s' if len(shipped) != 1 else ''} inside, and its "
                         f"MediaPipe carries none (only mediapipe==0.10.21, on Python 3.11-3.12, does); run "
                         f"`posecheck models build-task {variant}` on such an install, then "
                         f"`posecheck models install {variant} FILE.task` here")
    try:
        out = build_bundle(detector, landmarker, cache_path(variant))
    except ImportError:
        raise ModelError(f"this mediapipe cannot write .task bundles; copy one built elsewhere with "
                         f"`posecheck models install {variant} FILE.task`") from None
    return verify_bundle(out, variant)


def find_bundle(variant: str, *, build: bool = True) -> TaskBundle:
    cached = cache_path(variant)
    if cached.is_file():
        try:
            return TaskBundle(variant, verify_bundle(cached, variant), "cache")
        except ModelError as exc:
            # Only an older posecheck's build gets here (`models install` verifies first):
            # the shipped or a fresh build replaces it rather than stopping the user.
            log.warning("%s; using a fresh bundle instead", exc)
    shipped = shipped_path(variant)
    if shipped is not None:
        return TaskBundle(variant, verify_bundle(shipped, variant), "shipped")
    if not build:
        raise ModelError(f"no {variant} .task bundle: run `posecheck models build-task {variant}`")
    return TaskBundle(variant, build_into_cache(variant), "built")
