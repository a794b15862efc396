"""The live coach: `serve` (browser) and `live` (an OpenCV window)."""

from __future__ import annotations

import errno
import socket
import sys
from typing import Annotated, Optional

import typer

from ..errors import PosecheckError
from .common import (
    DbOpt,
    ExerciseOpt,
    ModelOpt,
    UserOpt,
    app,
    history_path,
)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind before anything starts, so a port in use or a bad address is one line (and
    port 0 picks a free port that can be printed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PosecheckError(f"--host {host}: not an address of this machine ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PosecheckError(f"port {port} is already in use on {host} (another posecheck serve?); "
                                 "pick another with --port") from None
        raise PosecheckError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return sock


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind. Default: this machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8000,
    source: Annotated[Optional[str], typer.Option("--source", help="Also offer a server-side camera index or video file.")] = None,
    loop: Annotated[bool, typer.Option("--loop", help="Loop the server-side file.")] = False,
    allow_host: Annotated[Optional[list[str]], typer.Option(
        "--allow-host", help="Also answer requests for this host name (repeatable; '*' turns the Host check "
                             "off). Loopback names and --host are always allowed.")] = None,
    max_sessions: Annotated[int, typer.Option("--max-sessions", min=1, max=32,
                                              help="Live sessions sending camera frames (each runs a model "
                                                   "here) at once.")] = 4,
    pose: Annotated[str, typer.Option(
        "--pose", metavar="auto|browser|server",
        help="Where the pose model runs. auto: in each browser that keeps up with its camera (it measures "
             "itself), else here; browser or server: always there.")] = "auto",
    max_landmark_sessions: Annotated[int, typer.Option(
        "--max-landmark-sessions", min=1, max=512,
        help="Live sessions whose pose runs in the browser (no model here, only the checker) at once.")] = 20,
    db: DbOpt = None,
    model: ModelOpt = "full",
) -> None:
    """Start the live coach web app (browser camera, or --source on the server); /monitor shows posture history."""
    import uvicorn

    from ..pose.sources import open_source
    from ..server.app import create_app
    from ..server.memory import limit_arenas
    from ..server.settings import ServerSettings

    limit_arenas(2 + max_sessions)  # before any worker thread exists; see server/memory.py
    if pose not in ("auto", "browser", "server"):
        raise typer.BadParameter(f"'{pose}' is not one of auto, browser, server", param_hint="--pose")
    if pose == "browser" and source is not None:
        raise PosecheckError("--source runs pose on the server; it cannot go with --pose browser")
    if source is not None:  # fail now, with the one-line error, not in the browser later
        open_source(source).close()
    sock = listening_socket(host, port)
    port = sock.getsockname()[1]
    if host not in LOOPBACK:
        typer.echo(f"warning: binding {host}: other machines on the network can reach this coach "
                   "and its camera stream", err=True)
    settings = ServerSettings(host=host, port=port, source=source, loop_source=loop, model=model,
                              extra_hosts=tuple(allow_host or ()), max_sessions=max_sessions,
                              history_db=history_path(db), pose=pose,
                              max_landmark_sessions=max_landmark_sessions)
    coach = create_app(settings)
    if pose == "browser" and not coach.state.browser_pose.available:  # no page could run it: say so now
        raise PosecheckError(f"--pose browser: {coach.state.browser_pose.problem}")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    typer.echo(f"posecheck live coach on http://{shown}:{port}/ (Ctrl-C to stop)")
    # A client that stops reading cannot hold shutdown up for ever: open responses get 3 s.
    server = uvicorn.Server(uvicorn.Config(coach, log_level="warning", timeout_graceful_shutdown=3))
    server.run(sockets=[sock])


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

    from ..engine.profiles import load_profile
    from ..engine.spec import get_spec
    from ..pose.sources import open_source
    from ..sinks.overlay import SkeletonAnnotator
    from ..training.live import LiveSession

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

