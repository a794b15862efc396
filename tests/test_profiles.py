"""Profiles: stored per user as JSON, written atomically, refused clearly when broken."""

from __future__ import annotations

import pytest

from posecheck.engine.profiles import Profile, load_profile, save_profile
from posecheck.errors import PosecheckError


def test_profile_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path))
    profile = Profile(user="sam")
    profile.update("squat", {"squat.depth_deg": 88.5})
    save_profile(profile)
    loaded = load_profile("sam")
    assert loaded.get("squat.depth_deg") == 88.5 and "squat" in loaded.calibrated_at
    assert [p.name for p in tmp_path.iterdir()] == ["sam.json"]


def test_recalibrating_replaces_only_that_exercise(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path))
    profile = Profile(values={"squat.depth_deg": 80.0, "sitting_posture.x": 1.0})
    profile.update("squat", {"squat.depth_deg": 95.0})
    assert profile.values == {"squat.depth_deg": 95.0, "sitting_posture.x": 1.0}
    profile.reset("squat")
    assert profile.values == {"sitting_posture.x": 1.0}


def test_missing_profile_is_an_empty_one(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path))
    assert load_profile("nobody").values == {}


def test_corrupt_profile_is_refused_with_a_way_out(tmp_path, monkeypatch):
    monkeypatch.setenv("POSECHECK_PROFILE_DIR", str(tmp_path))
    (tmp_path / "sam.json").write_text("{not json")
    with pytest.raises(PosecheckError, match="unreadable profile.*posecheck profile reset --user sam"):
        load_profile("sam")


@pytest.mark.parametrize("user", ["../etc/passwd", "a b", ""])
def test_user_names_cannot_escape_the_profile_folder(user):
    with pytest.raises(PosecheckError, match="user name"):
        load_profile(user)


def test_a_sitting_calibration_taken_side_on_is_not_announced_as_no_calibration():
    from posecheck.engine.checker import Checker
    from posecheck.engine.profiles import Profile
    from posecheck.engine.spec import get_spec

    side_only = Profile(user="t", values={"sitting.side.head_forward_deg": 10.0,
                                          "sitting.side.shoulder_ahead_deg": -20.0,
                                          "sitting.side.trunk_length_ratio": 0.9})
    notes = [e.message for e in Checker(get_spec("sitting_posture"), side_only).events if e.code == "not_calibrated"]
    assert len(notes) == 1 and notes[0].startswith("Partly calibrated for sitting_posture")
    assert "the front view" in notes[0] and "the side view" not in notes[0]
    fully = Profile(user="t", values={**side_only.values, "sitting.front.neck_drop_ratio": 0.6,
                                      "sitting.front.head_size_ratio": 0.35, "sitting.front.head_pitch_ratio": 0.2})
    assert not [e for e in Checker(get_spec("sitting_posture"), fully).events if e.code == "not_calibrated"]
    nothing = [e.message for e in Checker(get_spec("sitting_posture"), Profile()).events if e.code == "not_calibrated"]
    assert nothing and nothing[0].startswith("Not calibrated for sitting_posture")


def test_a_report_judged_on_a_side_on_sitting_calibration_says_partly_calibrated():
    from posecheck.cli.analyze import format_report
    from posecheck.engine.analysis import analyze
    from posecheck.engine.profiles import Profile
    from posecheck.engine.spec import get_spec

    from .conftest import REPO

    side_only = Profile(user="t", values={"sitting.side.head_forward_deg": 10.0,
                                          "sitting.side.shoulder_ahead_deg": -20.0},
                        calibrated_at={"sitting_posture": "2026-12-01T07:00:00"})
    report, _ = analyze(REPO / "samples" / "sitting_slouch.landmarks.jsonl.gz", get_spec("sitting_posture"),
                        profile=side_only)
    header = format_report(report).splitlines()[0]
    assert header.endswith("| partly calibrated"), header
    plain, _ = analyze(REPO / "samples" / "sitting_slouch.landmarks.jsonl.gz", get_spec("sitting_posture"),
                       profile=Profile())
    assert format_report(plain).splitlines()[0].endswith("| default targets (not calibrated)")
