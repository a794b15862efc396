"""`posecheck validate --perturb`: the perturbation rule on the shipped specs, the flip
count on hand-made runs, the perturbed spec reaching the checker on a real recording,
and the real command on three shared clips."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from posecheck.engine.analysis import analyze
from posecheck.engine.profiles import Profile
from posecheck.engine.spec import FaultSpec, all_specs, get_spec
from posecheck.validation.perturb import (FACTORS, PerturbOutcome, perturb_clip, perturb_fault, perturb_spec,
                                         summarise_flips)
from posecheck.validation.runner import ClipJob, ClipOutcome
from posecheck.validation.scoring import CheckerRun

from .conftest import CACHE, VIDEOS, needs_shared, recording_for, run_cli


def _fault(**kw) -> FaultSpec:
    return FaultSpec(**{"code": "x", "views": ["side"], "during": "rep", "cue": "c", "evidence": "e", **kw})


# --- the rule ----------------------------------------------------------------------------------

def test_offsets_from_a_reference_are_scaled_and_absolute_thresholds_move_from_the_neutral():
    depth = _fault(metric="squat_depth_deg", fault_if="below", enter=-15.0, reference="profile:squat.depth_deg")
    assert perturb_fault(depth, 0.9).enter == pytest.approx(-13.5)  # nearer the target: stricter
    assert perturb_fault(depth, 1.1).enter == pytest.approx(-16.5) and perturb_fault(depth, 1.1).exit is None
    sag = _fault(metric="trunk_tilt_deg", fault_if="below", enter=-10.0, exit=-6.0, reference="baseline")
    assert (perturb_fault(sag, 1.1).enter, perturb_fault(sag, 1.1).exit) == pytest.approx((-11.0, -6.6))
    # 180 deg = straight: 160 is 20 deg short of it, so +-10% is +-2 deg, not +-16
    hips = _fault(metric="hip_extension_deg", fault_if="below", enter=160.0)
    assert perturb_fault(hips, 0.9).enter == pytest.approx(162.0)
    assert perturb_fault(hips, 1.1).enter == pytest.approx(158.0)
    arch = _fault(metric="hip_extension_deg", fault_if="above", enter=195.0, exit=188.0)
    assert (perturb_fault(arch, 0.9).enter, perturb_fault(arch, 0.9).exit) == pytest.approx((193.5, 187.2))
    # an absolute threshold on a metric with no declared neutral is not moved
    assert perturb_fault(_fault(metric="heel_rise_ratio", fault_if="above", enter=0.3), 0.9) is None
    spec = get_spec("glute_bridge")
    moved, unmoved = perturb_spec(spec, 1.1)
    assert unmoved == [] and get_spec("glute_bridge") == spec  # the loaded spec is untouched
    assert [f.enter for f in moved.faults] == pytest.approx([158.0, 196.5])


def test_a_neutral_declared_in_the_spec_comes_first_and_the_uncalibrated_offset_scales_too():
    if not {"neutral", "uncalibrated_enter"} <= set(FaultSpec.model_fields):
        pytest.skip("this FaultSpec has no neutral or uncalibrated threshold")
    hips = _fault(metric="hip_extension_deg", fault_if="below", enter=160.0, neutral=170.0)
    assert perturb_fault(hips, 1.1).enter == pytest.approx(159.0)
    depth = _fault(metric="squat_depth_deg", fault_if="below", enter=-15.0, uncalibrated_enter=-18.0,
                   reference="profile:squat.depth_deg")
    assert perturb_fault(depth, 0.9).uncalibrated_enter == pytest.approx(-16.2)


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.name)
def test_every_shipped_fault_is_perturbed_minus_stricter_plus_looser_hysteresis_kept(spec):
    for label, factor in FACTORS.items():
        moved, unmoved = perturb_spec(spec, factor)
        assert unmoved == [], f"{spec.name}: declare a neutral for {[f.metric for f in unmoved]} in perturb.NEUTRAL"
        for before, after in zip(spec.faults, moved.faults):
            FaultSpec.model_validate(after.model_dump())  # exit still on the good side of enter
            stricter = after.enter < before.enter if before.fault_if == "above" else after.enter > before.enter
            assert stricter == (factor < 1) or after.enter == before.enter == 0, (spec.name, before.code, label)


def test_flips_count_clip_verdicts_per_fault_both_ways():
    def run(checker, faults):
        return CheckerRun(checker, reps=[{"faults": faults}], holds=[], events=[], posture=[],
                          frames_total=10, frames_judged=10)

    outcomes = {"a.mp4": ClipOutcome("a.mp4", "done", runs=[run("squat", ["heels_lifting"]), run("glute_bridge", [])]),
                "b.mp4": ClipOutcome("b.mp4", "done", runs=[run("squat", [])])}
    perturbed = {
        "b.mp4": PerturbOutcome("b.mp4", "done",
                                reported={"-10%": {"squat": ["heels_lifting"]}, "+10%": {"squat": []}}),
        "a.mp4": PerturbOutcome("a.mp4", "done", reported={"-10%": {"squat": ["heels_lifting"], "glute_bridge": []},
                                                           "+10%": {"squat": [], "glute_bridge": ["over_arching"]}}),
        "c.mp4": PerturbOutcome("c.mp4", "failed", reason="no landmark recording")}
    flips = summarise_flips(outcomes, perturbed, ["a.mp4", "b.mp4", "c.mp4"])
    heels = flips["per_fault"]["heels_lifting"]
    assert (heels["verdicts"], heels["reported"], heels["flips"]) == (2, 1, {"-10%": 1, "+10%": 1})
    assert heels["flipped"] == {"-10%": [{"clip": "b.mp4", "checker": "squat", "reported": True}],
                                "+10%": [{"clip": "a.mp4", "checker": "squat", "reported": False}]}
    assert flips["per_fault"]["over_arching"]["flips"] == {"-10%": 0, "+10%": 1}
    assert flips["per_fault"]["shallow_depth"]["flips"] == {"-10%": 0, "+10%": 0}
    assert flips["failed"] == [{"clip": "c.mp4", "reason": "no landmark recording"}]
    assert flips["not_perturbed"] == [] and {t["checker"] for t in flips["thresholds"]} == {"squat", "glute_bridge"}


@needs_shared
def test_the_perturbed_thresholds_reach_the_checker_on_a_real_recording():
    """The clip labelled for leaning forward is cued for it; with every fault's size tripled
    (a trunk 90 deg ahead of the shins) it is not."""
    recording = recording_for("squat_side_forward_lean.mp4")
    found = {}
    for factor in (1.0, 3.0):
        spec, _ = perturb_spec(get_spec("squat"), factor)
        report, results = analyze(recording, spec, profile=Profile(user="validate"))
        found[factor] = CheckerRun.from_report("squat", report, results).reported_faults()
    assert "excessive_forward_lean" in found[1.0] and "excessive_forward_lean" not in found[3.0]


# --- the command ---------------------------------------------------------------------------------

CLIPS = ("squat_side_forward_lean.mp4", "corpus/ndnam0109__fitness-content/videos/1_foot_heel_bridges.mp4",
         "corpus/Hpy2GitHub__merged-exercise/public/videos/bird-dog.mp4")


@needs_shared
def test_validate_perturb_replays_the_recordings_and_reports_flips_per_fault(tmp_path):
    clips = json.loads((VIDEOS / "labels.json").read_text())["clips"]
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"about": "three shared clips", "clips": {name: clips[name] for name in CLIPS}}))
    out = tmp_path / "out"
    cached = {p.name for p in CACHE.iterdir()}
    proc = run_cli("validate", str(labels), "--root", str(VIDEOS), "--out", str(out), "--cache", str(CACHE),
                   "--workers", "2", "--perturb")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert {p.name for p in CACHE.iterdir()} == cached  # no new recording: the model never ran
    perturb = json.loads((out / "validation.json").read_text())["perturb"]
    assert perturb["failed"] == [] and perturb["not_perturbed"] == []
    codes = {c for name in ("squat", "glute_bridge", "bird_dog") for c in get_spec(name).fault_codes()}
    assert set(perturb["per_fault"]) == codes
    for code, f in perturb["per_fault"].items():
        assert f["verdicts"] == 1  # one clip x checker has it
        for label in FACTORS:
            assert f["flips"][label] == len(f["flipped"][label])
            assert all(x["reported"] != (f["reported"] == 1) for x in f["flipped"][label])
    # the flips are exactly the differences between the saved perturbed and normal verdicts
    differ = set()
    for path in (out / "clips").glob("*.perturb.json"):
        replayed = json.loads(path.read_text())
        normal = json.loads(path.with_name(path.name.replace(".perturb.json", ".json")).read_text())
        for run in map(lambda r: CheckerRun(**r), normal["runs"]):
            for label in FACTORS:
                now = set(replayed["reported"][label][run.checker])
                differ |= {(code, label, replayed["clip"], run.checker) for code in now ^ run.reported_faults()}
    assert differ == {(code, label, x["clip"], x["checker"]) for code, f in perturb["per_fault"].items()
                      for label in FACTORS for x in f["flipped"][label]}
    lines = proc.stdout.splitlines()
    assert any(line.startswith("margins") for line in lines)
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("threshold perturbation:")):]
    for code, f in perturb["per_fault"].items():
        row = next(line.split() for line in lines if line.split()[:1] == [code] and len(line.split()) == 5)
        assert row[1:] == [str(f["verdicts"]), str(f["reported"]), str(f["flips"]["-10%"]), str(f["flips"]["+10%"])]
    assert "Threshold perturbation" in (out / "validation.html").read_text()


@needs_shared
def test_a_perturbed_replay_is_saved_and_reused_for_the_same_recording_and_code(tmp_path):
    recording_for("squat_side_forward_lean.mp4")  # in the cache, as after the normal run
    job = ClipJob(name="lean.mp4", path=str(VIDEOS / "squat_side_forward_lean.mp4"), checkers=("squat",),
                  model="full", cache_dir=str(CACHE), result_path=str(tmp_path / "lean.mp4.json"),
                  code_digest="digest-a")
    first = perturb_clip(job)
    assert first.status == "done" and set(first.reported) == set(FACTORS), first.reason
    assert (tmp_path / "lean.mp4.perturb.json").is_file()
    again = perturb_clip(job)
    assert (again.status, again.reported) == ("reused", first.reported)
    assert perturb_clip(replace(job, code_digest="digest-b")).status == "done"  # other code: replayed
    missing = perturb_clip(replace(job, cache_dir=str(tmp_path / "no-cache")))
    assert missing.status == "failed" and "no landmark recording" in missing.reason  # the model is never run
