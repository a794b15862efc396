"""Batch throughput: seconds of video analysed per second of wall time, with 1 and 2
local workers (and optionally Ray), on the shared clips, writing every output
(report.json, CSVs, annotated.mp4, report.html).

    python benchmarks/batch_throughput.py [--workers 1 2] [--ray] [--no-video]

Every clip is run with the squat checker so one batch covers them all (the checker's
cost is well under a millisecond a frame whichever exercise it runs).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import machine_line, shared_dir

from posecheck.batch import BatchOptions, run_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ray", action="store_true", help="also run the Ray engine with the largest worker count")
    parser.add_argument("--no-video", action="store_true", help="skip annotated.mp4")
    parser.add_argument("--max-side", type=int, default=BatchOptions.max_side)
    parser.add_argument("--rate", type=float, nargs="+", default=[0.0],
                        help="analysis rates to run (frames/s; 0 = every frame), e.g. --rate 0 15")
    args = parser.parse_args()
    videos = sorted((shared_dir() / "videos").glob("*.mp4"))
    runs = [("local", w, r) for r in args.rate for w in args.workers]
    runs += [("ray", max(args.workers), r) for r in args.rate] if args.ray else []
    print(machine_line())
    print(f"{len(videos)} shared clips; outputs: report.json, CSVs, report.html"
          + ("" if args.no_video else ", annotated.mp4"))
    print(f"{'engine':<7} {'workers':>7} {'rate':>10} {'video s':>8} {'wall s':>7} {'x real time':>12} {'failed':>7}")
    for engine, workers, rate in runs:
        with tempfile.TemporaryDirectory() as out:
            options = BatchOptions(exercise="squat", out_dir=out, annotate=not args.no_video, max_side=args.max_side,
                                   max_fps=rate or None)
            start = time.perf_counter()
            results = run_batch(videos, options, workers=workers, engine=engine)
            wall = time.perf_counter() - start
            video_s = sum(json.loads((Path(r.out_dir) / "report.json").read_text())["duration_s"]
                          for r in results if r.status == "done")
            failed = sum(r.status == "failed" for r in results)
        label = f"{rate:g} fps" if rate else "all"
        print(f"{engine:<7} {workers:>7} {label:>10} {video_s:8.1f} {wall:7.1f} {video_s / wall:12.2f} {failed:>7}")
    print("goal: >= 2.5x real time with 2 workers")


if __name__ == "__main__":
    main()
