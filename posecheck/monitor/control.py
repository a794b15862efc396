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
import stat
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import PosecheckError

MAX_REQUEST = 64 * 1024  # bytes in one request line
READ_TIMEOUT_S = 2.0  # for the whole request line, from the moment it is accepted
MAX_CONNECTIONS = 64  # handled at once; the next ones are told the monitor is busy
BACKLOG = 128  # connections waiting to be accepted


class MonitorNotRunning(PosecheckError):
    """Nothing listens on the control socket (as opposed to a monitor that is busy or slow)."""


# AF_UNIX socket paths hold at most 107 bytes on Linux.
MAX_SOCKET_PATH = 107


def socket_path(db: Path) -> Path:
    """The control socket of the monitor on `db`: one per database, whatever name reaches
    it (symlinks and '..' resolved), in the runtime folder, or the temp folder when that
    one is missing or too deep for a socket path."""
    digest = hashlib.sha256(str(Path(db).resolve()).encode()).hexdigest()[:16]
    name = f"monitor-{digest}.sock"
    base = os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(base) / "posecheck" if base and Path(base).is_dir() else None
    if folder is None or len(os.fsencode(folder / name)) > MAX_SOCKET_PATH:
        folder = Path(tempfile.gettempdir()) / f"posecheck-{os.getuid()}"
    if len(os.fsencode(folder / name)) > MAX_SOCKET_PATH:
        raise PosecheckError(f"{folder}: too deep for the monitor's control socket (at most {MAX_SOCKET_PATH} "
                             f"bytes); set TMPDIR or XDG_RUNTIME_DIR to a shorter folder")
    _private_folder(folder)
    return folder / name


def _private_folder(folder: Path) -> None:
    """The socket's folder, made 0700 if missing; in a shared temp folder anyone could have
    made it first, so it is used only if it is a real folder (not a symlink), ours, and 0700."""
    try:
        os.mkdir(folder, 0o700)
        _chmod_new_folder(folder)
    except FileExistsError:
        pass
    except OSError as exc:
        raise PosecheckError(f"{folder}: cannot make the monitor's control folder ({exc.strerror})") from None
    try:
        info = os.lstat(folder)
    except OSError as exc:
        raise PosecheckError(f"{folder}: cannot check the monitor's control folder ({exc.strerror})") from None
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        wrong = "is a symlink, not a folder (someone else may have planted it)"
    elif not stat.S_ISDIR(info.st_mode):
        wrong = "is not a folder"
    elif info.st_uid != os.getuid():
        wrong = f"is owned by uid {info.st_uid}, not by you (uid {os.getuid()})"
    elif mode != 0o700:
        wrong = f"has mode {mode:04o}, not 0700"
    else:
        return
    raise PosecheckError(f"{folder}: the monitor's control folder {wrong}; remove it, or set XDG_RUNTIME_DIR")


def _chmod_new_folder(folder: Path) -> None:
    """0700 whatever the umask, on the folder just made, through a descriptor that refuses
    to follow a symlink swapped in meanwhile."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def parse_pause(text: str | None, now: datetime | None = None) -> dict:
    """`30m`, `1h`, `90s`, `1h30m`, `until-tomorrow` (next local midnight), or nothing
    (until resumed) -> the pause request's fields."""
    if not text:
        return {}
    now = now or datetime.now()
    if text in ("until-tomorrow", "tomorrow"):
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return {"until_ts": tomorrow.timestamp()}
    match = re.fullmatch(r"(?:(\d{1,7})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?", text)
    if not match or not any(match.groups()):
        shown = text if len(text) <= 24 else f"{text[:24]}..."
        raise PosecheckError(f"'{shown}': say how long, e.g. 30m, 1h, 1h30m, or until-tomorrow")
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


class _TooLong(ValueError):
    pass


def _read_request(conn: socket.socket) -> bytes | None:
    """The first line, within READ_TIMEOUT_S and MAX_REQUEST bytes; None if the client
    left without a word. Raises TimeoutError or _TooLong."""
    deadline = time.monotonic() + READ_TIMEOUT_S
    data = b""
    while b"\n" not in data:
        if len(data) > MAX_REQUEST:
            raise _TooLong(f"request too long (over {MAX_REQUEST} bytes)")
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        conn.settimeout(left)
        chunk = conn.recv(65536)
        if not chunk:
            return data or None
        data += chunk
    line = data.split(b"\n", 1)[0]
    if len(line) > MAX_REQUEST:
        raise _TooLong(f"request too long (over {MAX_REQUEST} bytes)")
    return line


def _parse(line: bytes) -> dict:
    try:
        request = json.loads(line)
    except RecursionError:
        raise ValueError("nested too deep") from None
    if not isinstance(request, dict):
        raise ValueError('a request is one JSON object, e.g. {"cmd": "status"}')
    return request


def _reply(conn: socket.socket, reply: dict) -> None:
    """One JSON line; a client that has gone is no one's problem."""
    try:
        conn.settimeout(READ_TIMEOUT_S)
        conn.sendall((json.dumps(reply) + "\n").encode())
    except OSError:
        pass


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        state: MonitorState = self.server.monitor_state  # type: ignore[attr-defined]
        try:
            line = _read_request(self.request)
            if line is None:  # connected and left without a word
                return
            reply = answer(state, _parse(line), time.time())
        except TimeoutError:
            reply = {"ok": False, "error": f"no request within {READ_TIMEOUT_S:g} s"}
        except _TooLong as exc:
            reply = {"ok": False, "error": str(exc)}
        except OSError:  # the client left
            return
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            reply = {"ok": False, "error": f"bad request: {str(exc)[:200]}"}
        _reply(self.request, reply)


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
    raise ValueError(f"unknown cmd {str(cmd)[:40]!r}")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """A thread per connection, at most MAX_CONNECTIONS of them: the next one is answered
    at once that the monitor is busy (an idle client holds its thread READ_TIMEOUT_S at most)."""
    daemon_threads = True
    request_queue_size = BACKLOG

    def __init__(self, *args, **kwargs) -> None:
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address) -> None:
        if not self.slots.acquire(blocking=False):
            _reply(request, {"ok": False, "busy": True,
                             "error": f"busy ({MAX_CONNECTIONS} requests at once); try again"})
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: give the slot back
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        """One line in the monitor's terminal, not a traceback; a client gone is not worth one."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            print(f"monitor control socket: {type(exc).__name__}: {exc}", file=sys.stderr)


class ControlServer:
    """Serves the control socket on a daemon thread while the monitor runs."""

    def __init__(self, path: Path, state: MonitorState) -> None:
        self.path = path
        if path.exists():  # left by a monitor that died: the monitor lock says none runs now
            path.unlink()
        old = os.umask(0o177)  # the socket is the user's alone (0600)
        try:
            self.server = _Server(str(path), _Handler)
        except OSError as exc:
            raise PosecheckError(f"{path}: cannot open the monitor's control socket ({exc.strerror or exc})") from None
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
    """One request to a running monitor; a one-line error when none is running. A monitor
    busy with other clients (backlog full, or told so) is asked again until `timeout`."""
    message = (json.dumps(request) + "\n").encode()
    deadline = time.monotonic() + timeout
    while True:
        try:
            reply = _exchange(path, message, deadline)
        except (FileNotFoundError, ConnectionRefusedError):
            raise MonitorNotRunning("no monitor is running on this history database "
                                    "(start one with `posecheck monitor`)") from None
        except BlockingIOError:  # its backlog is full
            reply = {"ok": False, "busy": True, "error": "busy (too many requests waiting); try again"}
        except OSError as exc:
            raise PosecheckError(f"cannot reach the running monitor at {path} ({exc.strerror or exc})") from None
        if not (reply.get("busy") and time.monotonic() < deadline - 0.05):
            break
        time.sleep(0.02)
    if not reply.get("ok"):
        raise PosecheckError(f"the monitor refused: {reply.get('error', 'no answer')}")
    return reply


def _exchange(path: Path, message: bytes, deadline: float) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(max(deadline - time.monotonic(), 0.05))
        sock.connect(str(path))
        try:
            sock.sendall(message)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (busy) and closed before reading: the answer is there to read
        data = b""
        while not data.endswith(b"\n"):
            sock.settimeout(max(deadline - time.monotonic(), 0.05))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    try:
        reply = json.loads(data or b"{}")
    except ValueError:
        reply = None
    return reply if isinstance(reply, dict) else {"ok": False, "error": "an answer that is not JSON"}
