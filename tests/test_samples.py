"""The landmark recordings shipped in samples/ (the README's first thing to try): each is
what `python -m posecheck.pose.synthetic samples` writes today, and each shows what its
name says."""

from __future__ import annotations

import gzip

import pytest

from posecheck.engine.analysis import analyze
from posecheck.engine.profiles import Profile
from posecheck.engine.spec import get_spec
from posecheck.pose.synthetic import SAMPLES, write_samples

from .conftest import REPO

SHOWS = {  # sample -> (exercise, the fault its name promises, or None for a clean one)
    "squat_good_side": ("squat", None),
    "squat_forward_lean_side": ("squat", "excessive_forward_lean"),
    "squat_heels_lifting_side": ("squat", "heels_lifting"),
    "squat_shallow_side": ("squat", "shallow_depth"),
    "squat_knee_valgus_front": ("squat", "knee_valgus"),
    "glute_bridge_good": ("glute_bridge", None),
    "glute_bridge_over_arching": ("glute_bridge", "over_arching"),
    "bird_dog_good": ("bird_dog", None),
    "bird_dog_hip_rotation": ("bird_dog", "hip_rotation"),
    "sitting_slouch": ("sitting_posture", "rounded_shoulders"),
}


def test_every_sample_is_listed_here():
    assert set(SHOWS) == set(SAMPLES)


def test_the_shipped_samples_are_what_the_generator_writes_today(tmp_path):
    write_samples(str(tmp_path))
    for name in SAMPLES:
        shipped = REPO / "samples" / f"{name}.landmarks.jsonl.gz"
        fresh = tmp_path / shipped.name
        assert gzip.decompress(shipped.read_bytes()) == gzip.decompress(fresh.read_bytes()), (
            f"{shipped.name} is stale: run python -m posecheck.pose.synthetic samples")


@pytest.mark.parametrize("name", SHOWS)
def test_each_sample_shows_what_its_name_says(name):
    exercise, fault = SHOWS[name]
    report, _ = analyze(REPO / "samples" / f"{name}.landmarks.jsonl.gz", get_spec(exercise), profile=Profile())
    seen = set(report["summary"]["fault_counts"]) | {f for span in report.get("posture", []) for f in span["faults"]}
    if fault is None:
        assert not seen, seen
    else:
        assert fault in seen, seen
    if exercise != "sitting_posture":
        assert report["reps"] or report["holds"]
