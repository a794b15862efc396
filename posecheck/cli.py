"""Command line: `posecheck record|replay|models|...`. Every PosecheckError becomes one
line on stderr and its exit code; nothing here holds domain logic."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import PosecheckError

# Read before MediaPipe starts: its log filter turns fd 2 into a pipe for a moment.
_STDERR_IS_TTY = sys.stderr.isatty()

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Exercise form checking from pose landmarks, on your own machine.")
models_app = typer.Typer(no_args_is_help=True, help="List and install pose models.")
app.add_typer(models_app, name="models")

SourceArg = Annotated[str, typer.Argument(help="Camera index (0), video file, image, folder of images, "
                                                "or a .landmarks.jsonl recording.")]
ModelOpt = Annotated[str, typer.Option("--model", help="Pose model: lite, full (bundled) or heavy.")]
MaxSideOpt = Annotated[int, typer.Option("--max-side", help="Shrink frames so the longer side is at "
                                                             "most this many pixels before the model (0: never).")]


def _progress(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="frame", file=sys.stderr, leave=False,
                disable=not _STDERR_IS_TTY)


@app.command()
def record(
    source: SourceArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the recording "
                                                                 "(.landmarks.jsonl, or .jsonl.gz).")],
    model: ModelOpt = "full",
    max_side: MaxSideOpt = 1280,
) -> None:
    """Write every frame's landmarks (raw, unsmoothed) with timestamps to a recording."""
    from .pipeline import PipelineSettings, PoseStream
    from .recording import RecordingWriter

    settings = PipelineSettings(model=model, max_side=max_side or None, smoothing=False)
    with PoseStream(source, settings) as stream, \
            RecordingWriter(output, stream.info, model=stream.model) as writer, \
            _progress(stream.info.frame_count, stream.info.name) as bar:
        for pose_frame in stream:
            writer.write(pose_frame)
            bar.update(1)
    typer.echo(f"{output}: {writer.frames_written} frames, person found in {writer.poses_written}")


@app.command()
def replay(
    recording: Annotated[Path, typer.Argument(help="A .landmarks.jsonl recording.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per frame.")] = False,
) -> None:
    """Feed a recording through the pipeline (no model) and print per-frame view and position."""
    from .geometry import describe_pose
    from .pipeline import PoseStream

    if not str(recording).endswith((".jsonl", ".jsonl.gz")):
        raise PosecheckError(f"{recording}: not a landmark recording (.landmarks.jsonl)")
    with PoseStream(recording) as stream:
        for pf in stream:
            desc = describe_pose(pf.pose) if pf.pose is not None else None
            if as_json:
                typer.echo(json.dumps({"i": pf.index, "t_ms": pf.timestamp_ms, **(desc or {"person": False})}))
            else:
                text = "no person" if desc is None else \
                    f"view={desc['view']:<10} position={desc['position']:<9} side={desc['near_side']}"
                typer.echo(f"{pf.timestamp_ms / 1000:8.2f} s  {text}")


@models_app.command("list")
def models_list() -> None:
    """Show each model and where it was found."""
    from .models import REGISTRY, find_model_file, mediapipe_model_dir

    for name, entry in REGISTRY.items():
        try:
            where = mediapipe_model_dir() / entry.filename if entry.bundled else find_model_file(name)
        except PosecheckError as exc:
            where = f"problem: {exc}"
        typer.echo(f"{name:<6} {'bundled' if entry.bundled else 'optional':<9} {where or 'not found'}")


@models_app.command("install")
def models_install(
    name: Annotated[str, typer.Argument(help="lite or heavy")],
    path: Annotated[Path, typer.Argument(help="The .tflite file (checked against its SHA-256).")],
) -> None:
    """Copy a verified model file into the user's model cache."""
    from .models import install_model

    typer.echo(f"installed {name} -> {install_model(name, path)}")


def main(argv: Optional[list[str]] = None) -> int:
    try:
        app(args=argv, standalone_mode=False)
    except PosecheckError as exc:
        typer.echo(f"posecheck: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("posecheck: interrupted", err=True)
        return 130
    except (typer.Exit, SystemExit) as exc:
        return int(getattr(exc, "exit_code", getattr(exc, "code", 0)) or 0)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Abort):
            return 130
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
