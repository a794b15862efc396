"""The legacy backend's landmark models (`.tflite`): registry and cache.

The full BlazePose landmark model ships inside the mediapipe 0.10.21 wheel. Lite and
heavy are separate files that MediaPipe would download on first use; posecheck never
downloads. It looks for them, in order, in:

1. `$POSECHECK_MODELS_DIR`
2. `models/` of a source checkout (gitignored cache)
3. the user data folder (`~/.local/share/posecheck/models`, or `$XDG_DATA_HOME/posecheck/models`)
4. mediapipe's own module folder (where a previous install put them)

and checks the SHA-256 before use. The legacy solution loads models from its package
folder only, so a verified file is copied there (atomically) the first time it is used.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ...errors import ModelError
from ...files import atomic_write, sha256_of, user_data_dir


@dataclass(frozen=True)
class ModelEntry:
    name: str
    filename: str
    sha256: str
    model_complexity: int
    bundled: bool


REGISTRY: dict[str, ModelEntry] = {
    "lite": ModelEntry("lite", "pose_landmark_lite.tflite",
                       "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61", 0, False),
    "full": ModelEntry("full", "pose_landmark_full.tflite",
                       "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f", 1, True),
    "heavy": ModelEntry("heavy", "pose_landmark_heavy.tflite",
                        "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe", 2, False),
}


def mediapipe_model_dir() -> Path:
    import mediapipe

    return Path(mediapipe.__file__).parent / "modules" / "pose_landmark"


def search_dirs() -> list[Path]:
    dirs: list[Path] = []
    if os.environ.get("POSECHECK_MODELS_DIR"):
        dirs.append(Path(os.environ["POSECHECK_MODELS_DIR"]))
    checkout_models = Path(__file__).resolve().parents[3] / "models"
    if checkout_models.is_dir():
        dirs.append(checkout_models)
    dirs.append(user_data_dir() / "models")
    return dirs


def entry(name: str) -> ModelEntry:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown model '{name}'; choose one of {', '.join(REGISTRY)}") from None


def find_model_file(name: str) -> Path | None:
    """A verified copy of the model's file, or None."""
    model = entry(name)
    for folder in [*search_dirs(), mediapipe_model_dir()]:
        candidate = folder / model.filename
        if candidate.is_file():
            if sha256_of(candidate) != model.sha256:
                raise ModelError(f"{candidate}: checksum does not match the {name} model "
                                 "(corrupt or wrong file); delete it and copy the right one")
            return candidate
    return None


def ensure_model(name: str) -> ModelEntry:
    """Make the named model loadable by mediapipe's legacy pose solution."""
    model = entry(name)
    target = mediapipe_model_dir() / model.filename
    if model.bundled:
        if not target.is_file():
            raise ModelError(f"the bundled {name} model is missing from {target.parent}; "
                             "reinstall mediapipe==0.10.21")
        return model
    found = find_model_file(name)
    if found is None:
        places = ", ".join(str(d) for d in search_dirs())
        raise ModelError(f"model '{name}' not found: put {model.filename} in one of {places} "
                         f"(or run `posecheck models install {name} PATH`)")
    if found != target:
        install_file(found, target)
    return model


def install_file(src: Path, target: Path) -> None:
    """Copy `src` to `target`; the file appears only when complete."""
    try:
        with open(src, "rb") as source, atomic_write(target, "wb") as out:
            shutil.copyfileobj(source, out)
    except OSError as exc:
        raise ModelError(f"cannot copy {src} to {target}: {exc.strerror}") from None


def install_model(name: str, path: Path) -> Path:
    """Verify a user-supplied model file and put it in the user's model cache."""
    model = entry(name)
    if not path.is_file():
        raise ModelError(f"{path}: no such file")
    if sha256_of(path) != model.sha256:
        raise ModelError(f"{path}: not the {name} model (checksum mismatch)")
    target = user_data_dir() / "models" / model.filename
    install_file(path, target)
    return target
