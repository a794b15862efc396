"""Frame-to-feedback latency of the live coach's WebSocket path, and sustained frames/s
against bare MediaPipe on the same frames.

1. JPEG path: a real `posecheck serve` process; a client sends 640x480 JPEG frames of a
   real clip (as the page does: one frame in flight, the next sent when the feedback
   arrives) and times each round trip. Bare MediaPipe runs `Pose.process` on the same frames.
2. In Chromium, both places pose runs: the live coach page with the clip as its 30 fps
   camera, pose on the server (JPEG frames) and in the page (landmark messages): picture
   to feedback p50/p95 as the page measures it, frames/s, and the server's CPU per frame.
3. 20 concurrent landmark sessions (clients sending a recording's real landmarks at 30
   fps each, as 20 pages would): the server's CPU and memory, and each message's round trip.

    python benchmarks/live_latency.py [--clip PATH] [--frames 600] [--browser-seconds 30]
                                      [--sessions 20] [--skip-jpeg] [--skip-browser]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import subprocess
import sys
import time

import numpy as np
from _chromium import cpu_seconds, fake_camera, launch, rss_mb, serve
from _common import REPO, default_clip, machine_line


def frames_640x480(clip: str, limit: int) -> list[np.ndarray]:
    import cv2

    from posecheck.pose.sources import open_source

    out = []
    for frame in open_source(clip):
        img = frame.image
        h, w = img.shape[:2]
        target_w = min(w, h * 4 // 3)  # centre crop to 4:3, then 640x480
        x0 = (w - target_w) // 2
        out.append(cv2.resize(img[:, x0:x0 + target_w], (640, 480), interpolation=cv2.INTER_AREA))
        if len(out) == limit:
            break
    return out


def bare_fps(images: list[np.ndarray], jpegs: list[bytes]) -> tuple[float, float]:
    """Bare MediaPipe in a plain loop: (decode the JPEG + process), and process alone on
    frames decoded beforehand."""
    import cv2
    import mediapipe as mp

    with mp.solutions.pose.Pose(model_complexity=1) as pose:
        pose.process(images[0])
        start = time.perf_counter()
        for jpeg in jpegs:
            bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        with_decode = len(jpegs) / (time.perf_counter() - start)
    with mp.solutions.pose.Pose(model_complexity=1) as pose:
        pose.process(images[0])
        start = time.perf_counter()
        for img in images:
            pose.process(img)
        process_only = len(images) / (time.perf_counter() - start)
    return with_decode, process_only


def run_client(port: int, jpegs: list[bytes], window: int) -> tuple[list, list, float, int, int]:
    """Send every frame keeping `window` frames in flight (the page keeps 1); time each
    frame from send to its feedback. Beyond two in flight the server drops the older
    waiting frame (answered `dropped`), so latency stays bounded."""
    from websockets.sync.client import connect

    latencies, server_ms, sent_at = [], [], {}
    with connect(f"ws://127.0.0.1:{port}/ws/live", max_size=None) as ws:
        ws.send(json.dumps({"type": "start", "exercise": "squat"}))  # Host 127.0.0.1: allowed
        json.loads(ws.recv())
        wall0 = time.perf_counter()
        next_i = answered = dropped = 0
        while answered < len(jpegs):
            while next_i < len(jpegs) and next_i - answered < window:
                sent_at[next_i] = time.perf_counter()
                ws.send(struct.pack("<d", next_i * 1000 / 30) + jpegs[next_i])
                next_i += 1
            msg = json.loads(ws.recv())
            answered += 1
            if msg["type"] == "dropped":
                dropped += 1
                continue
            latencies.append((time.perf_counter() - sent_at[msg["seq"]]) * 1000)
            server_ms.append(msg["process_ms"])
        fps = len(latencies) / (time.perf_counter() - wall0)
        ws.send(json.dumps({"type": "stop"}))
        reps = json.loads(ws.recv())["report"]["summary"]["rep_count"]
    return latencies, server_ms, fps, reps, dropped


def browser_run(clip: str, mode: str, seconds: float, workdir: str) -> dict:
    """The live coach in Chromium for `seconds` of a set, pose in `mode` (server|browser)."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    y4m = fake_camera(Path(clip), Path(workdir) / "camera30.y4m", fps=30, height=480, seconds=seconds + 25)
    proc, port = serve()
    try:
        with sync_playwright() as p:
            browser = launch(p, y4m)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/?exercise=squat&pose={mode}")
            page.wait_for_function("document.querySelectorAll('#exercise option').length === 4")
            page.click("#start")
            page.wait_for_function("state.running === true", timeout=60000)
            page.evaluate("() => { LiveCamera.stats.latencies.length = 0; LiveCamera.stats.answered = 0; }")
            cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
            time.sleep(seconds)
            stats = page.evaluate("() => ({answered: LiveCamera.stats.answered, latencies: LiveCamera.stats.latencies})")
            cpu1, t1 = cpu_seconds(proc.pid), time.perf_counter()
            site = page.inner_text("#pose-site")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    lat = np.array(stats["latencies"])
    return {"mode": mode, "fps": stats["answered"] / (t1 - t0), "p50": np.percentile(lat, 50),
            "p95": np.percentile(lat, 95), "server_ms": (cpu1 - cpu0) * 1000 / max(1, stats["answered"]), "site": site}


def recorded_poses(clip: str) -> list:
    """The clip's raw poses, from the test cache when there, else recorded once (real model)."""
    import hashlib
    from pathlib import Path

    from posecheck.pose.recording import Recording

    video = Path(clip)
    digest = hashlib.sha256(video.read_bytes()).hexdigest()[:16]
    path = REPO / ".cache" / "test-recordings" / f"{video.stem}.full.{digest}.landmarks.jsonl"
    if not path.is_file():
        path = REPO / ".cache" / "bench" / path.name
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "posecheck", "record", str(video), "-o", str(path)], check=True,
                       stdout=subprocess.DEVNULL)
    out = []
    for pf in Recording(path):
        if pf.pose is None:
            out.append((None, None, [640, 480]))
            continue
        image = np.column_stack([pf.pose.xyz_norm, pf.pose.visibility, pf.pose.presence]).round(5).tolist()
        out.append((image, pf.pose.world_xyz.round(5).tolist(), list(pf.pose.resolution_wh)))
    return out


async def landmark_client(port: int, poses: list, seconds: float, fps: float, latencies: list) -> int:
    from websockets.asyncio.client import connect

    async with connect(f"ws://127.0.0.1:{port}/ws/live", max_size=None) as ws:
        await ws.send(json.dumps({"type": "start", "exercise": "squat", "protocol": 2, "pose": "browser"}))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        start = time.perf_counter()
        sent = 0
        while time.perf_counter() - start < seconds:
            image, world, wh = poses[sent % len(poses)]
            t_ms = sent * 1000 / fps
            at = time.perf_counter()
            await ws.send(json.dumps({"type": "landmarks", "t_ms": t_ms, "image_wh": wh, "landmarks": image,
                                      "world": world}))
            reply = json.loads(await ws.recv())
            assert reply["type"] == "frame", reply
            latencies.append((time.perf_counter() - at) * 1000)
            sent += 1
            await asyncio.sleep(max(0.0, start + sent / fps - time.perf_counter()))  # a camera's pace
        await ws.send(json.dumps({"type": "stop"}))
        await ws.recv()
    return sent


def concurrent_landmarks(clip: str, sessions: int, seconds: float = 20.0, fps: float = 30.0) -> dict:
    poses = recorded_poses(clip)
    proc, port = serve("--max-landmark-sessions", str(max(sessions, 1)))
    try:
        rss0 = rss_mb(proc.pid)
        latencies: list = []

        async def all_clients():
            return await asyncio.gather(*(landmark_client(port, poses, seconds, fps, latencies)
                                          for _ in range(sessions)))

        cpu0, t0 = cpu_seconds(proc.pid), time.perf_counter()
        sent = asyncio.run(all_clients())
        cpu1, t1 = cpu_seconds(proc.pid), time.perf_counter()
        rss1 = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    lat = np.array(latencies)
    return {"sessions": sessions, "cpu_pct": (cpu1 - cpu0) / (t1 - t0) * 100,
            "server_ms": (cpu1 - cpu0) * 1000 / sum(sent), "fps_each": sum(sent) / sessions / (t1 - t0),
            "p50": np.percentile(lat, 50), "p95": np.percentile(lat, 95), "rss_idle": rss0, "rss": rss1}


def main() -> None:
    import tempfile

    import cv2

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", default=None)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--browser-seconds", type=float, default=30.0)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--skip-jpeg", action="store_true")
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    clip = args.clip or str(default_clip("squat_front_goblet.mp4"))
    images = frames_640x480(clip, args.frames)
    jpegs = [cv2.imencode(".jpg", cv2.cvtColor(im, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes()
             for im in images]
    print(machine_line())
    bare, bare_process_only = bare_fps(images, jpegs)
    print(f"clip: {os.path.basename(clip)}, {len(jpegs)} frames at 640x480 (JPEG q80), full model")
    print(f"bare MediaPipe: {bare:.1f} frames/s decoding the same JPEGs + process; "
          f"{bare_process_only:.1f} frames/s process alone on pre-decoded frames "
          f"({1000 / bare_process_only:.1f} ms a frame)")
    if not args.skip_jpeg:
        jpeg_rows(jpegs, bare, bare_process_only)
    if not args.skip_browser:
        with tempfile.TemporaryDirectory() as workdir:
            runs = [browser_run(clip, mode, args.browser_seconds, workdir) for mode in ("server", "browser")]
        print(f"\nIn Chromium, the live coach with the clip as a 30 fps camera, {args.browser_seconds:g} s of a set:")
        print(f"{'pose runs':<22} {'p50 ms':>7} {'p95 ms':>7} {'frames/s':>9} {'server CPU ms/frame':>20} "
              f"{'vs bare model':>14}")
        for r in runs:
            print(f"{'in the page' if r['mode'] == 'browser' else 'on the server (JPEG)':<22} {r['p50']:7.1f} "
                  f"{r['p95']:7.1f} {r['fps']:9.1f} {r['server_ms']:20.2f} "
                  f"{r['server_ms'] * bare_process_only / 1000:13.2f}x")
        for r in runs:
            print(f"  page said: {r['site']}")
    rows = [concurrent_landmarks(clip, 1), concurrent_landmarks(clip, args.sessions)]
    print("\nLandmark sessions (pose in the page; clients send the clip's real landmarks at 30 fps each):")
    print(f"{'sessions':>8} {'server CPU':>11} {'ms/frame':>9} {'frames/s each':>14} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'RSS idle MB':>12} {'RSS MB':>7}")
    for r in rows:
        print(f"{r['sessions']:>8} {r['cpu_pct']:10.0f}% {r['server_ms']:9.2f} {r['fps_each']:14.1f} "
              f"{r['p50']:7.1f} {r['p95']:7.1f} {r['rss_idle']:12.0f} {r['rss']:7.0f}")
    print("goals: JPEG p95 <= 60 ms, sustained >= 0.9x bare MediaPipe; in the page the server's CPU per\n"
          "frame is the checker's (well under the bare model's); 20 landmark sessions keep 30 fps each")


def jpeg_rows(jpegs: list[bytes], bare: float, bare_process_only: float) -> None:
    proc, port = serve(env={"POSECHECK_PROFILE_DIR": os.devnull + "-unused"})
    try:
        runs = {window: run_client(port, jpegs, window) for window in (1, 2, 8)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"{'frames in flight':<17} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'server p50 ms':>13} "
          f"{'frames/s':>9} {'vs bare':>8} {'vs process':>10} {'reps':>5} {'dropped':>8}")
    for window, (lat, server_ms, fps, reps, dropped) in runs.items():
        lat = np.array(lat[10:])  # the first frames load the landmark model
        print(f"{window:<17} {np.percentile(lat, 50):7.1f} {np.percentile(lat, 95):7.1f} {lat.max():7.1f} "
              f"{np.percentile(server_ms[10:], 50):13.1f} {fps:9.1f} {fps / bare:8.2f} "
              f"{fps / bare_process_only:10.2f} {reps:>5} {dropped:>8}")


if __name__ == "__main__":
    main()
