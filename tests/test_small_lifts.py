"""A bridge too small to count is told so, with the correction, on real recordings: the
lift a weak or guarded patient makes first gets "lift your hips higher", not silence;
full bridges, their way down, and face-down exercises never get that line. And fault
injection never pushes the body past where it rests (hips through the floor)."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.engine.spec import get_spec
from posecheck.pose.pipeline import PoseStream
from posecheck.validation import clean_run as cr
from posecheck.validation import injection as inj

from .conftest import needs_shared, recording_for

pytestmark = needs_shared

NDNAM = "corpus/ndnam0109__fitness-content/videos/"
TOO_SMALL = "Not counted: your hips rose"


def _raw(name: str) -> list:
    with PoseStream(recording_for(name)) as stream:
        return list(stream.raw())


def _said_too_small(report: dict) -> list[dict]:
    return [e for e in report["events"] if e["code"] == "not_counted" and e["message"].startswith(TOO_SMALL)]


@pytest.fixture(scope="module")
def glute_bridges() -> cr.CleanRun:
    return cr.prepare(_raw(NDNAM + "glute_bridges.mp4"), get_spec("glute_bridge"))


def test_a_bridge_that_barely_leaves_the_floor_is_not_counted_and_told_to_lift_higher(glute_bridges):
    run = glute_bridges
    first = run.units[0]
    faults = [f for f in run.spec.faults if f.code == "incomplete_hip_extension"]
    # The first bridge held 1.5x its threshold low (150 deg at the top): the hips rise ~0.06
    # torso lengths, under the 0.10 a rep needs.
    report, _ = cr.check(inj.inject(run, faults, 1.5, [first]).frames, run.spec)
    assert not cr.unit_seen(report, first)
    said = _said_too_small(report)
    # (Injected, the hips sag back to the edge of lying mid-way and lift again: two lifts.)
    assert said and all(first.start_s <= e["t_s"] <= first.end_s + 1.0 for e in said)
    assert "lift your hips higher" in said[0]["message"] and "a bridge counts from 10%" in said[0]["message"]
    assert len(report["reps"]) == len(run.units) - 1  # the others still count


@pytest.mark.parametrize("name", ["bridge_side.mp4", NDNAM + "glute_bridges.mp4", NDNAM + "1_foot_heel_bridges.mp4",
                                  "corpus/ErwanViot__wanshape/public/videos/glute-bridge.mp4"])
def test_full_bridges_and_their_way_down_are_never_called_too_small(name):
    report, _ = cr.check(_raw(name), get_spec("glute_bridge"))
    assert report["reps"] and not _said_too_small(report)


@pytest.mark.parametrize("name", ["corpus/ErwanViot__wanshape/public/videos/superman-alterne.mp4",
                                  "corpus/BE-PROJECTS2018__GroupNo23-Health-and-Fitness-Assistant/pup.mp4"])
def test_hips_lifting_a_little_face_down_are_no_bridge_attempt(name):
    # Both lift the hips 0.07-0.09 above their resting line, face down.
    report, _ = cr.check(_raw(name), get_spec("glute_bridge"))
    assert not report["reps"] and not _said_too_small(report)


def test_injected_hips_stop_at_the_floor_and_a_bridge_that_would_need_them_lower_is_not_scored():
    run = cr.prepare(_raw(NDNAM + "1_foot_heel_bridges.mp4"), get_spec("glute_bridge"))
    faults = [f for f in run.spec.faults if f.code == "incomplete_hip_extension"]
    injected = inj.inject(run, faults, 1.5, run.units)
    lift = np.array([cr.finite(cr.metric_of("hip_lift_ratio", pf.pose, g, run.spec)) if g else np.nan
                     for pf, g in zip(injected.frames, run.geo)])
    for k, unit in enumerate(run.units):
        name, floor = inj.resting_bound(run, unit)
        moved = (injected.weights > 0) & (run.times >= unit.start_s) & (run.times <= unit.end_s)
        clean = run.raw_metric(name)
        # Where the move was applied, the hips are no lower than the floor (or than the
        # clean frame itself, where its own noise had it lower).
        assert np.all(lift[moved] >= np.minimum(floor, clean[moved]) - 1e-6)
    # The single-leg heel bridges top out so low that 150 deg at the hip is under the floor
    # for some of them: those are short of the size asked for, and not scored.
    assert injected.short_units


def _lifts_scaled(frames: list, k: float) -> list:
    """Every lift of the hips above the lying level scaled by k (the hips moved along the
    normal to the shoulder-foot line, in the picture and in the world alike)."""
    from posecheck.pose.types import PoseFrame
    from posecheck.validation.moves import image_scale

    def height(p):
        xy = p.xy_px.astype(float)
        shoulders, hips = (xy[11] + xy[12]) / 2, (xy[23] + xy[24]) / 2
        floor = (xy[27] if xy[27][1] > xy[28][1] else xy[28]) - shoulders
        up = np.array([floor[1], -floor[0]]) / np.hypot(*floor)
        up = -up if up[1] > 0 else up
        torso = float(np.hypot(*(hips - shoulders)))
        return float(np.dot(hips - shoulders, up)) / torso, up, torso

    rest = float(np.percentile([height(f.pose)[0] for f in frames if f.pose is not None], 5))
    out = []
    for f in frames:
        if f.pose is None or height(f.pose)[0] <= rest:
            out.append(f)
            continue
        h, up, torso = height(f.pose)
        d_px = (rest + k * (h - rest) - h) * torso * up
        xyz, w = f.pose.xyz_norm.copy(), f.pose.world_xyz.copy()
        width, tall = f.pose.resolution_wh
        xyz[[23, 24], 0] += d_px[0] / width
        xyz[[23, 24], 1] += d_px[1] / tall
        s = image_scale(f.pose)
        w[[23, 24], 0] += d_px[0] / s
        w[[23, 24], 1] += d_px[1] / s
        out.append(PoseFrame(f.timestamp_ms, f.index, f.pose.with_coords(xyz, w), f.frame))
    return out


def test_the_rise_said_never_rounds_up_to_the_rise_a_rep_needs():
    # Every bridge of the clip a quarter of its height: just under the 0.10 a rep needs.
    report, _ = cr.check(_lifts_scaled(_raw("bridge_side.mp4"), 0.24), get_spec("glute_bridge"))
    said = _said_too_small(report)
    assert said and not report["reps"]
    for e in said:
        rose = int(e["message"].split("rose ")[1].split("%")[0])
        assert rose < 10, e["message"]


def test_a_lift_kept_from_being_a_rep_for_another_reason_is_not_called_too_small():
    # Ball-squeeze bridges at 0.6 of their height: one rises 0.11 but is kept from being a
    # rep by the rise-from-trough rule (a glitch frame had read lying); "rose 11%, a bridge
    # counts from 10%: lift higher" would contradict itself.
    clip = "corpus/Hpy2GitHub__merged-exercise/public/videos/bridge-with-ball-squeeze.mp4"
    report, _ = cr.check(_lifts_scaled(_raw(clip), 0.6), get_spec("glute_bridge"))
    for e in _said_too_small(report):
        assert int(e["message"].split("rose ")[1].split("%")[0]) < 10, e["message"]


def test_losing_the_person_for_over_a_second_mid_bridge_still_gives_a_report():
    from posecheck.pose.types import PoseFrame

    frames = [PoseFrame(f.timestamp_ms, f.index, None, f.frame) if 1000 <= f.timestamp_ms < 2300 else f
              for f in _raw("bridge_side.mp4")]
    report, _ = cr.check(frames, get_spec("glute_bridge"))  # it raised a TypeError here
    assert report["reps"]


def test_a_superman_raises_its_hips_under_the_shoulder_foot_line_and_is_no_bridge_attempt_on_either_backend():
    from .conftest import tasks_recording_for

    clip = "corpus/ErwanViot__wanshape/public/videos/superman-alterne.mp4"
    for path in (recording_for(clip), tasks_recording_for(clip)):
        with PoseStream(path) as stream:
            report, _ = cr.check(list(stream.raw()), get_spec("glute_bridge"))
        assert not report["reps"] and not _said_too_small(report), path.name
