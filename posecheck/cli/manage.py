"""Exercise specs, profiles and models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    UserOpt,
    exercises_app,
    models_app,
    profile_app,
)


@exercises_app.command("list")
def exercises_list() -> None:
    """The exercises posecheck can check, and where each spec comes from."""
    from ..engine.catalog import spec_files
    from ..engine.spec import usable_specs

    good, broken = usable_specs()
    for name, found in spec_files().items():
        summary = good[name].exercise.summary if name in good else f"(cannot be used: {broken[name]})"
        typer.echo(f"{name:<16} {summary}  [{found.origin}: {found.where}]")


@exercises_app.command("show")
def exercises_show(name: Annotated[str, typer.Argument()]) -> None:
    """What an exercise checks, its thresholds and the evidence behind them."""
    from ..engine.spec import get_spec

    spec = get_spec(name)
    typer.echo(f"{spec.exercise.title}: {spec.exercise.summary}\nCamera: {spec.exercise.camera}")
    for f in spec.faults:
        ref = f" relative to {f.reference}" if f.reference else ""
        typer.echo(f"- {f.code} ({'/'.join(f.views)}): {f.fault_if} {f.enter:g}{ref}\n    {f.evidence}")


@exercises_app.command("validate")
def exercises_validate(paths: Annotated[Optional[list[Path]], typer.Argument()] = None) -> None:
    """Load and check every spec in use (or the given files); errors name the file and key."""
    from ..engine.catalog import spec_files
    from ..engine.spec import load_spec

    for path in paths or [f.file for f in spec_files().values()]:
        spec = load_spec(path)
        typer.echo(f"{path.name}: ok ({len(spec.faults)} faults)")


@profile_app.command("show")
def profile_show(user: UserOpt = "default") -> None:
    """Print a user's calibration values."""
    from ..engine.profiles import load_profile

    typer.echo(json.dumps(load_profile(user).to_dict(), indent=2, sort_keys=True))


@profile_app.command("history")
def profile_history(state: Annotated[str, typer.Argument(help="on or off")], user: UserOpt = "default") -> None:
    """Keep (on, the default) or do not keep (off) a user's sets and sessions in the history."""
    from ..engine.profiles import load_profile, save_profile

    if state not in ("on", "off"):
        raise typer.BadParameter(f"'{state}': say on or off", param_hint="STATE")
    profile = load_profile(user)
    profile.keep_history = state == "on"
    path = save_profile(profile)
    typer.echo(f"history {'kept' if profile.keep_history else 'not kept'} for user '{user}' (saved to {path})")


@profile_app.command("reset")
def profile_reset(user: UserOpt = "default",
                  exercise: Annotated[Optional[str], typer.Option("--exercise", "-e", help="Only this exercise's calibration (default: every one).")] = None) -> None:
    """Forget a user's calibrations (all, or one exercise's)."""
    from ..engine.profiles import load_profile, profile_exists, save_profile

    profile = load_profile(user)
    if not profile_exists(user):  # nothing stored: nothing to reset, and no file is made
        typer.echo(f"no calibrations stored for user '{user}'; nothing to reset")
        return
    profile.reset(exercise)
    typer.echo(f"reset; saved to {save_profile(profile)}")


@models_app.command("list")
def models_list() -> None:
    """Each model for each backend, where it was found, and whether it checks out."""
    from ..pose.estimator import chosen_backend, legacy_available
    from ..pose.models import model_states

    typer.echo(f"backend in use: {chosen_backend()}")
    for state in model_states(legacy_available=legacy_available()):
        typer.echo(f"{state.backend:<6} {state.variant:<6} {state.kind:<9} {state.where}")


@models_app.command("install")
def models_install(
    name: Annotated[str, typer.Argument(help="lite, full or heavy; or web (the in-browser runtime)")],
    path: Annotated[Optional[Path], typer.Argument(
        help="A .tflite landmark model (legacy backend) or a .task bundle (Tasks backend), checked against "
             "its SHA-256. For web: a downloaded tasks-vision-1.1.0.tgz (default: fetched from the npm "
             "registry).")] = None,
) -> None:
    """Copy a verified model file into the user's model cache; `web`: install the runtime the
    coach's pages use to run the model in the browser."""
    from ..pose.models import install, install_web

    if name == "web":
        folder, installed = install_web(path)
        typer.echo(f"installed the in-browser pose runtime -> {folder}" if installed
                   else f"the in-browser pose runtime is already installed in {folder} (checksums ok)")
        return
    if path is None:
        raise typer.BadParameter(f"give the {name} model file to install", param_hint="PATH")
    target = install(name, path)
    what = f"{name} .task bundle" if path.suffix == ".task" else name
    typer.echo(f"installed {what} -> {target}")


@models_app.command("build-task")
def models_build_task(name: Annotated[str, typer.Argument(help="lite, full or heavy")] = "full") -> None:
    """Assemble the Tasks backend's .task bundle from the legacy wheel's model files into the
    model cache (needs mediapipe 0.10.21, whose bundle writer works)."""
    from ..pose.models import build_task

    typer.echo(f"built {build_task(name)}")


@models_app.command("check")
def models_check() -> None:
    """Load the model of the backend in use on a blank picture: exit 0 when it works."""
    import numpy as np

    from ..pose.estimator import chosen_backend, create_estimator
    from ..pose.types import Frame

    estimator = create_estimator()
    try:
        estimator.estimate(Frame(image=np.zeros((256, 256, 3), np.uint8), timestamp_ms=0.0, index=0,
                                 resolution_wh=(256, 256)))
    finally:
        estimator.close()
    typer.echo(f"ok: {estimator.name} ({chosen_backend()} backend)")
