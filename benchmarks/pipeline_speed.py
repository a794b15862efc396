"""Bare MediaPipe vs the posecheck pipeline on the same clip, in one run.

bare:      OpenCV decode -> BGR->RGB -> mp.solutions.pose.Pose.process, a plain loop
posecheck: PoseStream (PyAV decode on a reader thread, rotation, resize) -> estimator
           -> One-Euro smoother, i.e. exactly what every front end iterates over

    python benchmarks/pipeline_speed.py [--clip PATH] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

from _common import default_clip, machine_line


def bare_mediapipe_fps(clip: str) -> tuple[float, int]:
    import cv2
    import mediapipe as mp

    cap = cv2.VideoCapture(clip)
    frames = 0
    with mp.solutions.pose.Pose(model_complexity=1) as pose:
        start = time.perf_counter()
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            frames += 1
        elapsed = time.perf_counter() - start
    cap.release()
    return frames / elapsed, frames


def posecheck_fps(clip: str, max_side: int | None) -> tuple[float, int]:
    from posecheck.pose.pipeline import PipelineSettings, PoseStream

    frames = 0
    with PoseStream(clip, PipelineSettings(max_side=max_side)) as stream:
        start = time.perf_counter()
        for _ in stream:
            frames += 1
        elapsed = time.perf_counter() - start
    return frames / elapsed, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", default=None)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best is kept")
    args = parser.parse_args()
    clips = [args.clip] if args.clip else [str(default_clip("bridge_side.mp4")),
                                           str(default_clip("birddog_side.mp4"))]
    print(machine_line())
    print(f"{'clip':<24} {'bare fps':>9} {'posecheck fps':>14} {'ratio':>6}")
    for clip in clips:
        bare = max(bare_mediapipe_fps(clip)[0] for _ in range(args.repeat))
        ours = max(posecheck_fps(clip, 1280)[0] for _ in range(args.repeat))
        name = clip.rsplit("/", 1)[-1]
        print(f"{name:<24} {bare:9.1f} {ours:14.1f} {ours / bare:6.2f}")


if __name__ == "__main__":
    main()
