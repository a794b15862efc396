"""Do pose in the page and pose on the server tell a person the same thing? The eight core
shared clips, each played as the live coach's 15 fps camera in Chromium (the clip
held on its first picture while the page measures, frames and counts down, then the clip,
then its last picture), once with pose on the server (JPEG frames) and once in the page
(landmark messages), against `posecheck analyze` of the very pictures the camera played.

Compared: reps, holds, and each rep's and hold's faults (engine.verdicts.told). Also the
page's own model time against bare MediaPipe on the same clip.

    python benchmarks/browser_modes.py [--clips bridge_side.mp4 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _chromium import fake_camera, play_set, serve
from _common import machine_line, shared_dir

from posecheck.engine.verdicts import told

LEAD_IN_S, TAIL_S = 12.0, 4.0


def core_clips() -> dict[str, str]:
    labels = json.loads((shared_dir() / "videos" / "labels.json").read_text())["clips"]
    return {name: label["exercise"] for name, label in labels.items() if not name.startswith("corpus/")}


def analyze(path: Path, exercise: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "posecheck", "analyze", str(path), "--exercise", exercise, "--json"],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def bare_ms_per_frame(path: Path, limit: int = 150) -> float:
    import mediapipe as mp

    from posecheck.pose.sources import open_source

    images = [f.image for f, _ in zip(open_source(str(path)), range(limit))]
    with mp.solutions.pose.Pose(model_complexity=1) as pose:
        pose.process(images[0])
        start = time.perf_counter()
        for image in images:
            pose.process(image)
    return (time.perf_counter() - start) * 1000 / len(images)


def short(v: dict) -> str:
    faults = ",".join(v["faults"]) or "-"
    return f"{v['reps']} reps, {v['holds']} holds, faults {faults}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", nargs="*", default=None)
    args = parser.parse_args()
    clips = core_clips()
    if args.clips:
        clips = {c: clips[c] for c in args.clips}
    print(machine_line())
    rows, page_ms = [], []
    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "data"
        from posecheck.pose.models import web_runtime

        link = data / "posecheck" / "models" / "web" / web_runtime().folder.name
        link.parent.mkdir(parents=True)
        link.symlink_to(web_runtime().folder, target_is_directory=True)
        proc, port = serve(env={"XDG_DATA_HOME": str(data), "POSECHECK_PROFILE_DIR": str(data / "profiles")})
        try:
            for clip, exercise in clips.items():
                video = shared_dir() / "videos" / clip
                y4m = fake_camera(video, Path(work) / (video.stem + ".y4m"), fps=15, height=480,
                                  lead_in_s=LEAD_IN_S, tail_s=TAIL_S)
                reference = told(analyze(y4m, exercise))
                original = told(analyze(video, exercise))
                got = {mode: play_set(f"http://127.0.0.1:{port}", y4m, exercise, mode, lead_in_s=LEAD_IN_S,
                                      tail_s=TAIL_S) for mode in ("server", "browser")}
                seen = {mode: told(g["report"]) for mode, g in got.items()}
                ms = re.search(r"(\d+) ms a frame", got["browser"]["site"])
                if ms:
                    page_ms.append((int(ms.group(1)), bare_ms_per_frame(video)))
                rows.append((clip, exercise, original, reference, seen, [u for g in got.values() for u in g["refused"]]))
                os.remove(y4m)  # ~100-300 MB each
        finally:
            proc.terminate()
            proc.wait(timeout=10)

    print(f"\n{'clip':<28} {'exercise':<16} {'counts equal':>12} {'faults equal':>12}  analyze of the played pictures")
    agree = 0
    for clip, exercise, original, reference, seen, refused in rows:
        counts = all((v["reps"], v["holds"]) == (reference["reps"], reference["holds"]) for v in seen.values())
        faults = all(v == reference for v in seen.values())
        agree += counts and faults
        print(f"{clip:<28} {exercise:<16} {'yes' if counts else 'NO':>12} {'yes' if faults else 'NO':>12}  "
              f"{short(reference)}")
        for mode, v in seen.items():
            if v != reference:
                print(f"    {mode:<8} {short(v)}; per rep {v['rep_verdicts']}; per hold {v['hold_verdicts']}")
                print(f"    {'analyze':<8} per rep {reference['rep_verdicts']}; per hold {reference['hold_verdicts']}")
        if original != reference:
            print(f"    (analyze of the original clip, 30 fps at full size: {short(original)})")
        if refused:
            print(f"    requests that would have left this machine: {refused}")
    print(f"\nboth modes tell what analyze tells on {agree} of {len(rows)} clips")
    for browser, bare in page_ms:
        print(f"page's model {browser} ms a frame (WASM, CPU) vs bare MediaPipe {bare:.1f} ms: {browser / bare:.1f}x")


if __name__ == "__main__":
    main()
