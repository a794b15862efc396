"""The monitor's control socket and the /monitor event stream under abuse and load: real
`posecheck serve` and `posecheck monitor` processes, the real Unix socket, raw clients."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from posecheck.monitor.control import send

from .conftest import clip_path, needs_shared, run_cli

FRONT = "corpus/reddyjaysurya__computer_vision/DATA/video_capture.mp4"  # laptop webcam, upright


def env_for(tmp_path: Path) -> dict:
    (tmp_path / "run").mkdir(exist_ok=True)
    return {**os.environ, "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles"), "XDG_DATA_HOME": str(tmp_path),
            "XDG_RUNTIME_DIR": str(tmp_path / "run")}


class Proc:
    """A real `posecheck` subprocess whose stderr is read as it comes (never blocks it)."""

    def __init__(self, *args: str, env: dict) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "posecheck", *args], env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        for pipe in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe) -> None:
        for line in pipe:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def output_since(self, mark: int) -> str:
        return "".join(self.lines[mark:])

    def stop(self, timeout: float = 30) -> float:
        """SIGTERM; the seconds it took to exit."""
        start = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return float("inf")
        return time.monotonic() - start


def wait_for(check, timeout: float = 60.0, every: float = 0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = check()
        except Exception:  # noqa: BLE001 - not up yet
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(env: dict, *args: str) -> tuple[Proc, int]:
    port = free_port()
    proc = Proc("serve", "--port", str(port), *args, env=env)
    wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=0.5).close() or True, timeout=30)
    return proc, port


def start_monitor(tmp_path: Path, env: dict, source: str = "9", *args: str) -> tuple[Proc, Path]:
    """A real monitor; the default source, a camera that is not there, keeps it retrying
    (no model running) while its control socket answers."""
    db = tmp_path / "h.sqlite"
    proc = Proc("monitor", "--source", source, "--db", str(db), "--alert", "page", *args, env=env)
    path = wait_for(lambda: next((Path(env["XDG_RUNTIME_DIR"]) / "posecheck").glob("*.sock")), timeout=60)
    wait_for(lambda: send(path, {"cmd": "status"})["ok"], timeout=60)
    return proc, path


def open_event_stream(port: int) -> socket.socket:
    """A raw HTTP client on /api/monitor/events, once the stream has begun."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(f"GET /api/monitor/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    data = b""
    while b"retry: 3000" not in data:
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data
    return sock


def exchange(path: Path, message: bytes, timeout: float = 10) -> bytes:
    """Raw bytes in, everything the monitor answers before closing out."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        try:
            sock.sendall(message)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-send: the reply is still there to read
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        return data


# 1. SIGTERM stops `serve` while /monitor pages are open


def test_sigterm_stops_serve_within_2_s_with_50_event_streams_open(tmp_path):
    env = env_for(tmp_path)
    server, port = start_serve(env)
    streams = []
    try:
        streams = [open_event_stream(port) for _ in range(50)]
        time.sleep(1.5)  # every stream past its first tick
        took = server.stop(timeout=10)
        assert took <= 2.0, f"serve took {took:.1f} s to stop with 50 event streams open:\n{server.output}"
        # uvicorn shuts down cleanly, then re-raises the signal it caught (the usual exit status)
        assert server.proc.returncode in (0, -signal.SIGTERM), server.output
        assert "Traceback" not in server.output, server.output
        ended = 0
        for sock in streams:  # each stream was ended by the server, not left hanging
            sock.settimeout(2)
            try:
                while sock.recv(65536):
                    pass
                ended += 1
            except ConnectionResetError:
                ended += 1
            except TimeoutError:
                pass
        assert ended == 50
    finally:
        for sock in streams:
            sock.close()
        server.stop()


# 5. The control-socket folder in the shared temp folder


def tmp_env(tmp_path: Path) -> dict:
    """No XDG_RUNTIME_DIR: the folder goes to the temp folder (here a private stand-in for /tmp)."""
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    return {**env, "TMPDIR": str(tmp_path / "tmp"), "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")}


def test_control_folder_is_made_private_in_the_temp_folder(tmp_path):
    proc = run_cli("monitor", "status", "--db", str(tmp_path / "h.sqlite"), env=tmp_env(tmp_path))
    assert proc.returncode == 1 and "no monitor is running" in proc.stderr
    folder = tmp_path / "tmp" / f"posecheck-{os.getuid()}"
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()


def test_control_folder_refuses_a_planted_symlink_and_leaves_its_target_alone(tmp_path):
    target = tmp_path / "someone-elses"
    target.mkdir(mode=0o755)
    target.chmod(0o755)
    (tmp_path / "tmp").mkdir()
    planted = tmp_path / "tmp" / f"posecheck-{os.getuid()}"
    planted.symlink_to(target)
    for args in (("status",), ("pause", "30m")):
        proc = run_cli("monitor", *args, "--db", str(tmp_path / "h.sqlite"), env=tmp_env(tmp_path))
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and str(planted) in lines[0] and "symlink" in lines[0], proc.stderr
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o755  # not chmodded through the link
    assert list(target.iterdir()) == []
    started = run_cli("monitor", "--source", "9", "--db", str(tmp_path / "h.sqlite"), "--alert", "page",
                      env=tmp_env(tmp_path), timeout=60)
    assert started.returncode == 1 and "symlink" in started.stderr and list(target.iterdir()) == []


def test_control_folder_refuses_a_folder_open_to_others_or_owned_by_another_user(tmp_path):
    (tmp_path / "tmp").mkdir()
    folder = tmp_path / "tmp" / f"posecheck-{os.getuid()}"
    folder.mkdir()
    folder.chmod(0o777)
    proc = run_cli("monitor", "status", "--db", str(tmp_path / "h.sqlite"), env=tmp_env(tmp_path))
    assert proc.returncode == 1 and str(folder) in proc.stderr and "0777" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o777
    folder.chmod(0o700)
    if os.getuid() != 0:
        pytest.skip("giving the folder to another user needs root")
    os.chown(folder, 65534, 65534)
    proc = run_cli("monitor", "status", "--db", str(tmp_path / "h.sqlite"), env=tmp_env(tmp_path))
    assert proc.returncode == 1 and str(folder) in proc.stderr and "owned by uid 65534" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# 9 and 10. The control socket: odd messages, early closes, many clients


@pytest.fixture(scope="module")
def monitor(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("monitor")
    proc, path = start_monitor(tmp_path, env_for(tmp_path))
    yield proc, path
    proc.stop()


ODD_MESSAGES = [b"[1,2]", b'"x"', b"null", b"true", b"3.5", b"1" * 400, b"[" * 500, b"[" * 500 + b"]" * 500,
                b"[" * 30000 + b"]" * 30000, b'{"a":' * 20000 + b"1" + b"}" * 20000, b"{}", b'{"cmd": 5}',
                b'{"cmd": ["status"]}', b'{"cmd": "pause", "for_s": 1' + b"0" * 400 + b"}",
                b'{"cmd": "pause", "until_ts": "soon"}', b'{"cmd": "pause", "for_s": NaN}', b"\xff\xfe\x00",
                b"", b"not json", b'{"cmd": "' + b"x" * 5000 + b'"}']


def test_every_odd_control_message_gets_a_one_line_json_error_and_no_traceback(monitor):
    proc, path = monitor
    mark = len(proc.lines)
    for message in ODD_MESSAGES:
        reply = exchange(path, message + b"\n")
        assert reply.endswith(b"\n") and reply.count(b"\n") == 1, (message[:40], reply)
        answer = json.loads(reply)
        assert answer["ok"] is False and answer["error"], (message[:40], answer)
        assert len(reply) < 400, reply
    huge = exchange(path, b'{"cmd": "status", "pad": "' + b"x" * 200_000 + b'"}\n')  # bounded in size
    assert json.loads(huge)["ok"] is False and "too long" in json.loads(huge)["error"]
    no_newline = exchange(path, b"[1]" * 30000)  # over the bound without a line end
    assert json.loads(no_newline)["ok"] is False
    assert send(path, {"cmd": "status"})["ok"]
    time.sleep(0.5)
    said = proc.output_since(mark)
    assert "Traceback" not in said and "Exception" not in said, said


def test_control_clients_that_close_early_are_ignored_quietly(monitor):
    proc, path = monitor
    mark = len(proc.lines)
    for _ in range(30):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:  # asks, then leaves at once
            sock.connect(str(path))
            sock.sendall(b'{"cmd": "status"}\n')
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    for _ in range(10):
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(str(path))  # connects, says nothing
    for _ in range(10):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(path))
            sock.shutdown(socket.SHUT_WR)
    time.sleep(0.5)
    assert send(path, {"cmd": "status"})["ok"]
    said = [line for line in proc.output_since(mark).splitlines() if not line.startswith("camera 9 unavailable")]
    assert said == [], said  # not a word: no traceback, no BrokenPipeError


def test_300_concurrent_status_calls_are_all_answered(monitor):
    proc, path = monitor
    go = threading.Barrier(300)
    answers: list = []

    def ask():
        go.wait()
        try:
            answers.append(send(path, {"cmd": "status"})["ok"])
        except Exception as exc:  # noqa: BLE001 - counted below
            answers.append(str(exc))

    threads = [threading.Thread(target=ask) for _ in range(300)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [a for a in answers if a is not True]
    assert not refused, f"{len(refused)} of 300 not answered, e.g. {refused[:3]}"


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError


def test_idle_control_clients_are_timed_out_and_cannot_pile_up_threads(monitor):
    proc, path = monitor
    mark = len(proc.lines)
    before = threads_of(proc.proc.pid)
    idle = []
    try:
        for _ in range(500):  # connect and say nothing
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            idle.append(sock)
            sock.connect(str(path))  # blocking: waits for room in the backlog
            sock.settimeout(15)
        time.sleep(0.5)
        assert threads_of(proc.proc.pid) - before <= 80  # bounded, not one thread per idle client
        started = time.monotonic()
        assert send(path, {"cmd": "status"}, timeout=10)["ok"]  # still answered, within the read timeout
        assert time.monotonic() - started < 6
        for sock in idle:  # each idle client is told why and let go, within a few seconds
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
            assert json.loads(data)["ok"] is False
        assert time.monotonic() - started < 10
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.5)
    assert threads_of(proc.proc.pid) - before <= 2
    said = proc.output_since(mark)
    assert "Traceback" not in said, said


@needs_shared
@pytest.mark.slow
def test_50_monitor_page_subscribers_never_hear_running_false_while_the_monitor_runs(tmp_path):
    env = env_for(tmp_path)
    monitor, path = start_monitor(tmp_path, env, str(clip_path(FRONT)), "--loop", "--interval", "0.5")
    server, port = start_serve(env, "--db", str(tmp_path / "h.sqlite"))
    events: list[dict] = []
    stop = threading.Event()

    def subscribe():
        sock = open_event_stream(port)
        sock.settimeout(1)
        buf = b""
        try:
            while not stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                buf += chunk
                while b"\n\n" in buf:
                    event, buf = buf.split(b"\n\n", 1)
                    lines = event.decode().split("\n")
                    if "event: status" in lines:
                        data = next(line for line in lines if line.startswith("data: "))
                        events.append(json.loads(data[6:]))
        finally:
            sock.close()

    try:
        threads = [threading.Thread(target=subscribe) for _ in range(50)]
        for t in threads:
            t.start()
        hammer_until = time.monotonic() + 12
        while time.monotonic() < hammer_until:  # `posecheck monitor status` run by hand meanwhile
            assert send(path, {"cmd": "status"})["ok"]
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=5)
        assert monitor.proc.poll() is None
        false = [e for e in events if not e["running"]]
        assert len(events) >= 100 and not false, f"{len(false)} of {len(events)} events said running: false"
        assert sum(e.get("latest", {}).get("state") == "upright" for e in events) >= 50
    finally:
        stop.set()
        server.stop()
        monitor.stop()
