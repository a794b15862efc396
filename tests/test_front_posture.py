"""Front-view (laptop webcam) posture in the monitor's own loop, sample by sample, on
synthetic poses: the shared set has no real front-view slouch and no real sustained look
at a phone, so the stick model (posecheck/pose/synthetic.py) makes them, with 1 px of noise.
What the real front-view clips show is in test_desk_monitor.py."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.engine.profiles import Profile
from posecheck.monitor.control import MonitorState
from posecheck.monitor.service import MonitorLoop, MonitorSettings, Notifier
from posecheck.pose.landmarks import Landmark as L
from posecheck.pose.synthetic import body_to_pose, sitting
from posecheck.sinks.history import History

UPRIGHT = {}
FORWARD_HEAD = {"head_forward_deg": 50}  # head poked forward, gaze level
ROUNDED = {"shoulder_in_m": 0.045}  # shoulders rounded in
LOOKING_DOWN = {"head_forward_deg": 40, "head_pitch_deg": 35}  # neck bent, eyes on a phone
FACE = (L.NOSE, L.LEFT_EAR, L.RIGHT_EAR, L.LEFT_EYE, L.RIGHT_EYE, L.LEFT_EYE_INNER, L.RIGHT_EYE_INNER,
        L.LEFT_EYE_OUTER, L.RIGHT_EYE_OUTER, L.MOUTH_LEFT, L.MOUTH_RIGHT)


def run(tmp_path, segments: list[tuple[int, dict, tuple]]) -> tuple[list[str], list[dict], list[list[str]]]:
    """One sample a second through the monitor's loop (default settings: alert after 45 s)."""
    messages: list[str] = []
    rng = np.random.default_rng(7)
    states, faults = [], []
    with History(tmp_path / "h.sqlite") as history:
        loop = MonitorLoop(MonitorSettings(), Profile(), history, Notifier(channels=("page",), echo=messages.append),
                           MonitorState(), status=lambda _m: None, clock=lambda: 0.0)
        t = 1_800_000_000.0
        for seconds, pose_kw, hidden in segments:
            for _ in range(seconds):
                pose = body_to_pose(sitting(**pose_kw), view="front", t_ms=t * 1000, index=0, rng=rng, noise_px=1.0,
                                    hidden=hidden)
                states.append(loop.judge(t, 0, pose, 1.0))
                faults.append(list(loop.state.latest.get("faults", [])))
                t += 1
        alerts = history.alerts(0, 1e12)
    return states, alerts, faults


def test_an_upright_front_view_stays_upright_for_ten_minutes(tmp_path):
    states, alerts, _ = run(tmp_path, [(600, UPRIGHT, ())])
    assert set(states) == {"upright"} and alerts == []


@pytest.mark.parametrize("slouch, fault", [(FORWARD_HEAD, "forward_head"), (ROUNDED, "rounded_shoulders")])
def test_a_front_view_slouch_alerts_once_it_has_lasted_the_alert_window(tmp_path, slouch, fault):
    states, alerts, faults = run(tmp_path, [(10, UPRIGHT, ()), (70, slouch, ())])
    assert states[:10] == ["upright"] * 10 and states[-1] == "slouched"
    assert faults[-1] == [fault]
    assert [a["kind"] for a in alerts] == ["posture"]
    first_slouched = states.index("slouched")
    assert 45 <= (alerts[0]["ts"] - 1_800_000_000.0) - first_slouched <= 47


def test_a_head_held_bent_over_a_phone_for_minutes_is_a_forward_head(tmp_path):
    # Issue 18: a glance down is not a fault, a head bent over a phone for minutes is.
    segments = [(10, UPRIGHT, ())] + [(50, LOOKING_DOWN, ()), (10, UPRIGHT, ())] * 3 + [(180, LOOKING_DOWN, ())]
    states, alerts, faults = run(tmp_path, segments)
    assert states[-1] == "slouched" and "forward_head" in faults[-1]
    assert alerts and all(a["kind"] == "posture" for a in alerts)


def test_rounded_shoulders_while_looking_down_still_alert(tmp_path):
    states, alerts, faults = run(tmp_path, [(10, UPRIGHT, ()), (70, {**LOOKING_DOWN, "shoulder_in_m": 0.045}, ())])
    assert states[-1] == "slouched" and "rounded_shoulders" in faults[-1]
    assert [a["kind"] for a in alerts] == ["posture"]


def test_a_face_covered_for_a_moment_is_not_judged_and_never_slouched(tmp_path):
    states, alerts, _ = run(tmp_path, [(10, UPRIGHT, ()), (6, UPRIGHT, FACE), (20, UPRIGHT, ())] * 4)
    assert "slouched" not in states and alerts == []
    assert states[12] == "not_visible" and states[-1] == "upright"
