"""The pipeline on every real clip: a person is found, the view and body position are
the labelled ones. Recordings are made once per session with the real full model."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from posecheck.pose.geometry import classify_position, classify_view
from posecheck.pose.landmarks import Landmark as L
from posecheck.pose.pipeline import PoseStream

from .conftest import needs_shared

pytestmark = [needs_shared, pytest.mark.slow]

POSITION_FOR_EXERCISE = {"glute_bridge": "lying", "bird_dog": "all_fours"}


def _smoothed(recording):
    with PoseStream(recording) as stream:  # replay path: no model, causal smoothing
        return list(stream)


def test_person_found_in_95_percent_of_frames(core_labels, recordings):
    for name in core_labels:
        frames = _smoothed(recordings[name])
        found = sum(pf.pose is not None for pf in frames) / len(frames)
        assert found >= 0.95, f"{name}: person found in {found:.0%} of frames"


def test_view_classifier_gives_the_labelled_view(core_labels, recordings):
    for name, label in core_labels.items():
        views = Counter(classify_view(pf.pose).family for pf in _smoothed(recordings[name]) if pf.pose)
        share = views[label["view"]] / sum(views.values())
        assert share >= 0.85, f"{name}: labelled {label['view']}, classified {dict(views)}"


def _in_segments(t_s: float, segments) -> bool:
    return any(seg["from"] <= t_s <= seg["to"] for seg in segments)


def test_body_position_matches_the_exercise(core_labels, recordings):
    for name, label in core_labels.items():
        frames = [pf for pf in _smoothed(recordings[name]) if pf.pose is not None]
        exercise = label["exercise"]
        if exercise == "sitting_posture":
            sitting_segments = [s for s in label["segments"] if s["state"] in ("upright", "slouched")]
            judged = [pf for pf in frames if _in_segments(pf.timestamp_ms / 1000, sitting_segments)]
            expected = "sitting"
        elif exercise == "squat":
            # Between reps the hips are at their highest: take the top quarter of hip heights.
            hip_y = np.array([(pf.pose.xy_px[L.LEFT_HIP][1] + pf.pose.xy_px[L.RIGHT_HIP][1]) / 2 for pf in frames])
            judged = [pf for pf, y in zip(frames, hip_y) if y <= np.quantile(hip_y, 0.25)]
            expected = "standing"
        else:
            judged = frames
            expected = POSITION_FOR_EXERCISE[exercise]
        positions = Counter(classify_position(pf.pose).value for pf in judged)
        share = positions[expected] / sum(positions.values())
        assert share >= 0.9, f"{name}: expected {expected}, got {dict(positions)}"


def test_standing_up_and_walking_away_is_not_sitting(core_labels, recordings):
    """sitting_side_slouch.mp4 ends with the person getting up and walking to the camera."""
    label = core_labels["sitting_side_slouch.mp4"]
    window = next(s for s in label["segments"] if s["state"] == "not_sitting")
    frames = [pf for pf in _smoothed(recordings["sitting_side_slouch.mp4"])
              if pf.pose is not None and window["from"] + 0.5 <= pf.timestamp_ms / 1000 <= window["to"]]
    judged_sitting_side_on = sum(classify_position(pf.pose).value == "sitting"
                                 and classify_view(pf.pose).is_side for pf in frames)
    assert judged_sitting_side_on / len(frames) < 0.5
