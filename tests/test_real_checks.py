"""The checkers on the real labelled clips: reps, holds, faults, posture windows, and
the `analyze` / `calibrate` commands a user runs."""

from __future__ import annotations

import json

import pytest

from posecheck.engine.analysis import analyze, calibrate
from posecheck.engine.profiles import Profile
from posecheck.engine.spec import get_spec

from .conftest import needs_shared, run_cli

pytestmark = [needs_shared, pytest.mark.slow]


def _analyze(recordings, name, label, profile=None):
    return analyze(recordings[name], get_spec(label["exercise"]), profile=profile or Profile())


def _cued(report) -> set[str]:
    return {e["code"] for e in report["events"] if e["kind"] == "cue"}


def test_labelled_rep_counts(core_labels, recordings):
    for name, label in core_labels.items():
        if "reps" not in label:
            continue
        report, _ = _analyze(recordings, name, label)
        assert report["summary"]["rep_count"] == label["reps"], name


def test_rep_bottoms_are_where_the_labels_put_them(core_labels, recordings):
    for name, label in core_labels.items():
        if "rep_bottoms_s" not in label:
            continue
        report, _ = _analyze(recordings, name, label)
        for rep, bottom in zip(report["reps"], label["rep_bottoms_s"]):
            assert abs(rep["bottom_s"] - bottom) <= 0.7, (name, rep["bottom_s"], bottom)


def test_hold_windows_are_found(core_labels, recordings):
    for name, label in core_labels.items():
        windows = label.get("top_holds_s") or label.get("holds_s")
        if not windows:
            continue
        report, _ = _analyze(recordings, name, label)
        assert len(report["holds"]) == len(windows), name
        for hold, window in zip(report["holds"], windows):
            start, end = (window["from"], window["to"]) if isinstance(window, dict) else window
            overlap = max(0.0, min(end, hold["end_s"]) - max(start, hold["start_s"]))
            assert overlap / (end - start) >= 0.7, (name, hold, window)
            if isinstance(window, dict):
                assert hold["side"] == window["side"], name


def test_labelled_faults_are_cued_and_clean_clips_get_none(core_labels, recordings):
    for name, label in core_labels.items():
        if label["exercise"] == "sitting_posture":
            continue
        report, _ = _analyze(recordings, name, label)
        assert _cued(report) == set(label["faults"]), (name, _cued(report))


def _agreement(label, results) -> float:
    right = total = 0
    for r in results:
        seg = next((s for s in label["segments"] if s["from"] <= r.t_s <= s["to"]), None)
        if seg is None:
            continue
        total += 1
        if seg["state"] == "not_sitting":
            right += r.posture_state in ("not_sitting", "not_visible")
        else:
            right += r.posture_state == seg["state"]
    return right / total


@pytest.mark.parametrize("clip", ["sitting_side_slouch.mp4", "sitting_side_catcow.mp4"])
def test_sitting_windows_match_the_labels(core_labels, recordings, clip):
    label = core_labels[clip]
    report, results = _analyze(recordings, clip, label)
    assert _agreement(label, results) >= 0.9
    assert "forward_head" in _cued(report)
    assert not (_cued(report) - {"forward_head", "rounded_shoulders", "slouched_trunk"})


@pytest.mark.parametrize("clip", ["sitting_side_slouch.mp4", "sitting_side_catcow.mp4"])
def test_sitting_calibrated_on_an_upright_window_cues_both_labelled_faults(core_labels, recordings, clip):
    label = core_labels[clip]
    spec = get_spec("sitting_posture")
    upright = next(s for s in label["segments"] if s["state"] == "upright")
    profile = Profile()
    profile.update(spec.name, calibrate(recordings[clip], spec, start_s=upright["from"], end_s=upright["to"]))
    report, results = analyze(recordings[clip], spec, profile=profile)
    assert {"forward_head", "rounded_shoulders"} <= _cued(report)
    assert _agreement(label, results) >= 0.8


def test_analyze_json_has_the_documented_schema(recordings):
    proc = run_cli("analyze", str(recordings["bridge_side.mp4"]), "--exercise", "glute_bridge", "--json",
                   check=True)
    report = json.loads(proc.stdout)
    for key in ("exercise", "view", "duration_s", "reps", "holds", "events", "summary", "source",
                "fault_checks", "not_judged", "people"):
        assert key in report
    assert report["view"] == "side" and report["exercise"] == "glute_bridge"
    assert set(report["reps"][0]) == {"index", "start_s", "end_s", "bottom_s", "side", "faults", "judged",
                                         "not_judged", "unsure", "hold_s", "hold_target_s", "hold_short", "verdict", "good",
                                         "metrics"}
    assert report["reps"][0]["hold_short"] and not report["reps"][0]["good"]  # ~1.6 s of a 3-5 s hold
    assert set(report["fault_checks"][0]) == {"code", "t_s", "value", "threshold", "noise", "verdict", "reason",
                                              "metric", "unit"}
    assert set(report["holds"][0]) >= {"start_s", "end_s", "side", "good_s"}
    assert set(report["events"][0]) == {"t_s", "kind", "code", "message", "severity"}


def test_analyze_posture_json_has_a_timeline(recordings):
    proc = run_cli("analyze", str(recordings["sitting_side_catcow.mp4"]), "-e", "sitting_posture", "--json",
                   check=True)
    posture = json.loads(proc.stdout)["posture"]
    assert {s["state"] for s in posture} >= {"upright", "slouched"}
    assert all(set(s) == {"start_s", "end_s", "state", "faults"} for s in posture)


def test_calibrate_sitting_writes_the_profile_analyze_then_uses(recordings, tmp_path):
    env = {"POSECHECK_PROFILE_DIR": str(tmp_path)}
    rec = str(recordings["sitting_side_catcow.mp4"])
    run_cli("calibrate", "sitting", rec, "--start", "6.0", "--end", "8.3", "--user", "ana", env=env, check=True)
    stored = json.loads((tmp_path / "ana.json").read_text())
    assert -20 < stored["values"]["sitting.side.head_forward_deg"] < 10
    proc = run_cli("analyze", rec, "-e", "sitting_posture", "--json", "--user", "ana", env=env, check=True)
    assert json.loads(proc.stdout)["calibrated"] is True


def test_calibrate_squat_records_the_deepest_clean_rep(recordings, tmp_path):
    env = {"POSECHECK_PROFILE_DIR": str(tmp_path)}
    run_cli("calibrate", "squat", str(recordings["squat_side_good.mp4"]), env=env, check=True)
    depth = json.loads((tmp_path / "default.json").read_text())["values"]["squat.depth_deg"]
    assert 85 < depth < 115  # labelled "deep, below parallel"


def test_calibrating_on_a_clip_without_reps_says_so(recordings, tmp_path):
    proc = run_cli("calibrate", "squat", str(recordings["sitting_side_catcow.mp4"]),
                   env={"POSECHECK_PROFILE_DIR": str(tmp_path)})
    assert proc.returncode == 1 and "calibration found no reps" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_analyze_on_a_video_file_end_to_end(labels):
    from .conftest import clip_path

    proc = run_cli("analyze", str(clip_path("squat_side_forward_lean.mp4")), "-e", "squat", check=True)
    assert "reps: 2" in proc.stdout and "Chest up" in proc.stdout


@pytest.mark.parametrize(("clip", "why"), [
    ("corpus/BE-PROJECTS2018__GroupNo23-Health-and-Fitness-Assistant/lungessu.mp4", "split front to back"),
    ("corpus/jrplatin__FormFit/deadlift.mp4", "hip hinge"),
])
def test_squat_look_alikes_count_nothing_cue_nothing_and_say_why(clip, why):
    from .conftest import recording_for

    report, _ = analyze(recording_for(clip), get_spec("squat"), profile=Profile())
    assert report["summary"]["rep_count"] == 0
    assert not _cued(report)
    assert any(e["code"] == "not_counted" and why in e["message"] for e in report["events"])


@pytest.mark.parametrize(("at_s", "state"), [(2.5, "upright"), (7.5, "slouched")])
def test_a_still_photo_of_a_posture_is_judged(tmp_path, at_s, state):
    from .conftest import clip_path, ffmpeg

    photo = tmp_path / "photo.jpg"
    ffmpeg("-ss", str(at_s), "-i", str(clip_path("sitting_side_slouch.mp4")), "-frames:v", "1", str(photo))
    proc = run_cli("analyze", str(photo), "-e", "sitting_posture", "--json", check=True)
    posture = json.loads(proc.stdout)["posture"]
    assert [span["state"] for span in posture] == [state]
