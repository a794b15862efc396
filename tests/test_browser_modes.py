"""Pose in the page and pose on the server tell a person the same thing: a shared clip
played as the live coach's camera in Chromium, once in each mode, against `posecheck
analyze` of the very pictures the camera played (the clip held on its first picture while
the page frames and counts down, then the clip, then its last picture held). Reps and holds must be equal;
so must each rep's and hold's faults. benchmarks/browser_modes.py runs all eight core clips."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from posecheck.engine.verdicts import told

from .conftest import REPO, clip_path, run_cli
from .test_browser import ARTIFACTS, MODES, SITE_WORDS, server  # noqa: F401 - the module's server; skips without chromium

sys.path.insert(0, str(REPO / "benchmarks"))
from _chromium import fake_camera, play_set  # noqa: E402 - the same player the benchmark uses

pytestmark = pytest.mark.slow
LEAD_IN_S, TAIL_S = 12.0, 4.0  # measuring the page's model, framing and 3-2-1 take under 10 s here


@pytest.mark.parametrize(("clip", "exercise"), [("bridge_side.mp4", "glute_bridge"), ("birddog_side.mp4", "bird_dog")])
def test_pose_in_the_page_and_on_the_server_tell_what_analyze_tells(server, tmp_path_factory, clip, exercise):  # noqa: F811
    y4m = fake_camera(clip_path(clip), tmp_path_factory.mktemp("cam") / (Path(clip).stem + "-played.y4m"),
                      fps=15, height=480, lead_in_s=LEAD_IN_S, tail_s=TAIL_S)
    offline = told(json.loads(run_cli("analyze", str(y4m), "--exercise", exercise, "--json", check=True).stdout))
    ARTIFACTS.mkdir(exist_ok=True)
    for mode in MODES:
        got = play_set(server, y4m, exercise, mode, lead_in_s=LEAD_IN_S, tail_s=TAIL_S,
                       shot=ARTIFACTS / f"modes-{Path(clip).stem}-{mode}.png")
        assert got["refused"] == [], got["refused"]
        assert got["site"].startswith(SITE_WORDS[mode]), got["site"]
        live = told(got["report"])
        assert (live["reps"], live["holds"]) == (offline["reps"], offline["holds"]), (mode, live, offline)
        assert live == offline, (mode, live, offline)


def test_a_set_stopped_during_a_bridge_hold_counts_it_nowhere_and_says_so(server, tmp_path_factory):  # noqa: F811
    """bridge_side cut in the middle of its second top hold, its last picture held: Stop is
    pressed during that hold. The counter, the summary's reps and its holds all say one,
    the notes say why the second did not count, and the hold bar is empty like its text."""
    from posecheck.engine.analysis import analyze
    from posecheck.engine.profiles import Profile
    from posecheck.engine.spec import get_spec

    from .conftest import recording_for

    second = analyze(recording_for("bridge_side.mp4"), get_spec("glute_bridge"), profile=Profile())[0]["holds"][1]
    cut_s = round((second["start_s"] + second["end_s"]) / 2, 2)
    y4m = fake_camera(clip_path("bridge_side.mp4"), tmp_path_factory.mktemp("cam") / "bridge-stopped-holding.y4m",
                      fps=15, height=480, seconds=cut_s, lead_in_s=LEAD_IN_S, tail_s=TAIL_S)
    got = play_set(server, y4m, "glute_bridge", "server", lead_in_s=LEAD_IN_S, tail_s=TAIL_S,
                   shot=ARTIFACTS / "bridge-stopped-holding.png")
    report = got["report"]
    assert len(report["reps"]) == len(report["holds"]) == 1, (report["reps"], report["holds"])
    assert got["counter"] == "1"
    assert got["hold_bar"] == "0%"  # beside "0 s of 3-5 s", not the cut hold's share
    assert "Not counted: the set ended during a hold (" in got["notes"], got["notes"]

