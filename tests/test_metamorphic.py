"""Metamorphic tests: variants of real clips made during the test run (mirrored, slowed,
sped up, shrunk, cut to one rep, rolled, darkened, with dropped frames, with an empty
scene inserted, joined to another clip by a hard cut). Each keeps the labelled reps and
verdicts of its source, or, where nothing can be judged, says why.

Variants are made with ffmpeg and run through the real model once; their landmark
recordings are cached in .cache/metamorphic by source checksum and variant."""

from __future__ import annotations

import hashlib
import pytest

from posecheck.engine.analysis import analyze
from posecheck.engine.profiles import Profile
from posecheck.engine.spec import get_spec

from .conftest import REPO, clip_path, ffmpeg, needs_shared, run_cli

pytestmark = [needs_shared, pytest.mark.slow]

CACHE = REPO / ".cache" / "metamorphic"
SQUATS = "corpus/Tommyhillphyga__Squat-counting-application/squat1.mp4"  # 3 reps, then a bottle pick-up
LEAN = "squat_side_forward_lean.mp4"  # 2 reps, excessive forward lean
ENCODE = ("-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-an")

# name -> (source, ffmpeg arguments between the input and the encoder)
VARIANTS = {
    "mirrored": (SQUATS, ["-vf", "hflip"]),
    "half_speed": (SQUATS, ["-vf", "setpts=2.0*PTS", "-r", "30"]),
    "double_speed": (SQUATS, ["-vf", "setpts=0.5*PTS", "-r", "30"]),
    "360px": (SQUATS, ["-vf", "scale=360:-2"]),
    "240px": (SQUATS, ["-vf", "scale=240:-2"]),
    "one_rep": (SQUATS, ["-t", "2.4"]),
    "rolled_10deg": (SQUATS, ["-vf", "rotate=10*PI/180:fillcolor=black"]),
    "darkened": (SQUATS, ["-vf", "eq=brightness=-0.25:contrast=0.7"]),
    "dropped_frames": (SQUATS, ["-vf", "select='not(eq(mod(n\\,10)\\,5))'", "-fps_mode", "vfr"]),
    "empty_scene": (SQUATS, ["-filter_complex",
                             "[0:v]trim=0:2.3,setpts=PTS-STARTPTS,setsar=1[a];"
                             "[0:v]trim=2.3,setpts=PTS-STARTPTS,setsar=1[b];"
                             "color=c=0x6a7f8c:s=640x360:d=3:r=30000/1001,setsar=1[g];"
                             "[a][g][b]concat=n=3:v=1[out]", "-map", "[out]"]),
    "lean_mirrored": (LEAN, ["-vf", "hflip"]),
    "lean_double_speed": (LEAN, ["-vf", "setpts=0.5*PTS", "-r", "30"]),
}


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _recording(name: str, args: list[str], sources: list[str]):
    """Make the variant video and record it with the real model (both cached)."""
    key = hashlib.sha256(repr((args, [_digest(clip_path(s)) for s in sources])).encode()).hexdigest()[:12]
    out = CACHE / f"{name}.{key}.landmarks.jsonl"
    if out.is_file():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    video = CACHE / f"{name}.{key}.mp4"
    inputs = [a for s in sources for a in ("-i", str(clip_path(s)))]
    ffmpeg(*inputs, *args, *ENCODE, str(video))
    run_cli("record", str(video), "-o", str(out), check=True)
    video.unlink()
    return out


@pytest.fixture(scope="module")
def variant():
    made = {}

    def get(name: str):
        if name not in made:
            source, args = VARIANTS[name]
            made[name] = _recording(name, args, [source])
        return made[name]
    return get


def _squat(recording):
    report, _ = analyze(recording, get_spec("squat"), profile=Profile())
    cued = {e["code"] for e in report["events"] if e["kind"] == "cue"}
    return report, cued


def _messages(report) -> list[str]:
    return [e["message"] for e in report["events"] if e["kind"] in ("view", "info")]


@pytest.mark.parametrize("name", ["mirrored", "half_speed", "double_speed", "360px", "240px", "rolled_10deg",
                                  "darkened", "dropped_frames"])
def test_variant_keeps_the_three_reps_and_gives_no_fault(variant, labels, name):
    report, cued = _squat(variant(name))
    assert report["summary"]["rep_count"] == labels[SQUATS]["reps"], (name, _messages(report))
    assert not cued, name


def test_a_clip_cut_to_one_rep_counts_that_rep(variant):
    report, _ = _squat(variant("one_rep"))
    assert report["summary"]["rep_count"] == 1


def test_three_seconds_of_empty_scene_keep_the_reps_and_say_where_the_person_went(variant):
    report, cued = _squat(variant("empty_scene"))
    assert report["summary"]["rep_count"] == 3
    assert not cued
    gap = [e for e in report["events"] if e["code"] == "no_person"]
    assert gap and all(2.3 <= e["t_s"] <= 5.5 for e in gap)


@pytest.mark.parametrize("name", ["lean_mirrored", "lean_double_speed"])
def test_forward_lean_is_still_cued_when_mirrored_or_sped_up(variant, labels, name):
    report, cued = _squat(variant(name))
    assert report["summary"]["rep_count"] == labels[LEAN]["reps"]
    assert cued == {"excessive_forward_lean"}


def test_two_clips_joined_by_a_hard_cut_count_both_and_say_the_person_changed(labels):
    # The second shot puts its person at the left edge, as a cut to another camera would.
    fit = "scale=640:360:force_original_aspect_ratio=decrease,setsar=1,fps=30"
    args = ["-filter_complex", f"[0:v]{fit}[a];[1:v]{fit},pad=640:360:0:0[b];[a][b]concat=n=2:v=1[out]",
            "-map", "[out]"]
    report, cued = _squat(_recording("hard_cut", args, [SQUATS, LEAN]))
    assert report["summary"]["rep_count"] == labels[SQUATS]["reps"] + labels[LEAN]["reps"]
    assert cued == {"excessive_forward_lean"}
    assert any(e["code"] == "second_person" and 15.0 <= e["t_s"] <= 15.6 for e in report["events"])

