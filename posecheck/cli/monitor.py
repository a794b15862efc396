"""The desk posture monitor: run, calibrate, report."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import PosecheckError
from .common import (
    DbOpt,
    ModelOpt,
    UserOpt,
    history_path,
    monitor_app,
)


@monitor_app.callback()
def monitor(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--source", help="Camera index, or a video file for tests and demos.")] = "0",
    interval: Annotated[float, typer.Option("--interval", min=0.1, max=3600.0, help="Seconds between samples.")] = 1.0,
    alert_after: Annotated[float, typer.Option("--alert-after", min=0.0, max=86400.0, help="Seconds of bad posture before an alert.")] = 45.0,
    break_after: Annotated[float, typer.Option("--break-after", min=1.0, max=1440.0, help="Minutes of sitting before a movement break reminder.")] = 30.0,
    loop: Annotated[bool, typer.Option("--loop", help="Loop a video file source.")] = False,
    fast: Annotated[bool, typer.Option("--fast", help="Video file: do not wait between samples (time follows the video).")] = False,
    max_samples: Annotated[Optional[int], typer.Option("--max-samples", min=1, help="Stop after this many samples.")] = None,
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

    from ..monitor import MonitorSettings, Notifier, check_source, run_monitor
    from ..profiles import load_profile
    from ..sinks.history import History

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
    path = history_path(db)
    with History(path) as history, monitor_lock(path):
        typer.echo(f"monitoring {source} every {interval:g} s; history in {path}; Ctrl-C to stop", err=True)
        taken = run_monitor(settings, profile, history, Notifier(desktop=notify), stop=stop,
                            status=lambda msg: typer.echo(msg, err=True))
    typer.echo(f"stopped after {taken} samples", err=True)


@contextmanager
def monitor_lock(db: Path):
    """One monitor per history: two would credit the same minutes twice."""
    from ..files import LockHeld, PidLock

    lock = PidLock(db.with_name(db.name + ".monitor.lock"))
    try:
        lock.acquire()
    except OSError as exc:
        raise PosecheckError(f"{lock.path}: cannot take the monitor lock ({exc.strerror})") from None
    except LockHeld as held:
        raise PosecheckError(f"another monitor ({held}) is already recording to {db}; stop it first, "
                             "or give this one its own --db") from None
    try:
        yield
    finally:
        lock.release()


@monitor_app.command("calibrate")
def monitor_calibrate(
    source: Annotated[str, typer.Option("--source", help="Camera index or video file.")] = "0",
    seconds: Annotated[float, typer.Option("--seconds", min=1.0, max=600.0, help="How long to sit tall.")] = 5.0,
    start: Annotated[Optional[float], typer.Option("--start", min=0.0, help="Video file: start of the upright part (s).")] = None,
    user: UserOpt = "default",
    model: ModelOpt = "full",
) -> None:
    """Capture your upright sitting baseline: sit tall for a few seconds."""
    from ..analysis import calibrate as run_calibration
    from ..pipeline import PipelineSettings
    from ..profiles import load_profile, save_profile
    from ..spec import get_spec

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
    from ..sinks.history import History, day_bounds, week_bounds

    path = history_path(db)
    if not path.exists():
        raise PosecheckError(f"{path}: no history yet; run `posecheck monitor` first")
    with History(path, readonly=True) as history:
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

