"""Shared by every command: the typer apps, option types and small helpers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

# Read before MediaPipe starts: its log filter turns fd 2 into a pipe for a moment.
STDERR_IS_TTY = sys.stderr.isatty()

app = typer.Typer(rich_markup_mode=None, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Exercise form checking from pose landmarks, on your own machine.")
models_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="List and install pose models.")
app.add_typer(models_app, name="models")
exercises_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="List, show and validate exercise specs.")
app.add_typer(exercises_app, name="exercises")
profile_app = typer.Typer(rich_markup_mode=None, no_args_is_help=True, help="Show or reset a user's calibrations.")
app.add_typer(profile_app, name="profile")
monitor_app = typer.Typer(rich_markup_mode=None, invoke_without_command=True,
                          help="Background posture monitor: `posecheck monitor` runs it; calibrate; report.")
app.add_typer(monitor_app, name="monitor")


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"posecheck {__version__} (posecheck-coach)")
        raise typer.Exit()


@app.callback()
def global_options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", help="Let MediaPipe's own log lines through (hidden by default).")] = False,
    exercises_dir: Annotated[Optional[Path], typer.Option(
        "--exercises-dir", metavar="DIR", help="Also read exercise specs from this folder (before your ~/.config/posecheck/"
                                "exercises and the built-in ones; a spec there replaces one of the same name).")] = None,
    backend: Annotated[Optional[str], typer.Option(
        "--backend", help="Pose backend: legacy (mp.solutions, mediapipe <= 0.10.21), tasks (PoseLandmarker, any "
                          "MediaPipe) or auto (legacy where it exists).")] = None,
) -> None:
    """Exercise form checking from pose landmarks, on your own machine."""
    import os

    if verbose:
        os.environ["POSECHECK_DEBUG"] = "1"  # pose/native_logs.py: batch workers inherit it

    if backend is not None:
        from ..pose.estimator import BACKENDS, chosen_backend

        if backend not in BACKENDS:
            raise typer.BadParameter(f"choose one of {', '.join(BACKENDS)}", param_hint="'--backend'")
        chosen_backend(backend)  # unavailable here: one line now
        os.environ["POSECHECK_BACKEND"] = backend  # batch workers are other processes
    if exercises_dir is not None:
        from ..engine.catalog import ENV_VAR

        if not exercises_dir.is_dir():
            from ..errors import SpecError

            raise SpecError(f"--exercises-dir {exercises_dir}: no such folder")
        # Through the environment, so batch workers (other processes) see the same specs.
        os.environ[ENV_VAR] = os.pathsep.join(filter(None, [str(exercises_dir.resolve()),
                                                            os.environ.get(ENV_VAR, "")]))

SourceArg = Annotated[str, typer.Argument(help="Camera index (0), video file, image, folder of images, "
                                                "or a .landmarks.jsonl recording.")]
ModelOpt = Annotated[str, typer.Option("--model", help="Pose model: lite, full (bundled) or heavy.")]
MaxSideOpt = Annotated[Optional[int], typer.Option(
    "--max-side", min=0, max=16384, help="Shrink frames so the longer side is at most this many pixels before the model "
                       "(0: never; default 1280, and 960 in batch mode).")]


def max_side_or_default(option: int | None, default: int) -> int | None:
    """--max-side as given (0: never shrink), else the mode's default."""
    if option is None:
        return default
    return option or None


def progress_bar(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, leave=False,
                disable=not STDERR_IS_TTY)

ExerciseOpt = Annotated[str, typer.Option("--exercise", "-e", help="squat, glute_bridge, bird_dog or sitting_posture.")]
UserOpt = Annotated[str, typer.Option("--user", help="Whose calibration to use.")]

def history_path(db: Optional[Path]) -> Path:
    """The history file, resolved (symlinks, `..`): one file has one name, so its monitor
    lock and its monitor's control channel are found however it was named."""
    from ..files import user_data_dir
    from ..sinks.history import history_key

    return history_key(db or user_data_dir() / "history.sqlite")


DbOpt = Annotated[Optional[Path], typer.Option("--db", help="History database (default: user data folder).")]

