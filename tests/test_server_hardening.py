"""The live coach against a hostile but fair client, through a real `posecheck serve`
process: forged Host and Origin headers, path-like exercise names, absurd pace values,
decompression bombs, floods of frames, and many concurrent sessions with the server's
memory read from /proc."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from .conftest import clip_path, needs_shared

pytestmark = [needs_shared, pytest.mark.slow]
CLIP = "squat_side_forward_lean.mp4"


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, data: Path) -> None:
        self.proc, self.port, self.data = proc, port, data
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"

    def status(self, key: str) -> int:
        text = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(rf"^{key}:\s+(\d+)", text, re.M).group(1))

    def rss_mb(self) -> float:
        return self.status("VmRSS") / 1024

    def threads(self) -> int:
        return self.status("Threads")


def start_server(tmp_path: Path, *args: str) -> Server:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")}
    proc = subprocess.Popen([sys.executable, "-m", "posecheck", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    match = re.search(r":(\d+)/", line)
    assert match, f"no address printed: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    server = Server(proc, int(match.group(1)), tmp_path)
    for _ in range(100):
        try:
            httpx.get(server.http + "/api/config", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not answer")


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    s = start_server(tmp, "--source", str(clip_path(CLIP)))
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def frames() -> list[bytes]:
    """Packets (timestamp + JPEG) of a real clip, 640 px, as the page sends them."""
    from posecheck.pose.sources import open_source

    out = []
    for frame in open_source(clip_path(CLIP), max_side=640):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        out.append(struct.pack("<d", frame.timestamp_ms) + buf.tobytes())
        if len(out) >= 40:
            break
    return out


def handshake_status(port: int, path: str, host: str, origin: str | None = None) -> int:
    """The HTTP status a raw WebSocket upgrade request gets (101 when accepted)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"] + ([f"Origin: {origin}"] if origin else [])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return int(sock.recv(200).split(b" ", 2)[1])


def start_session(ws, exercise: str = "squat") -> dict:
    ws.send(json.dumps({"type": "start", "exercise": exercise}))
    return json.loads(ws.recv(timeout=60))


# --- 1. exercise names are never paths --------------------------------------------------------

def test_an_exercise_name_that_is_a_path_opens_no_file(server):
    import tempfile

    folder = Path(tempfile.mkdtemp(dir="/tmp", prefix="pcevil"))  # short: the name fits the 64-char limit
    evil = folder / "evil.toml"
    evil.write_bytes(b"\xff\xfe not utf-8 \x80")
    name = "../" * 8 + str(evil.with_suffix("")).lstrip("/")
    with connect(server.ws + "/ws/live") as ws:
        reply = start_session(ws, name)
        assert reply["type"] == "error" and reply["code"] == "bad_start"
        assert reply["message"].startswith("unknown exercise") and "evil" not in reply["message"].split(";")[1]
        assert start_session(ws)["type"] == "ready"  # the connection carries on
    missing = start_session_on_new_connection(server, "../" * 8 + "tmp/no_such_file")
    assert missing["message"].split("'")[0] == reply["message"].split("'")[0]  # same answer: nothing leaks


def start_session_on_new_connection(server, exercise: str) -> dict:
    with connect(server.ws + "/ws/live") as ws:
        return start_session(ws, exercise)


# --- 2. pace is bounded and every session can be cancelled -------------------------------------

@pytest.mark.parametrize("pace", ["0.000001", "1e-300", "-1", "inf", "nan", "11"])
def test_pace_out_of_range_is_refused_with_a_reason(server, pace):
    with connect(f"{server.ws}/ws/source?pace={pace}") as ws:
        reply = json.loads(ws.recv(timeout=10))
        assert reply["type"] == "error" and reply["code"] == "bad_request" and "pace must be" in reply["message"]


def test_slow_paced_sessions_that_go_away_leave_no_threads_behind(server):
    def open_and_leave() -> None:
        with connect(f"{server.ws}/ws/source?pace=0.1") as ws:
            assert start_session(ws)["type"] == "ready"
            ws.recv(timeout=30)  # the first picture: the session runs, now asleep until the next frame

    def settled_threads() -> int:
        """The thread count once ended sessions have wound down (each stops within a frame)."""
        counts = []
        for _ in range(80):
            counts.append(server.threads())
            if len(counts) >= 8 and len(set(counts[-8:])) == 1:
                break
            time.sleep(0.25)
        return counts[-1]

    for _ in range(8):  # more than the default thread pool (min(32, cpus + 4) = 6 here)
        open_and_leave()
    after_8 = settled_threads()
    for _ in range(8):
        open_and_leave()
    after_16 = settled_threads()
    # A leak is a thread per session (8 more here). What may differ: the pool lending one
    # more model (2 MediaPipe threads) when a session starts before the last one is done.
    assert after_16 <= after_8 + 3, (after_8, after_16)
    with connect(f"{server.ws}/ws/source?pace=0&every=5") as ws:  # a normal session still gets frames
        assert start_session(ws)["type"] == "ready"
        kinds = [json.loads(m)["type"] for m in (ws.recv(timeout=30) for _ in range(20)) if isinstance(m, str)]
        assert "frame" in kinds


def test_stop_ends_a_server_source_session_with_its_summary(server):
    with connect(f"{server.ws}/ws/source?pace=1") as ws:
        assert start_session(ws)["type"] == "ready"
        for _ in range(6):
            ws.recv(timeout=30)
        ws.send(json.dumps({"type": "stop"}))
        messages = []
        while True:
            m = ws.recv(timeout=30)
            if isinstance(m, str):
                messages.append(json.loads(m))
                if messages[-1]["type"] == "summary":
                    break
        assert messages[-1]["report"]["exercise"] == "squat"


# --- 3. bounded sessions, shared models, memory given back -------------------------------------

def run_session(server: Server, packets: list[bytes]) -> str:
    with connect(server.ws + "/ws/live", max_size=None) as ws:
        ready = start_session(ws)
        if ready["type"] == "error":
            return ready["code"]
        for p in packets:
            ws.send(p)
            assert json.loads(ws.recv(timeout=60))["type"] == "frame"
        ws.send(json.dumps({"type": "stop"}))
        assert json.loads(ws.recv(timeout=60))["type"] == "summary"
        return "done"


def test_twenty_concurrent_sessions_five_times_keep_memory_flat_and_the_rest_are_told_busy(tmp_path, frames):
    server = start_server(tmp_path, "--max-sessions", "4")
    try:
        idle = []
        outcomes: list[str] = []
        for _ in range(5):
            with ThreadPoolExecutor(max_workers=20) as pool:
                outcomes += list(pool.map(lambda _: run_session(server, frames[:10]), range(20)))
            time.sleep(1.5)
            idle.append(server.rss_mb())
            models = sum("mediapipe" in p.read_text() for p in Path(f"/proc/{server.proc.pid}/task").glob("*/comm")) // 2
            print(f"round: {outcomes[-20:].count('done')} done, {outcomes[-20:].count('busy')} busy, "
                  f"{models} models pooled, {server.threads()} threads, {idle[-1]:.0f} MB")
        print("idle RSS after each round (MB):", [round(m) for m in idle])
        assert set(outcomes) <= {"done", "busy"} and outcomes.count("done") >= 20
        assert max(idle[1:]) <= idle[0] * 1.10, idle
        assert start_session_on_new_connection(server, "squat")["type"] == "ready"  # every slot came back
    finally:
        stop_server(server)


# --- 4. decompression bombs --------------------------------------------------------------------

def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose header claims `width` x `height` pixels."""
    ok, buf = cv2.imencode(".jpg", np.full((64, 64, 3), 128, np.uint8))
    data = bytearray(buf.tobytes())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


@pytest.mark.parametrize("width,height", [(16000, 16000), (4000, 3000)])
def test_a_frame_over_the_pixel_limit_is_refused_before_decoding(server, width, height):
    bomb = struct.pack("<d", 0.0) + jpeg_claiming(width, height)
    assert len(bomb) < 2_000_000
    rss_before = server.rss_mb()
    with connect(server.ws + "/ws/live") as ws:
        assert start_session(ws)["type"] == "ready"
        for _ in range(4):
            ws.send(bomb)
            reply = json.loads(ws.recv(timeout=30))
            assert reply["code"] == "bad_frame" and "pixel limit" in reply["message"]
    assert server.rss_mb() < rss_before + 150  # one decoded bomb alone would be 768 MB


# --- 6. Host and Origin ------------------------------------------------------------------------

def test_a_forged_host_header_is_refused(server):
    for path in ("/api/profiles/default", "/api/sessions", "/api/monitor/day", "/"):
        forged = httpx.get(server.http + path, headers={"Host": f"evil.example:{server.port}"})
        assert forged.status_code == 400, path
        assert httpx.get(server.http + path).status_code == 200, path
    assert handshake_status(server.port, "/ws/live", f"evil.example:{server.port}") == 400
    assert handshake_status(server.port, "/ws/live", f"127.0.0.1:{server.port}") == 101


def test_a_page_from_another_origin_gets_403_at_the_handshake_and_cannot_change_anything(server):
    assert handshake_status(server.port, "/ws/live", f"127.0.0.1:{server.port}", "http://evil.example") == 403
    assert handshake_status(server.port, "/ws/live", f"127.0.0.1:{server.port}",
                            f"http://127.0.0.1:{server.port}") == 101
    keep = httpx.post(server.http + "/api/sessions/abc/keep", headers={"Origin": "http://evil.example"})
    assert keep.status_code == 403


def test_allow_host_opts_a_name_in(tmp_path):
    server = start_server(tmp_path, "--allow-host", "coach.lan")
    try:
        assert httpx.get(server.http + "/api/config", headers={"Host": "coach.lan"}).status_code == 200
        assert httpx.get(server.http + "/api/config", headers={"Host": "evil.example"}).status_code == 400
    finally:
        stop_server(server)


# --- 11 and minor: range errors, profile names, docs, stale frames -------------------------------

def test_a_date_out_of_range_is_a_4xx(server):
    for date in ("9999-12-31", "0001-01-01", "2026-13-01", "tomorrow"):
        assert httpx.get(server.http + "/api/monitor/day", params={"date": date}).status_code == 400, date


def test_profile_names_are_a_safe_set_and_deleting_an_unknown_one_creates_nothing(server):
    assert httpx.delete(server.http + "/api/profiles/ghost").status_code == 404
    assert not (server.data / "profiles" / "ghost.json").exists()
    for name in (".hidden", "a%0Ab", "x" * 65, "%2E%2E"):
        assert httpx.get(f"{server.http}/api/profiles/{name}").status_code in (400, 404), name
    assert not list((server.data / "profiles").glob("*")) if (server.data / "profiles").exists() else True


def test_docs_are_served_from_this_machine(server):
    page = httpx.get(server.http + "/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert httpx.get(server.http + "/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_a_client_flooding_frames_gets_drops_not_growing_latency(server, frames):
    with connect(server.ws + "/ws/live", max_size=None) as ws:
        assert start_session(ws)["type"] == "ready"
        sent_at = time.monotonic()
        for p in frames:  # all at once, as fast as the socket takes them
            ws.send(p)
        replies = [json.loads(ws.recv(timeout=60)) for _ in frames]
        waited = time.monotonic() - sent_at
    kinds = [r["type"] for r in replies]
    assert set(kinds) == {"frame", "dropped"} and len(replies) == len(frames)
    processed = kinds.count("frame")
    assert replies[-1]["type"] == "frame" and replies[-1]["seq"] == len(frames) - 1  # the newest is always done
    assert max(r["dropped"] for r in replies) == kinds.count("dropped")
    assert processed < len(frames)
    print(f"{len(frames)} frames sent at once: {processed} processed, {kinds.count('dropped')} dropped, {waited:.2f} s")


def test_sigterm_stops_the_server_even_with_sessions_open(tmp_path):
    server = start_server(tmp_path, "--source", str(clip_path(CLIP)))
    from contextlib import ExitStack

    try:
        with ExitStack() as stack:
            for _ in range(3):
                ws = stack.enter_context(connect(f"{server.ws}/ws/source?pace=0.1"))
                assert start_session(ws)["type"] == "ready"
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(timeout=15)
    finally:
        stop_server(server)


def test_a_pooled_model_lent_to_the_next_session_sees_its_person_like_a_fresh_one():
    from posecheck.pose.estimator import create_estimator
    from posecheck.pose.estimator_pool import EstimatorPool
    from posecheck.pose.sources import open_source

    squat = [f for _, f in zip(range(5), open_source(clip_path("squat_side_good.mp4"), max_side=640))]
    bridge = next(iter(open_source(clip_path("bridge_side.mp4"), max_side=640)))
    fresh = create_estimator().estimate(bridge)
    pool = EstimatorPool(1, create_estimator)
    first = pool.acquire()
    for frame in squat:  # someone else, elsewhere in the picture
        first.estimate(frame)
    pool.release(first)
    second = pool.acquire()
    assert second is first  # the same model, not a new one
    assert np.array_equal(second.estimate(bridge).xyz_norm, fresh.xyz_norm)
    with pytest.raises(Exception, match="live sessions are running"):
        pool.acquire()
    pool.release(second)
    pool.close()
