"""Idle memory of a real `posecheck serve` after waves of concurrent sessions (issue 10's
measurement): N clients at once, each a short real-clip session, repeated; the server's
RSS is read from /proc after each wave, and compared with the first.

    python benchmarks/server_memory.py [--clients 20] [--rounds 5] [--frames 10] [--max-sessions 4]
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import default_clip, machine_line


def packets(clip: str, limit: int) -> list[bytes]:
    import cv2

    from posecheck.pose.sources import open_source

    out = []
    for frame in open_source(clip, max_side=640):
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
        out.append(struct.pack("<d", frame.timestamp_ms) + buf.tobytes())
        if len(out) == limit:
            return out
    return out


def session(port: int, frames: list[bytes]) -> str:
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/ws/live", max_size=None) as ws:
        ws.send(json.dumps({"type": "start", "exercise": "squat"}))
        ready = json.loads(ws.recv(timeout=60))
        if ready["type"] == "error":
            return ready["code"]
        for p in frames:
            ws.send(p)
            ws.recv(timeout=60)
        ws.send(json.dumps({"type": "stop"}))
        ws.recv(timeout=60)
    return "done"


def rss_mb(pid: int) -> float:
    return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--max-sessions", type=int, default=4)
    args = parser.parse_args()
    frames = packets(str(default_clip("squat_side_forward_lean.mp4")), args.frames)
    server = subprocess.Popen([sys.executable, "-m", "posecheck", "serve", "--port", "0",
                               "--max-sessions", str(args.max_sessions)], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r":(\d+)/", server.stdout.readline()).group(1))
        time.sleep(1)
        print(machine_line())
        print(f"{args.clients} concurrent sessions of {args.frames} frames, {args.rounds} rounds, "
              f"--max-sessions {args.max_sessions}; idle before: {rss_mb(server.pid):.0f} MB")
        first = None
        for round_no in range(1, args.rounds + 1):
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                outcomes = list(pool.map(lambda _: session(port, frames), range(args.clients)))
            time.sleep(1.5)
            idle = rss_mb(server.pid)
            first = first or idle
            print(f"round {round_no}: {outcomes.count('done'):>2} done, {outcomes.count('busy'):>2} busy; "
                  f"idle {idle:6.0f} MB, {idle / first:5.3f}x the first round")
        print("goal: every round within 1.10x the first")
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()
