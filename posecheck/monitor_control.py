"""The running monitor's local control channel: a Unix socket, private to the user, that
takes one JSON line per request and answers one JSON line.

    {"cmd": "pause", "for_s": 1800}       snooze for 30 min (no sampling, paused time recorded)
    {"cmd": "pause", "until_ts": 1.8e9}    until a moment (e.g. tomorrow 00:00)
    {"cmd": "pause"}                       until resumed
    {"cmd": "resume"}
    {"cmd": "status"}                      state, pause, setup, and the live preview (values
                                           against the limits; never a frame)

`posecheck monitor pause|resume|status` and the web page (`/api/monitor/pause`) talk to it.
The socket lives in $XDG_RUNTIME_DIR/posecheck (or /tmp/posecheck-<uid>), folder 0700, named
after the history database, so each database has one control channel, as it has one
monitor."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import socket
import socketserver
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .errors import PosecheckError

MAX_REQUEST = 4096


def socket_path(db: Path) -> Path:
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "posecheck" if base and Path(base).is_dir() else \
        Path(tempfile.gettempdir()) / f"posecheck-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    digest = hashlib.sha256(str(Path(db).absolute()).encode()).hexdigest()[:16]
    return folder / f"monitor-{digest}.sock"


def parse_pause(text: str | None, now: datetime | None = None) -> dict:
    """`30m`, `1h`, `90s`, `1h30m`, `until-tomorrow` (next local midnight), or nothing
    (until resumed) -> the pause request's fields."""
    if not text:
        return {}
    now = now or datetime.now()
    if text in ("until-tomorrow", "tomorrow"):
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return {"until_ts": tomorrow.timestamp()}
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not match or not any(match.groups()):
        raise PosecheckError(f"'{text}': say how long, e.g. 30m, 1h, 1h30m, or until-tomorrow")
    h, m, s = (int(g or 0) for g in match.groups())
    seconds = h * 3600 + m * 60 + s
    if not 0 < seconds <= 7 * 86400:
        raise PosecheckError(f"'{text}': a pause lasts from 1 s to 7 days")
    return {"for_s": seconds}


@dataclass
class MonitorState:
    """What the monitor loop and the control channel share (under `lock`)."""
    setup: str = "default"
    paused_until: float | None = None  # math.inf: until resumed
    pause_reason: str | None = None  # snooze | locked | idle | battery
    latest: dict = field(default_factory=dict)  # the last sample: state, faults, values, limits
    wake: threading.Event = field(default_factory=threading.Event)  # a resume ends the wait at once
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pause(self, until: float, reason: str) -> None:
        with self.lock:
            self.paused_until, self.pause_reason = until, reason
        self.wake.set()

    def resume(self, reason: str | None = None) -> bool:
        """Ends the pause; an automatic resume (`reason`) ends only a pause of that kind."""
        with self.lock:
            if self.paused_until is None or (reason is not None and self.pause_reason != reason):
                return False
            self.paused_until, self.pause_reason = None, None
        self.wake.set()
        return True

    def paused(self, now: float) -> str | None:
        with self.lock:
            if self.paused_until is not None and now >= self.paused_until:
                self.paused_until, self.pause_reason = None, None  # a snooze runs out by itself
            return self.pause_reason

    def snapshot(self) -> dict:
        with self.lock:
            until = self.paused_until
            return {"setup": self.setup, "paused": self.pause_reason,
                    "paused_until": None if until is None or math.isinf(until) else until,
                    "latest": dict(self.latest)}


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        state: MonitorState = self.server.monitor_state  # type: ignore[attr-defined]
        line = self.rfile.readline(MAX_REQUEST)
        try:
            request = json.loads(line)
            reply = answer(state, request, time.time())
        except (ValueError, TypeError, KeyError) as exc:
            reply = {"ok": False, "error": f"bad request: {exc}"}
        self.wfile.write((json.dumps(reply) + "\n").encode())


def answer(state: MonitorState, request: dict, now: float) -> dict:
    cmd = request.get("cmd")
    if cmd == "pause":
        if "for_s" in request:
            seconds = float(request["for_s"])
            if not 0 < seconds <= 7 * 86400:
                raise ValueError("for_s must be 1 s to 7 days")
            until = now + seconds
        elif "until_ts" in request:
            until = float(request["until_ts"])
            if not now < until <= now + 7 * 86400:
                raise ValueError("until_ts must be within the next 7 days")
        else:
            until = math.inf
        state.pause(until, "snooze")
        return {"ok": True, **state.snapshot()}
    if cmd == "resume":
        state.resume()
        return {"ok": True, **state.snapshot()}
    if cmd == "status":
        state.paused(now)
        return {"ok": True, **state.snapshot()}
    raise ValueError(f"unknown cmd {cmd!r}")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class ControlServer:
    """Serves the control socket on a daemon thread while the monitor runs."""

    def __init__(self, path: Path, state: MonitorState) -> None:
        self.path = path
        if path.exists():  # left by a monitor that died: the monitor lock says none runs now
            path.unlink()
        old = os.umask(0o177)  # the socket is the user's alone (0600)
        try:
            self.server = _Server(str(path), _Handler)
        finally:
            os.umask(old)
        self.server.monitor_state = state  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="monitor-control", daemon=True)

    def __enter__(self) -> ControlServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.path.unlink(missing_ok=True)


def send(path: Path, request: dict, timeout: float = 3.0) -> dict:
    """One request to a running monitor; a one-line error when none is running."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall((json.dumps(request) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except (FileNotFoundError, ConnectionRefusedError):
        raise PosecheckError("no monitor is running on this history database (start one with `posecheck monitor`)") from None
    except OSError as exc:
        raise PosecheckError(f"cannot reach the running monitor ({exc.strerror or exc})") from None
    reply = json.loads(data or b"{}")
    if not reply.get("ok"):
        raise PosecheckError(f"the monitor refused: {reply.get('error', 'no answer')}")
    return reply
