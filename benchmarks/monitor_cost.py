"""CPU and memory of `posecheck monitor` at its default rate (one sample a second) on a
looped clip, measured from /proc over a steady window after start-up.

    python benchmarks/monitor_cost.py [--seconds 120] [--clip PATH]

Goal: <= 3% of one core, <= 300 MB peak RSS. A file source decodes the video between
samples, which a camera does not (it hands over one frame when asked), so the file
figure is an upper bound of the camera case. With --webcam-like the clip is also
re-encoded the way a laptop webcam would deliver it (640 px longer side) with a keyframe
every second, so the sampler decodes one picture per sample, as a camera hands over one
frame per sample: that row is the one to compare with the goal. Two more rows on the
webcam-like copy: "paused" (`posecheck monitor pause` right after start-up: no sampling)
and "nobody in view" (an empty room from the shared set, the first 16 s of
corpus/Kalininator__FallDetection/walk.mp4, re-encoded the same way: the sampling backs off).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import default_clip, machine_line

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    """VmHWM: the peak resident set; VmRSS: resident now."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(clip: Path, seconds: float, warmup: float, pause: bool = False) -> tuple[float, float, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "POSECHECK_PROFILE_DIR": tmp, "XDG_RUNTIME_DIR": tmp}
        proc = subprocess.Popen([sys.executable, "-m", "posecheck", "monitor", "--source", str(clip), "--loop",
                                 "--db", f"{tmp}/h.sqlite", "--no-notify"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            time.sleep(warmup)
            if pause:
                subprocess.run([sys.executable, "-m", "posecheck", "monitor", "pause", "--db", f"{tmp}/h.sqlite"],
                               env=env, check=True, stdout=subprocess.DEVNULL)
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(seconds)
            cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
            rss = rss_mb(proc.pid)
            now = rss_mb(proc.pid, "VmRSS")
            startup_cpu = cpu0
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        import sqlite3

        samples = sqlite3.connect(f"{tmp}/h.sqlite").execute("SELECT COUNT(*) FROM samples").fetchone()[0]
    return 100 * (cpu1 - cpu0) / (t1 - t0), rss, now, startup_cpu, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", default=None)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--webcam-like", action="store_true",
                        help="also measure a 640-px copy with a keyframe every second")
    args = parser.parse_args()
    clip = Path(args.clip) if args.clip else default_clip("sitting_side_slouch.mp4")
    runs = [("as recorded", clip)]
    tmpdir = tempfile.mkdtemp()
    if args.webcam_like:
        import imageio_ffmpeg

        keyed = Path(tmpdir) / "webcam_like.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(clip), "-an",
                        "-vf", "scale='if(gt(iw,ih),640,-2)':'if(gt(iw,ih),-2,640)'", "-c:v", "libx264",
                        "-g", "30", "-bf", "0", str(keyed)], check=True)
        runs.append(("webcam-like copy", keyed))
        runs.append(("  paused", keyed))
        empty = Path(tmpdir) / "empty_room.mp4"
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-t", "16", "-i",
                        str(default_clip("corpus/Kalininator__FallDetection/walk.mp4")), "-an",
                        "-vf", "scale='if(gt(iw,ih),640,-2)':'if(gt(iw,ih),-2,640)'", "-c:v", "libx264",
                        "-r", "30", "-g", "30", "-bf", "0", str(empty)], check=True)
        runs.append(("  nobody in view", empty))
    print(machine_line())
    print(f"clip: {clip.name}, looped; default rate (1 sample/s); steady window {args.seconds:.0f} s "
          f"after {args.warmup:.0f} s start-up")
    print(f"{'source':<20} {'CPU % of one core':>18} {'peak RSS MB':>12} {'RSS at end MB':>14} {'start-up CPU s':>15} "
          f"{'samples':>8}")
    for name, path in runs:
        cpu, rss, now, startup, samples = measure(path, args.seconds, args.warmup, pause=name.strip() == "paused")
        print(f"{name:<20} {cpu:18.2f} {rss:12.0f} {now:14.0f} {startup:15.1f} {samples:8d}")
    print("goal: <= 3% of one core, <= 300 MB")


if __name__ == "__main__":
    main()
