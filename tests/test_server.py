"""The live coach's API and WebSocket protocol, through FastAPI's test client, with the
real model on real frames."""

from __future__ import annotations

import json
import struct

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from posecheck.engine.analysis import analyze
from posecheck.engine.profiles import Profile
from posecheck.engine.spec import get_spec
from posecheck.pose.sources import open_source
from posecheck.server.app import ServerSettings, create_app

from .conftest import clip_path, needs_shared


LOCAL = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000"  # the test client sends Host: testserver unless told


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path / "profiles"))
    return tmp_path


@pytest.fixture
def client(data_dir):
    with TestClient(create_app(ServerSettings(data_dir=data_dir)), base_url=LOCAL) as c:
        yield c


def jpeg_frames(name: str, *, every: int = 1, limit: int | None = None, max_side: int = 640):
    """(t_ms, jpeg bytes) of a real clip, as a browser would send them."""
    out = []
    for frame in open_source(clip_path(name), max_side=max_side):
        if frame.index % every:
            continue
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        out.append((frame.timestamp_ms, buf.tobytes()))
        if limit and len(out) >= limit:
            break
    return out


def packet(t_ms: float, jpeg: bytes) -> bytes:
    return struct.pack("<d", t_ms) + jpeg


def test_exercises_are_listed_with_their_camera_placement(client):
    names = {e["name"]: e for e in client.get("/api/exercises").json()}
    assert set(names) == {"squat", "glute_bridge", "bird_dog", "sitting_posture"}
    assert "Side-on" in names["squat"]["camera"] and names["squat"]["calibratable"]
    detail = client.get("/api/exercises/glute_bridge").json()
    assert {f["code"] for f in detail["faults"]} == {"incomplete_hip_extension", "over_arching"}
    assert detail["hold_target_s"] == [3.0, 5.0]
    assert client.get("/api/exercises/plank").status_code == 404


def test_profile_read_and_reset(client, data_dir):
    from posecheck.engine.profiles import save_profile

    p = Profile(user="kim")
    p.update("squat", {"squat.depth_deg": 90.0})
    save_profile(p)
    assert client.get("/api/profiles/kim").json()["values"] == {"squat.depth_deg": 90.0}
    assert client.delete("/api/profiles/kim", params={"exercise": "squat"}).json()["values"] == {}
    assert client.get("/api/profiles/..%2Fetc").status_code in (400, 404)


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    assert "/api/exercises" in client.get("/openapi.json").json()["paths"]


def test_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="reps"' in page.text
    assert client.get("/static/app.js").status_code == 200


def test_websocket_from_a_foreign_origin_is_refused(client):
    with pytest.raises(WebSocketDisconnect) as err:
        with client.websocket_connect(WS + "/ws/live", headers={"origin": "http://evil.example"}) as ws:
            ws.receive_text()
    assert err.value.code == 1008  # before accept: on the wire an HTTP 403 (test_server_hardening.py)


def test_bad_messages_get_errors_and_the_session_goes_on(client):
    frames = jpeg_frames("squat_side_forward_lean.mp4", limit=3)
    with client.websocket_connect(WS + "/ws/live", headers={"origin": "http://127.0.0.1:8000"}) as ws:
        ws.send_bytes(packet(*frames[0]))
        assert ws.receive_json()["code"] == "not_started"
        ws.send_text('{"type": "start", "exercise": "plank"}')
        assert ws.receive_json()["code"] == "bad_start"
        ws.send_text('{"type": "start", "exercise": "squat"}')
        assert ws.receive_json()["type"] == "ready"
        ws.send_bytes(packet(*frames[0]))
        assert ws.receive_json()["type"] == "frame"
        ws.send_bytes(packet(33.0, b"definitely not a jpeg"))
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_bytes(b"\x00" * 3_000_000)
        assert ws.receive_json()["code"] == "frame_too_large"
        ws.send_text("{nonsense")
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_bytes(packet(*frames[1]))
        msg = ws.receive_json()
        assert msg["type"] == "frame" and msg["seq"] == 1 and msg["landmarks"] is not None


@needs_shared
@pytest.mark.slow
def test_browser_camera_protocol_counts_reps_and_cues_on_a_real_clip(client):
    with client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_text('{"type": "start", "exercise": "squat"}')
        ready = ws.receive_json()
        events, last = [], None
        for t_ms, jpeg in jpeg_frames("squat_side_forward_lean.mp4", every=2):
            ws.send_bytes(packet(t_ms, jpeg))
            last = ws.receive_json()
            events += last["events"]
        ws.send_text('{"type": "stop"}')
        summary = ws.receive_json()
    assert last["rep_count"] == 2 and len(last["landmarks"]) == 33
    assert "excessive_forward_lean" in {e["code"] for e in events if e["kind"] == "cue"}
    assert summary["type"] == "summary" and summary["report"]["summary"]["rep_count"] == 2
    listed = client.get("/api/sessions").json()
    assert [s["id"] for s in listed] == [ready["session_id"]] and not listed[0]["kept"]
    kept = client.post(f"/api/sessions/{ready['session_id']}/keep").json()
    assert kept["kept"]


@needs_shared
@pytest.mark.slow
def test_calibrating_live_saves_the_profile(client, data_dir):
    with client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_text('{"type": "start", "exercise": "squat", "user": "lee", "mode": "calibrate"}')
        ws.receive_json()
        for t_ms, jpeg in jpeg_frames("squat_side_good.mp4", every=2):
            ws.send_bytes(packet(t_ms, jpeg))
            ws.receive_json()
        ws.send_text('{"type": "stop"}')
        summary = ws.receive_json()
    assert summary["calibration_saved"]
    depth = client.get("/api/profiles/lee").json()["values"]["squat.depth_deg"]
    assert 80 < depth < 120


@needs_shared
@pytest.mark.slow
def test_server_source_gives_the_same_reps_as_analyze(data_dir):
    clip = clip_path("squat_side_barbell.mp4")
    expected, _ = analyze(clip, get_spec("squat"), profile=Profile())
    settings = ServerSettings(data_dir=data_dir, source=str(clip))
    with TestClient(create_app(settings), base_url=LOCAL) as client, client.websocket_connect(WS + "/ws/source?pace=0&every=10") as ws:
        ws.send_text('{"type": "start", "exercise": "squat"}')
        assert ws.receive_json()["type"] == "ready"
        pictures = 0
        while True:
            message = ws.receive()
            if message.get("bytes") is not None:
                pictures += 1
                picture = cv2.imdecode(np.frombuffer(message["bytes"], np.uint8), cv2.IMREAD_COLOR)
                assert picture.shape[:2] == (1080, 608)  # upright portrait, as recorded
                continue
            msg = json.loads(message["text"])
            if msg["type"] == "summary":
                break
    assert pictures > 50
    assert msg["report"]["summary"]["rep_count"] == expected["summary"]["rep_count"] == 2
    assert [r["bottom_s"] for r in msg["report"]["reps"]] == [r["bottom_s"] for r in expected["reps"]]


def test_server_without_source_says_so(client):
    with client.websocket_connect(WS + "/ws/source") as ws:
        assert ws.receive_json()["code"] == "no_source"


def test_serve_with_a_missing_source_fails_with_one_line():
    from .conftest import run_cli

    proc = run_cli("serve", "--source", "no_such_clip.mp4")
    assert proc.returncode == 2 and proc.stderr.strip() == "posecheck: error: no_such_clip.mp4: no such file or folder"


def test_serve_on_all_interfaces_warns(tmp_path):
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-m", "posecheck", "serve", "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "warning: binding 0.0.0.0" in err


def test_live_window_without_a_display_points_to_the_browser(monkeypatch):
    from .conftest import run_cli

    proc = run_cli("live", "-e", "squat", "--source", "0", env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert proc.returncode == 1 and "use `posecheck serve`" in proc.stderr
