"""Protocol 2: the page runs the pose model and sends landmarks. Through FastAPI's test
client on the real app: a landmark session is the same pipeline as a recording replayed
by `posecheck analyze`, bad messages are refused one at a time, and landmark sessions hold
no model and have their own cap."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient

from posecheck.engine.verdicts import told
from posecheck.pose.recording import Recording
from posecheck.server.app import ServerSettings, create_app

from .conftest import needs_shared, recording_for, run_cli
from .test_server import LOCAL, WS, jpeg_frames, packet

START = {"type": "start", "exercise": "squat", "protocol": 2, "pose": "browser"}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path / "profiles"))
    return tmp_path


def app_client(data_dir, **settings):
    return TestClient(create_app(ServerSettings(data_dir=data_dir, **settings)), base_url=LOCAL)


def message(pose, t_ms: float) -> dict:
    """A recorded pose as the page sends it (None: nobody found)."""
    if pose is None:
        return {"type": "landmarks", "t_ms": t_ms, "image_wh": [640, 480], "landmarks": None, "world": None}
    image = np.column_stack([pose.xyz_norm, pose.visibility, pose.presence])
    return {"type": "landmarks", "t_ms": t_ms, "image_wh": list(pose.resolution_wh),
            "landmarks": image.tolist(), "world": pose.world_xyz.tolist()}


def standing_pose():
    """The first pose the model found in a real clip."""
    return next(pf.pose for pf in Recording(recording_for("squat_side_barbell.mp4")) if pf.pose is not None)


def run_landmark_session(client, recording, exercise: str) -> dict:
    with client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_json({**START, "exercise": exercise})
        ready = ws.receive_json()
        assert ready["type"] == "ready" and ready["protocol"] == 2 and ready["pose"] == "browser", ready
        for pf in Recording(recording):
            ws.send_json(message(pf.pose, pf.timestamp_ms))
            reply = ws.receive_json()
            assert reply["type"] == "frame", reply
        ws.send_json({"type": "stop"})
        return ws.receive_json()["report"]


@needs_shared
@pytest.mark.slow
def test_a_landmark_session_tells_what_analyze_tells_of_the_same_poses(data_dir, core_labels, recordings):
    """Every core clip: the recording's poses sent as landmark messages give the same reps,
    holds and faults as `posecheck analyze` of that recording (same smoother, same checker)."""
    with app_client(data_dir, max_landmarks_per_s=100_000) as client:  # replayed faster than a camera
        for clip, label in core_labels.items():
            exercise = label["exercise"]
            live = run_landmark_session(client, recordings[clip], exercise)
            proc = run_cli("analyze", str(recordings[clip]), "--exercise", exercise, "--json", check=True)
            offline = json.loads(proc.stdout)
            assert told(live) == told(offline), clip
            assert live.get("posture") == offline.get("posture"), clip


def test_bad_landmark_messages_get_one_line_errors_and_the_session_goes_on(data_dir):
    good = message(standing_pose(), 0.0)
    bad = {
        "short": {**good, "landmarks": good["landmarks"][:32]},
        "nan": json.dumps({**good, "t_ms": 1.0}).replace(str(good["landmarks"][0][0]), "NaN", 1),
        "far": {**good, "t_ms": 2.0, "landmarks": [[5.0, 0.5, 0.0, 1.0, 1.0]] + good["landmarks"][1:]},
        "world_far": {**good, "t_ms": 2.0, "world": [[0.0, 40.0, 0.0]] + good["world"][1:]},
        "visibility": {**good, "t_ms": 2.0, "landmarks": [[0.5, 0.5, 0.0, 1.7, 1.0]] + good["landmarks"][1:]},
        "no_world": {**good, "t_ms": 2.0, "world": None},
        "tiny_picture": {**good, "t_ms": 2.0, "image_wh": [4, 4]},
        "extra": {**good, "t_ms": 2.0, "pixels": "..."},
        "string_number": {**good, "t_ms": "2.0"},
        "boolean_size": {**good, "t_ms": 2.0, "image_wh": [True, 480]},
        "string_size": {**good, "t_ms": 2.0, "image_wh": ["640", "480"]},
        "huge_size": json.dumps({**good, "t_ms": 2.0}).replace('"image_wh": [', '"image_wh": [' + "9" * 4000 + "0, ", 1),
    }
    with app_client(data_dir) as client, client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_json(START)
        assert ws.receive_json()["type"] == "ready"
        ws.send_json(good)
        assert ws.receive_json()["type"] == "frame"
        for name, msg in bad.items():
            ws.send_text(msg if isinstance(msg, str) else json.dumps(msg))
            reply = ws.receive_json()
            assert reply["type"] == "error" and reply["code"] == "bad_landmarks", (name, reply)
            assert "\n" not in reply["message"] and len(reply["message"]) < 200, reply
        ws.send_text(json.dumps({**good, "t_ms": 3.0, "pad": "x" * 1_000_000}))  # refused unread
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({**good, "t_ms": 0.0})  # time going back
        assert "not at least 1 ms after" in ws.receive_json()["message"]
        ws.send_json({**good, "t_ms": 1e-318})  # a step no camera makes (the smoother would turn to NaN)
        assert ws.receive_json()["code"] == "bad_landmarks"
        ws.send_json({**good, "t_ms": 9e12})  # centuries into a set
        assert ws.receive_json()["code"] == "bad_landmarks"
        ws.send_bytes(packet(3.0, b"\xff\xd8 a jpeg"))  # frames in a landmark session
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({**good, "t_ms": 40.0})
        frame = ws.receive_json()
        assert frame["type"] == "frame" and frame["landmarks"] is not None
        ws.send_json({**good, "t_ms": 80.0, "landmarks": None, "world": None})  # nobody in the picture
        assert ws.receive_json()["landmarks"] is None


def test_a_refused_message_does_not_move_the_clock(data_dir):
    good = message(standing_pose(), 0.0)
    with app_client(data_dir) as client, client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_json(START)
        ws.receive_json()
        ws.send_json({**good, "t_ms": 0.0})
        assert ws.receive_json()["type"] == "frame"
        ws.send_json({**good, "t_ms": 1e7, "image_wh": [1, 1]})  # refused for its size
        assert ws.receive_json()["code"] == "bad_landmarks"
        ws.send_json({**good, "t_ms": 33.0})
        assert ws.receive_json()["type"] == "frame"


def test_landmarks_need_protocol_2_and_a_frame_session_refuses_them(data_dir):
    good = message(standing_pose(), 0.0)
    with app_client(data_dir) as client, client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_json({**START, "protocol": 1})
        assert ws.receive_json()["code"] == "bad_message"
        ws.send_json({"type": "start", "exercise": "squat"})
        assert ws.receive_json()["pose"] == "server"
        ws.send_json(good)
        reply = ws.receive_json()
        assert reply["code"] == "bad_message" and "protocol" in reply["message"], reply


def test_landmark_messages_over_the_rate_are_skipped_with_an_error(data_dir):
    good = message(standing_pose(), 0.0)
    with app_client(data_dir, max_landmarks_per_s=5) as client, client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_json(START)
        ws.receive_json()
        replies = []
        for i in range(8):
            ws.send_json({**good, "t_ms": 10.0 * i})
            replies.append(ws.receive_json())
    assert [r["type"] for r in replies] == ["frame"] * 5 + ["error"] * 3
    assert {r["code"] for r in replies[5:]} == {"too_fast"}


def test_landmark_sessions_hold_no_model_and_have_their_own_cap(data_dir):
    with app_client(data_dir, max_sessions=1, max_landmark_sessions=2) as client:
        frames = jpeg_frames("squat_side_barbell.mp4", limit=1)
        with client.websocket_connect(WS + "/ws/live") as camera, \
                client.websocket_connect(WS + "/ws/live") as page1, client.websocket_connect(WS + "/ws/live") as page2:
            camera.send_json({"type": "start", "exercise": "squat"})
            assert camera.receive_json()["type"] == "ready"  # the one model slot
            for page in (page1, page2):
                page.send_json(START)
                assert page.receive_json()["type"] == "ready"
            assert client.app.state.estimators.in_use == 1 and client.app.state.landmark_slots.in_use == 2
            camera.send_bytes(packet(*frames[0]))
            assert camera.receive_json()["type"] == "frame"
            with client.websocket_connect(WS + "/ws/live") as page3:
                page3.send_json(START)
                refused = page3.receive_json()
                assert refused["code"] == "busy" and "landmark sessions" in refused["message"]
        assert client.app.state.landmark_slots.in_use == 0  # every slot back when the pages left


def test_a_server_told_where_pose_runs_refuses_the_other_site(data_dir):
    with app_client(data_dir, pose="server") as client, client.websocket_connect(WS + "/ws/live") as ws:
        assert client.get("/api/config").json()["pose"] == "server"
        ws.send_json(START)
        assert ws.receive_json()["code"] == "pose_site"
    with app_client(data_dir, pose="browser") as client, client.websocket_connect(WS + "/ws/live") as ws:
        ws.send_json({"type": "start", "exercise": "squat"})
        reply = ws.receive_json()
        assert reply["code"] == "pose_site" and "browser" in reply["message"]


def test_serve_pose_browser_without_the_runtime_says_how_to_install_it(tmp_path):
    proc = run_cli("serve", "--pose", "browser", "--port", "0", env={"XDG_DATA_HOME": str(tmp_path)}, timeout=60)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "posecheck models install web" in lines[0], proc.stderr


def test_the_installed_web_runtime_is_checked_file_by_file(tmp_path, monkeypatch):
    from posecheck.errors import ModelError
    from posecheck.pose.models import web_runtime

    installed = web_runtime().folder  # `make test` installs it
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    copy = tmp_path / "posecheck" / "models" / "web" / installed.name
    shutil.copytree(installed, copy)
    assert web_runtime().folder == copy
    wasm = copy / "wasm" / "vision_wasm_internal.wasm"
    data = bytearray(wasm.read_bytes())
    data[1000] ^= 0xFF
    wasm.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum; run `posecheck models install web`"):
        web_runtime()


def test_a_tarball_that_is_not_the_package_is_refused_and_nothing_is_installed(tmp_path, monkeypatch):
    import io
    import tarfile

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    fake = tmp_path / "tasks-vision-1.1.0.tgz"
    with tarfile.open(fake, "w:gz") as archive:
        body = b"export const PoseLandmarker = null;"
        info = tarfile.TarInfo("package/vision_bundle.mjs")
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    proc = run_cli("models", "install", "web", str(fake), env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert proc.returncode != 0 and "SHA-512 differs" in proc.stderr, proc.stderr
    assert not (tmp_path / "data" / "posecheck" / "models" / "web").exists() or \
        not any((tmp_path / "data" / "posecheck" / "models" / "web").iterdir())


def test_pages_may_connect_to_this_server_only(data_dir):
    """MediaPipe's web runtime posts usage metrics to Google; the pages' policy forbids any
    connection but to this server, so the browser refuses it (test_browser.py sees none leave)."""
    with app_client(data_dir) as client:
        for path in ("/", "/session", "/monitor", "/api/config", "/pose-model.task"):
            response = client.get(path)
            assert response.headers["content-security-policy"] == "connect-src 'self'", path
        refused = client.get("/api/config", headers={"host": "evil.example"})  # the host check's answer too
        assert refused.status_code == 400 and refused.headers["content-security-policy"] == "connect-src 'self'"


def test_a_server_that_runs_pose_itself_needs_nothing_for_the_browser(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty"))  # no runtime, no model cache
    with app_client(data_dir, pose="server", model="lite") as client:
        config = client.get("/api/config").json()
        assert config["browser_runtime"] is None and "runs pose itself" in config["browser_problem"]
        assert client.get("/pose-model.task").status_code == 404
    assert not (tmp_path / "empty").exists()  # nothing built or written at start
