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
exercises_app = typer.Typer(no_args_is_help=True, help="List, show and validate exercise specs.")
app.add_typer(exercises_app, name="exercises")
profile_app = typer.Typer(no_args_is_help=True, help="Show or reset a user's calibrations.")
app.add_typer(profile_app, name="profile")
monitor_app = typer.Typer(invoke_without_command=True,
                          help="Background posture monitor: `posecheck monitor` runs it; calibrate; report.")
app.add_typer(monitor_app, name="monitor")

SourceArg = Annotated[str, typer.Argument(help="Camera index (0), video file, image, folder of images, "
                                                "or a .landmarks.jsonl recording.")]
ModelOpt = Annotated[str, typer.Option("--model", help="Pose model: lite, full (bundled) or heavy.")]
MaxSideOpt = Annotated[Optional[int], typer.Option(
    "--max-side", help="Shrink frames so the longer side is at most this many pixels before the model "
                       "(0: never; default 1280, and 960 in batch mode).")]


def _max_side(option: int | None, default: int) -> int | None:
    """--max-side as given (0: never shrink), else the mode's default."""
    if option is None:
        return default
    return option or None


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
    max_side: MaxSideOpt = None,
) -> None:
    """Write every frame's landmarks (raw, unsmoothed) with timestamps to a recording."""
    from .analysis import record_landmarks
    from .pipeline import PipelineSettings

    settings = PipelineSettings(model=model, max_side=_max_side(max_side, PipelineSettings.max_side), smoothing=False)
    with _progress(None, Path(source).name) as bar:
        frames, poses = record_landmarks(source, output, settings, on_frame=lambda _pf: bar.update(1))
    typer.echo(f"{output}: {frames} frames, person found in {poses}")


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


ExerciseOpt = Annotated[str, typer.Option("--exercise", "-e", help="squat, glute_bridge, bird_dog or sitting_posture.")]
UserOpt = Annotated[str, typer.Option("--user", help="Whose calibration to use.")]


@app.command()
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Video files or folders (or one camera index / .landmarks.jsonl).")],
    exercise: ExerciseOpt,
    out: Annotated[Optional[Path], typer.Option("--out", help="Batch mode: write reports, CSVs, annotated video and HTML per video here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON report on stdout (single input, no --out).")] = False,
    workers: Annotated[int, typer.Option("--workers", help="Batch: videos analysed at once.")] = 1,
    engine: Annotated[str, typer.Option("--engine", help="Batch: local (processes) or ray.")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="Batch with Ray: cluster address (default: a local one).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Batch: redo videos that already have a report.")] = False,
    video_out: Annotated[bool, typer.Option("--video/--no-video", help="Batch: write annotated.mp4.")] = True,
    rate: Annotated[Optional[float], typer.Option("--rate", help="Batch: analyse at most this many frames a second (default: every frame).")] = None,
    user: UserOpt = "default",
    model: ModelOpt = "full",
    max_side: MaxSideOpt = None,
) -> None:
    """Check form over whole videos: reps, holds, faults, feedback events; with --out, a batch with reports."""
    from .spec import get_spec

    get_spec(exercise)  # unknown exercise: fail before any work
    if out is not None:
        raise typer.Exit(_analyze_batch(paths, exercise, out, workers=workers, engine=engine, address=address,
                                        force=force, annotate=video_out, user=user, model=model, max_side=max_side,
                                        rate=rate))
    if len(paths) != 1:
        raise PosecheckError("several inputs need --out DIR (batch mode)")
    from .analysis import analyze as run_analysis
    from .pipeline import PipelineSettings
    from .profiles import load_profile

    spec = get_spec(exercise)
    profile = load_profile(user)
    bar = _progress(None, exercise)
    report, _ = run_analysis(paths[0], spec, profile=profile,
                             settings=PipelineSettings(model=model, max_side=_max_side(max_side, PipelineSettings.max_side)),
                             on_frame=lambda _r: bar.update(1))
    bar.close()
    if as_json:
        typer.echo(json.dumps(report))
    else:
        typer.echo(format_report(report))


def _analyze_batch(paths, exercise, out, *, workers, engine, address, force, annotate, user, model, max_side,
                   rate=None) -> int:
    from tqdm import tqdm

    from .batch import BatchOptions, find_videos, run_batch

    if engine not in ("local", "ray"):
        raise PosecheckError(f"--engine must be local or ray, not '{engine}'")
    videos = find_videos(paths)
    if not videos:
        raise PosecheckError("no video files found in " + ", ".join(paths))
    options = BatchOptions(exercise=exercise, out_dir=str(out), user=user, model=model,
                           max_side=_max_side(max_side, BatchOptions.max_side) or 0, annotate=annotate,
                           force=force, max_fps=rate)
    bar = tqdm(total=len(videos), unit="video", file=sys.stderr, disable=not _STDERR_IS_TTY)

    def show(r) -> None:
        bar.update(1)

    results = run_batch(videos, options, workers=workers, engine=engine, address=address, on_result=show)
    bar.close()
    done = sum(r.status == "done" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    failed = [r for r in results if r.status == "failed"]
    typer.echo(f"{done} analysed, {skipped} already done, {len(failed)} failed; "
               f"see {out / 'index.html'} and {out / 'summary.csv'}")
    for r in failed:  # reasons usually start with the file's name already
        reason = r.reason.removeprefix(f"{Path(r.video).name}: ")
        typer.echo(f"  failed: {r.video}: {reason}", err=True)
    return 1 if failed else 0


def format_report(report: dict) -> str:
    lines = [f"{report['exercise']} | {report['source']['name']} | view: {report['view']} | "
             f"{report['duration_s']:.1f} s | {'calibrated' if report['calibrated'] else 'default targets'}"]
    if report.get("posture") is not None:
        for span in report["posture"]:
            faults = f" ({', '.join(span['faults'])})" if span["faults"] else ""
            lines.append(f"  {span['start_s']:6.1f}-{span['end_s']:6.1f} s  {span['state']}{faults}")
    else:
        lines.append(f"reps: {report['summary']['rep_count']}")
        for rep in report["reps"]:
            verdict = ", ".join(rep["faults"]) or ("good" if rep.get("judged", True) else "form not judged")
            side = f" [{rep['side']}]" if rep["side"] else ""
            lines.append(f"  rep {rep['index']}{side}: {rep['start_s']:.1f}-{rep['end_s']:.1f} s, "
                         f"bottom {rep['bottom_s']:.1f} s: {verdict}")
        for hold in report["holds"]:
            side = f" [{hold['side']}]" if hold["side"] else ""
            lines.append(f"  hold{side}: {hold['start_s']:.1f}-{hold['end_s']:.1f} s, "
                         f"{hold['good_s']:.1f} s good (target {hold['target_s'][0]:.0f}-{hold['target_s'][1]:.0f} s)")
    cues = [e for e in report["events"] if e["kind"] in ("cue", "view", "info")]
    if cues:
        lines.append("feedback:")
        lines += [f"  {e['t_s']:6.1f} s  [{e['kind']}] {e['message']}" for e in cues]
    return "\n".join(lines)


@app.command()
def calibrate(
    exercise: Annotated[str, typer.Argument(help="squat or sitting_posture (alias: sitting).")],
    source: SourceArg,
    user: UserOpt = "default",
    start: Annotated[Optional[float], typer.Option("--start", help="Use the input from this second.")] = None,
    end: Annotated[Optional[float], typer.Option("--end", help="...up to this second.")] = None,
    model: ModelOpt = "full",
) -> None:
    """Record your own targets: squat depth (a few good reps), sitting baseline (sit tall a few seconds)."""
    from .analysis import calibrate as run_calibration
    from .pipeline import PipelineSettings
    from .profiles import load_profile, save_profile
    from .spec import get_spec

    name = {"sitting": "sitting_posture"}.get(exercise, exercise)
    spec = get_spec(name)
    values = run_calibration(source, spec, start_s=start, end_s=end, settings=PipelineSettings(model=model))
    profile = load_profile(user)
    profile.update(name, values)
    path = save_profile(profile)
    for key, value in sorted(values.items()):
        typer.echo(f"{key} = {value:.3f}")
    typer.echo(f"saved to {path}")


@exercises_app.command("list")
def exercises_list() -> None:
    """The exercises posecheck can check."""
    from .spec import available_exercises, get_spec

    for name in available_exercises():
        spec = get_spec(name)
        typer.echo(f"{name:<16} {spec.exercise.summary}")


@exercises_app.command("show")
def exercises_show(name: Annotated[str, typer.Argument()]) -> None:
    """What an exercise checks, its thresholds and the evidence behind them."""
    from .spec import get_spec

    spec = get_spec(name)
    typer.echo(f"{spec.exercise.title}: {spec.exercise.summary}\nCamera: {spec.exercise.camera}")
    for f in spec.faults:
        ref = f" relative to {f.reference}" if f.reference else ""
        typer.echo(f"- {f.code} ({'/'.join(f.views)}): {f.fault_if} {f.enter:g}{ref}\n    {f.evidence}")


@exercises_app.command("validate")
def exercises_validate(paths: Annotated[Optional[list[Path]], typer.Argument()] = None) -> None:
    """Load and check every spec (or the given files); errors name the file and key."""
    from .spec import exercises_dir, load_spec

    for path in paths or sorted(exercises_dir().glob("*.toml")):
        spec = load_spec(path)
        typer.echo(f"{path.name}: ok ({len(spec.faults)} faults)")


@profile_app.command("show")
def profile_show(user: UserOpt = "default") -> None:
    """Print a user's calibration values."""
    from .profiles import load_profile

    typer.echo(json.dumps(load_profile(user).to_dict(), indent=2, sort_keys=True))


@profile_app.command("reset")
def profile_reset(user: UserOpt = "default",
                  exercise: Annotated[Optional[str], typer.Option("--exercise", "-e")] = None) -> None:
    """Forget a user's calibrations (all, or one exercise's)."""
    from .profiles import load_profile, save_profile

    profile = load_profile(user)
    profile.reset(exercise)
    typer.echo(f"reset; saved to {save_profile(profile)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind. Default: this machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    source: Annotated[Optional[str], typer.Option("--source", help="Also offer a server-side camera index or video file.")] = None,
    loop: Annotated[bool, typer.Option("--loop", help="Loop the server-side file.")] = False,
    db: DbOpt = None,
    model: ModelOpt = "full",
) -> None:
    """Start the live coach web app (browser camera, or --source on the server); /monitor shows posture history."""
    import uvicorn

    from .server.app import ServerSettings, create_app
    from .sources import open_source

    if source is not None:  # fail now, with the one-line error, not in the browser later
        open_source(source).close()
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: binding {host}: other machines on the network can reach this coach "
                   "and its camera stream", err=True)
    settings = ServerSettings(host=host, port=port, source=source, loop_source=loop, model=model,
                              history_db=_history_path(db))
    typer.echo(f"posecheck live coach on http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
def live(
    exercise: ExerciseOpt,
    source: Annotated[str, typer.Option("--source", help="Camera index or video file.")] = "0",
    user: UserOpt = "default",
    model: ModelOpt = "full",
) -> None:
    """Coach in an OpenCV window (no browser): skeleton, cues and counters; q or Esc quits."""
    import os

    import cv2

    from .live import LiveSession
    from .profiles import load_profile
    from .sinks.overlay import SkeletonAnnotator
    from .sources import open_source
    from .spec import get_spec

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux"):
        raise PosecheckError("no display for a window; use `posecheck serve` and a browser instead")
    spec = get_spec(exercise)
    frames = open_source(source, max_side=1280)
    session = LiveSession(spec, load_profile(user), model=model)
    annotator = SkeletonAnnotator()
    cue = "Get ready"
    try:
        for frame in frames:
            update = session.process(frame)
            for event in update.result.events:
                if event.kind in ("cue", "view", "rep", "hold"):
                    cue = event.message
                    typer.echo(f"{event.t_s:7.1f} s  {event.message}")
            picture = cv2.cvtColor(annotator.annotate(frame.image.copy(), update.pose_frame.pose,
                                                      highlight=update.highlight), cv2.COLOR_RGB2BGR)
            cv2.putText(picture, f"reps {update.result.rep_count}  {cue}", (20, 40), cv2.FONT_HERSHEY_SIMPLEX,
                        1.0, (255, 255, 255), 2, cv2.LINE_AA)
            cv2.imshow("posecheck", picture)
            if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                break
    finally:
        frames.close()
        session.close()
        cv2.destroyAllWindows()
    report = session.finish()
    typer.echo(f"{report['summary']['rep_count']} reps, {report['summary']['hold_count']} holds")


def _history_path(db: Optional[Path]) -> Path:
    from .models import user_data_dir

    return db or user_data_dir() / "history.sqlite"


DbOpt = Annotated[Optional[Path], typer.Option("--db", help="History database (default: user data folder).")]


@monitor_app.callback()
def monitor(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--source", help="Camera index, or a video file for tests and demos.")] = "0",
    interval: Annotated[float, typer.Option("--interval", help="Seconds between samples.")] = 1.0,
    alert_after: Annotated[float, typer.Option("--alert-after", help="Seconds of bad posture before an alert.")] = 45.0,
    break_after: Annotated[float, typer.Option("--break-after", help="Minutes of sitting before a movement break reminder.")] = 30.0,
    loop: Annotated[bool, typer.Option("--loop", help="Loop a video file source.")] = False,
    fast: Annotated[bool, typer.Option("--fast", help="Video file: do not wait between samples (time follows the video).")] = False,
    max_samples: Annotated[Optional[int], typer.Option("--max-samples", help="Stop after this many samples.")] = None,
    notify: Annotated[bool, typer.Option("--notify/--no-notify", help="Desktop notifications via notify-send.")] = True,
    db: DbOpt = None,
    user: UserOpt = "default",
    model: ModelOpt = "full",
) -> None:
    """Watch sitting posture in the background; Ctrl-C or SIGTERM stops it cleanly."""
    if ctx.invoked_subcommand is not None:
        return
    import signal
    import threading

    from .monitor import MonitorSettings, Notifier, check_source, run_monitor
    from .profiles import load_profile
    from .sinks.history import History

    check_source(source)
    profile = load_profile(user)
    if "sitting_posture" not in profile.calibrated_at:
        typer.echo("not calibrated: using default posture targets (run `posecheck monitor calibrate`)", err=True)
    settings = MonitorSettings(source=source, interval_s=interval, alert_after_s=alert_after,
                               break_after_s=break_after * 60, loop=loop, fast=fast, model=model,
                               max_samples=max_samples)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    path = _history_path(db)
    typer.echo(f"monitoring {source} every {interval:g} s; history in {path}; Ctrl-C to stop", err=True)
    with History(path) as history:
        taken = run_monitor(settings, profile, history, Notifier(desktop=notify), stop=stop,
                            status=lambda msg: typer.echo(msg, err=True))
    typer.echo(f"stopped after {taken} samples", err=True)


@monitor_app.command("calibrate")
def monitor_calibrate(
    source: Annotated[str, typer.Option("--source", help="Camera index or video file.")] = "0",
    seconds: Annotated[float, typer.Option("--seconds", help="How long to sit tall.")] = 5.0,
    start: Annotated[Optional[float], typer.Option("--start", help="Video file: start of the upright part (s).")] = None,
    user: UserOpt = "default",
    model: ModelOpt = "full",
) -> None:
    """Capture your upright sitting baseline: sit tall for a few seconds."""
    from .analysis import calibrate as run_calibration
    from .pipeline import PipelineSettings
    from .profiles import load_profile, save_profile
    from .spec import get_spec

    spec = get_spec("sitting_posture")
    begin = start or 0.0
    if source.isdigit():
        typer.echo(f"sit tall, shoulders back, head over your shoulders, for {seconds:g} s...", err=True)
    values = run_calibration(source, spec, start_s=begin, end_s=begin + seconds,
                             settings=PipelineSettings(model=model))
    profile = load_profile(user)
    profile.update(spec.name, values)
    path = save_profile(profile)
    for key, value in sorted(values.items()):
        typer.echo(f"{key} = {value:.3f}")
    typer.echo(f"saved to {path}")


@monitor_app.command("report")
def monitor_report(db: DbOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Today's and this week's summary: time upright vs slouched, longest sitting streak, alerts."""
    from .sinks.history import History, day_bounds, week_bounds

    path = _history_path(db)
    if not path.is_file():
        raise PosecheckError(f"{path}: no history yet; run `posecheck monitor` first")
    with History(path) as history:
        report = {"today": history.summary(*day_bounds()), "week": history.summary(*week_bounds())}
    if as_json:
        typer.echo(json.dumps(report))
        return
    for label, s in report.items():
        secs = s["seconds"]
        share = f"{s['upright_share']:.0%} upright" if s["upright_share"] is not None else "no posture judged"
        typer.echo(f"{label}: upright {secs['upright'] / 60:.1f} min, slouched {secs['slouched'] / 60:.1f} min "
                   f"({share}); away {secs['away'] / 60:.1f} min; longest sitting streak "
                   f"{s['longest_sitting_streak_s'] / 60:.0f} min; {s['posture_alerts']} posture alerts, "
                   f"{s['break_reminders']} break reminders, {s['breaks_taken']} breaks taken")


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


def _register_validate() -> None:
    from .validation.cli import validate

    app.command("validate")(validate)


_register_validate()


def main(argv: Optional[list[str]] = None) -> int:
    try:
        # Without standalone mode, click hands back a typer.Exit's code as the return value.
        returned = app(args=argv, standalone_mode=False)
        if isinstance(returned, int):
            return returned
    except PosecheckError as exc:
        typer.echo(f"posecheck: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("posecheck: interrupted", err=True)
        return 130
    except (typer.Exit, SystemExit) as exc:
        return int(getattr(exc, "exit_code", getattr(exc, "code", 0)) or 0)
    except typer.Abort:
        return 130
    except Exception as exc:
        # Usage errors (bad option values, out of range, unknown options): click's own
        # exception class, or the copy of click that newer typer releases bundle.
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
