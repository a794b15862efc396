"""Which model file or bundle to load for a backend and a variant, and whether it is
verified: the one entry point to the model plumbing. The estimators (pose/estimator.py)
and `posecheck models list|install|check|build-task` (cli/manage.py) call what is here;
nothing else reaches into the modules behind it:

- `legacy.py`: the `.tflite` landmark models of the legacy solution (mediapipe 0.10.21),
  their registry, the folders searched and the copy into mediapipe's module folder;
- `tasks.py`: the `.task` bundles of the Tasks API (cache, shipped, built), each verified
  by the checksums of the two models inside;
- `bundle.py`: assembling a bundle from the legacy wheel's model files;
- `web.py`: MediaPipe's web runtime, which the coach's pages load to run the model in the
  browser (installed once from the npm registry, checked by its checksums).

The full bundle ships in this folder (`pose_landmarker_full.task`, Apache-2.0: LICENSE, NOTICE)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import ModelError, PosecheckError
from . import legacy, tasks, web
from .legacy import ModelEntry
from .tasks import TaskBundle
from .web import WebRuntime

VARIANTS = tuple(legacy.REGISTRY)  # lite, full, heavy: both backends have the same three

__all__ = ["VARIANTS", "ModelEntry", "ModelState", "TaskBundle", "build_task", "bundle_tag", "bundle_variant", "install",
           "install_web", "legacy_model", "model_states", "task_bundle", "web_runtime", "WebRuntime"]


def legacy_model(variant: str) -> ModelEntry:
    """The legacy backend's model for `variant`, verified and put where `mp.solutions.pose`
    loads it from (its package folder); ModelError says where to put a missing one."""
    return legacy.ensure_model(variant)


def task_bundle(variant: str, *, build: bool = True) -> TaskBundle:
    """The Tasks backend's verified `.task` bundle for `variant`: the user's cache, else the
    shipped one, else (with `build`) one built into the cache from the legacy wheel."""
    return tasks.find_bundle(variant, build=build)


def bundle_variant(path: Path) -> str:
    """The variant a user's own `.task` bundle holds (its models' checksums say which);
    ModelError when it is not a pose landmarker bundle posecheck knows."""
    for variant in tasks.LANDMARKER_SHA256:
        try:
            tasks.verify_bundle(path, variant)
            return variant
        except PosecheckError:
            continue
    raise ModelError(f"{path}: not a pose landmarker bundle posecheck knows")


def bundle_tag(variant: str) -> str:
    """Eight hex digits naming the models of a variant's bundle (for cache file names)."""
    return tasks.bundle_tag(variant)


@dataclass(frozen=True)
class ModelState:
    backend: str  # legacy | tasks
    variant: str
    kind: str  # bundled | shipped | optional
    where: str  # the verified file, or why there is none


def model_states(*, legacy_available: bool) -> list[ModelState]:
    """Every variant for both backends: where it was found and whether it checks out."""
    states = []
    for name, entry in legacy.REGISTRY.items():
        if not legacy_available:
            where = "n/a (this mediapipe has no legacy solution)"
        else:
            try:
                found = legacy.mediapipe_model_dir() / entry.filename if entry.bundled else legacy.find_model_file(name)
                where = str(found) if found else "not found"
            except PosecheckError as exc:
                where = f"problem: {exc}"
        states.append(ModelState("legacy", name, "bundled" if entry.bundled else "optional", where))
    for name in tasks.LANDMARKER_SHA256:
        try:
            bundle = tasks.find_bundle(name, build=False)
            where = f"{bundle.path} ({bundle.origin}, checksums ok)"
        except PosecheckError as exc:
            where = str(exc).removeprefix(f"no {name} .task bundle: ")
        states.append(ModelState("tasks", name, "shipped" if name == "full" else "optional", where))
    try:
        where = f"{web.find_web_runtime().folder} (checksums ok)"
    except PosecheckError as exc:
        where = str(exc)
    states.append(ModelState("web", f"v{web.VERSION}", "optional", where))  # the browser's runtime
    return states


def install(variant: str, path: Path) -> Path:
    """Verify a user's model file (a `.tflite` landmark model for the legacy backend, a
    `.task` bundle for the Tasks backend) and copy it into the user's model cache."""
    if path.suffix != ".task":
        return legacy.install_model(variant, path)
    if not path.is_file():  # as for a .tflite: a model problem
        raise ModelError(f"{path}: no such file")
    tasks.verify_bundle(path, variant)
    target = tasks.cache_path(variant)
    legacy.install_file(path, target)
    return target


def build_task(variant: str) -> Path:
    """Assemble `variant`'s `.task` bundle into the model cache from the legacy wheel's
    model files (needs mediapipe 0.10.21, whose bundle writer works)."""
    return tasks.build_into_cache(variant)


def web_runtime() -> WebRuntime:
    """The installed, verified in-browser runtime; ModelError says how to install it."""
    return web.find_web_runtime()


def install_web(tarball: Path | None = None) -> tuple[Path, bool]:
    """Install the in-browser runtime from the npm registry (or a downloaded tarball);
    (folder, False) when it was already there and checks out."""
    return web.install_web_runtime(tarball)
