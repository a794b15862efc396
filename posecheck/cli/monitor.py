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
    notify: Annotated[bool, typer.Option("--notify/--no-notify", help="Desktop notifications via notify-send (same as --alert desktop / --alert page).")] = True,
    alert: Annotated[Optional[list[str]], typer.Option("--alert", help="Where alerts go besides the terminal: desktop (a low-urgency notification), sound, page (only the /monitor page). Repeatable.")] = None,
    sensitivity: Annotated[str, typer.Option("--sensitivity", help="relaxed (alert after 90 s, thresholds 25% wider), normal (45 s), strict (20 s, 25% tighter).")] = "normal",
    setup: Annotated[Optional[str], typer.Option("--setup", help="Which desk setup's calibration to use (see `monitor calibrate --setup`).")] = None,
    auto_pause: Annotated[bool, typer.Option("--auto-pause/--no-auto-pause", help="Pause while the screen is locked or you are idle (logind).")] = True,
    pause_on_battery: Annotated[bool, typer.Option("--pause-on-battery", help="Also pause while the laptop runs on battery.")] = False,
    db: DbOpt = None,
    user: UserOpt = "default",
    model: ModelOpt = "full",
) -> None:
    """Watch sitting posture in the background; Ctrl-C or SIGTERM stops it cleanly.
    `posecheck monitor pause|resume|status` talk to it while it runs."""
    if ctx.invoked_subcommand is not None:
        return
    import signal
    import threading

    from ..engine.profiles import check_name, load_profile
    from ..monitor.control import ControlServer, MonitorState, socket_path
    from ..monitor.service import CHANNELS, MonitorSettings, Notifier, check_source, run_monitor
    from ..monitor.setup import SENSITIVITY
    from ..sinks.history import History

    if sensitivity not in SENSITIVITY:
        raise typer.BadParameter(f"'{sensitivity}': choose {', '.join(SENSITIVITY)}", param_hint="--sensitivity")
    channels = tuple(alert) if alert else (("desktop",) if notify else ("page",))
    for channel in channels:
        if channel not in CHANNELS:
            raise typer.BadParameter(f"'{channel}': choose {', '.join(CHANNELS)}", param_hint="--alert")
    check_source(source)
    profile = load_profile(user)
    if setup is not None:
        check_name(setup, "setup name")
        if setup not in profile.setups:
            typer.echo(f"setup '{setup}' is not calibrated yet: using the plain calibration "
                       f"(run `posecheck monitor calibrate --setup {setup}`)", err=True)
    elif "sitting_posture" not in profile.calibrated_at:
        typer.echo("not calibrated: using default posture targets (run `posecheck monitor calibrate`)", err=True)
    settings = MonitorSettings.with_sensitivity(
        sensitivity, source=source, interval_s=interval, alert_after_s=alert_after, break_after_s=break_after * 60,
        loop=loop, fast=fast, model=model, max_samples=max_samples, setup=setup, auto_pause=auto_pause,
        pause_on_battery=pause_on_battery)
    stop = threading.Event()
    state = MonitorState(setup=setup or "default")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: (stop.set(), state.wake.set()))
    path = history_path(db)
    with History(path) as history, monitor_lock(path), ControlServer(socket_path(path), state):
        typer.echo(f"monitoring {source} every {interval:g} s (setup {setup or 'default'}, {sensitivity}); "
                   f"history in {path}; Ctrl-C to stop", err=True)
        taken = run_monitor(settings, profile, history, Notifier(channels=channels), stop=stop,
                            status=lambda msg: typer.echo(msg, err=True), state=state)
    typer.echo(f"stopped after {taken} samples", err=True)


@monitor_app.command("pause")
def monitor_pause(
    duration: Annotated[Optional[str], typer.Argument(help="30m, 1h, 1h30m, until-tomorrow; nothing: until `resume`.")] = None,
    db: DbOpt = None,
) -> None:
    """Snooze the running monitor: no sampling (the camera is let go) and no alerts; the
    paused time is recorded as such."""
    from ..monitor.control import parse_pause, send, socket_path

    try:
        request = parse_pause(duration)
    except ValueError:  # a number too long to read (Python's 4300-digit limit)
        raise PosecheckError(f"'{duration[:20]}...': say how long, e.g. 30m, 1h, 1h30m, or until-tomorrow "
                             "(a pause lasts from 1 s to 7 days)") from None
    reply = send(socket_path(history_path(db)), {"cmd": "pause", **request})
    typer.echo(_pause_words(reply))


@monitor_app.command("resume")
def monitor_resume(db: DbOpt = None) -> None:
    """End a pause now."""
    from ..monitor.control import send, socket_path

    send(socket_path(history_path(db)), {"cmd": "resume"})
    typer.echo("resumed")


@monitor_app.command("status")
def monitor_status(db: DbOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What the running monitor sees now: state, pause, setup, values against the limits."""
    from ..monitor.control import send, socket_path

    reply = send(socket_path(history_path(db)), {"cmd": "status"})
    if as_json:
        typer.echo(json.dumps(reply))
        return
    latest = reply.get("latest", {})
    typer.echo(_pause_words(reply) if reply.get("paused") else
               f"{latest.get('state', 'starting')} (setup {reply['setup']})"
               + (f": {latest['stale']}" if latest.get("stale") else ""))
    for item in latest.get("preview", []):
        value = "-" if item["value"] is None else f"{item['value']:.3f}"
        typer.echo(f"  {item['title']}: {value} (alert {'above' if item['fault_if'] == 'above' else 'below'} "
                   f"{item['limit']:.3f})")


def _pause_words(reply: dict) -> str:
    from datetime import datetime

    if not reply.get("paused"):
        return "not paused"
    until = reply.get("paused_until")
    when = f"until {datetime.fromtimestamp(until):%a %H:%M}" if until else "until resumed"
    return f"paused ({reply['paused']}) {when}"


@contextmanager
def monitor_lock(db: Path):
    """One monitor per history: two would credit the same minutes twice."""
    from ..files import LockHeld, PidLock
    from ..sinks.history import history_key

    db = history_key(db)  # a symlink or `a/b/../` to the same file takes the same lock
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
    setup: Annotated[Optional[str], typer.Option("--setup", help="Name this desk setup (laptop, desk...): its own baseline, and the framing it was taken in.")] = None,
    user: UserOpt = "default",
    model: ModelOpt = "full",
) -> None:
    """Capture your upright sitting baseline: sit tall for a few seconds."""
    from ..engine.profiles import check_name, load_profile, save_profile
    from ..engine.spec import get_spec
    from ..monitor.setup import calibrate_sitting_setup
    from ..pose.pipeline import PipelineSettings

    spec = get_spec("sitting_posture")
    if setup is not None:
        check_name(setup, "setup name")
    begin = start or 0.0
    if source.isdigit():
        typer.echo(f"sit tall, shoulders back, head over your shoulders, for {seconds:g} s...", err=True)
    values, framing = calibrate_sitting_setup(source, spec, start_s=begin, end_s=begin + seconds,
                                              settings=PipelineSettings(model=model))
    profile = load_profile(user)
    if setup is None:
        profile.update(spec.name, values)
    else:
        profile.save_setup(setup, values, framing)
        typer.echo(f"setup '{setup}': framing {framing}")
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
    from ..sinks.history import daily_scores, streak

    with History(path, readonly=True) as history:
        report = {"today": history.summary(*day_bounds()), "week": history.summary(*week_bounds())}
        days = daily_scores(history, 30)
        report["daily_scores"] = days
        report["streak_days"] = streak(days)
    if as_json:
        typer.echo(json.dumps(report))
        return
    for label in ("today", "week"):
        s = report[label]
        secs = s["seconds"]
        share = f"{s['upright_share']:.0%} upright" if s["upright_share"] is not None else "no posture judged"
        typer.echo(f"{label}: upright {secs['upright'] / 60:.1f} min, slouched {secs['slouched'] / 60:.1f} min "
                   f"({share}); away {secs['away'] / 60:.1f} min; longest sitting streak "
                   f"{s['longest_sitting_streak_s'] / 60:.0f} min; {s['posture_alerts']} posture alerts, "
                   f"{s['break_reminders']} break reminders, {s['breaks_taken']} breaks taken"
                   + (f"; paused {secs['paused'] / 60:.1f} min" if secs.get("paused") else "")
                   + (f"; calibration stale {secs['stale'] / 60:.1f} min" if secs.get("stale") else ""))
    today = report["today"]["score"]
    typer.echo(f"posture score today: {today if today is not None else '- (under 10 min judged)'}; "
               f"streak: {report['streak_days']} day(s) in a row at 75 or more")

