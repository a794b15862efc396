"""Posture monitor: alert logic, history, real looped clips, clean stops, kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from posecheck.engine.profiles import Profile
from posecheck.monitor.service import MonitorSettings, Notifier, PostureAlerts, run_monitor
from posecheck.sinks.history import History

from .conftest import clip_path, needs_shared, run_cli


def feed(alerts: PostureAlerts, states, step_s: float = 1.0, t0: float = 1000.0):
    out, breaks = [], []
    for i, state in enumerate(states):
        new, took = alerts.update(t0 + i * step_s, state, ["forward_head"] if state == "slouched" else [])
        out += new
        if took:
            breaks.append(took)
    return out, breaks


def test_bad_posture_alerts_after_the_threshold_and_not_before():
    alerts, _ = feed(PostureAlerts(MonitorSettings(alert_after_s=30)), ["slouched"] * 29)
    assert alerts == []
    alerts, _ = feed(PostureAlerts(MonitorSettings(alert_after_s=30)), ["slouched"] * 40)
    assert [a.kind for a in alerts] == ["posture"] and "head forward" in alerts[0].message
    assert alerts[0].ts == pytest.approx(1030.0)


def test_sitting_up_resets_the_bad_posture_clock():
    alerts, _ = feed(PostureAlerts(MonitorSettings(alert_after_s=30)), (["slouched"] * 20 + ["upright"] * 3) * 4)
    assert alerts == []


def test_a_few_unjudged_samples_do_not_reset_it():
    states = ["slouched"] * 20 + ["not_visible"] * 3 + ["slouched"] * 15
    alerts, _ = feed(PostureAlerts(MonitorSettings(alert_after_s=30)), states)
    assert len(alerts) == 1


def test_still_slouched_gets_a_reminder_later():
    alerts, _ = feed(PostureAlerts(MonitorSettings(alert_after_s=30, realert_s=60)), ["slouched"] * 100)
    assert [round(a.ts - 1000) for a in alerts] == [30, 90]


def test_away_is_not_slouched():
    alerts, _ = feed(PostureAlerts(MonitorSettings(alert_after_s=5)), ["away"] * 100)
    assert alerts == []


def test_movement_break_reminder_after_long_sitting_and_reset_by_a_break():
    settings = MonitorSettings(break_after_s=600, break_min_s=60, alert_after_s=1e9)
    alerts, _ = feed(PostureAlerts(settings), ["upright"] * 700, step_s=1.0)
    assert [a.kind for a in alerts] == ["break"] and "sitting for 10 min" in alerts[0].message
    states = ["upright"] * 500 + ["away"] * 90 + ["upright"] * 500
    alerts, breaks = feed(PostureAlerts(settings), states)
    assert alerts == [] and len(breaks) == 1 and breaks[0][1] - breaks[0][0] == pytest.approx(90)


def test_history_aggregates_minutes_and_uses_wal(tmp_path):
    with History(tmp_path / "h.sqlite") as h:
        for i in range(120):
            h.add_sample(600.0 + i, "slouched" if i < 45 else "upright", 1.0, ["forward_head"] if i < 45 else [])
        h.add_alert(650.0, "posture", "x", ["forward_head"])
        minutes = h.minutes(0, 10_000)
        assert [m["state"] for m in minutes] == ["slouched", "upright"]  # each minute by its main state
        assert minutes[0]["slouched_s"] == 45 and minutes[0]["faults"] == {"forward_head": 45}
        summary = h.summary(0, 10_000)
        assert summary["seconds"]["upright"] == 75 and summary["posture_alerts"] == 1
        assert h.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _labelled(label, t):
    return next((s for s in label["segments"] if s["from"] <= t <= s["to"]), None)


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("clip", ["sitting_side_slouch.mp4", "sitting_side_catcow.mp4"])
def test_alerts_fire_in_slouched_windows_only_and_history_matches(labels, tmp_path, clip):
    label = labels[clip]
    settings = MonitorSettings(source=str(clip_path(clip)), interval_s=0.5, alert_after_s=1.5, loop=True, fast=True,
                               max_samples=70)  # twice round the clip
    messages = []
    with History(tmp_path / "h.sqlite") as history:
        start = time.time()
        run_monitor(settings, Profile(), history, Notifier(desktop=False, echo=messages.append),
                    status=lambda _m: None, clock=lambda: start)
        alerts = history.alerts(0, 1e12)
        samples = history.samples(0, 1e12)
    duration = 17.6 if "slouch" in clip else 16.17
    assert alerts, "no alert at all"
    for alert in alerts:
        t = (alert["ts"] - start) % duration
        seg = _labelled(label, t)
        assert seg is None or seg["state"] == "slouched", f"alert at {t:.1f} s in {seg}"
    slouched_windows = [s for s in label["segments"] if s["state"] == "slouched"]
    alert_times = [(a["ts"] - start) % duration for a in alerts]
    for window in slouched_windows:
        assert any(window["from"] <= t <= window["to"] + 1.0 for t in alert_times), window
    right = judged = 0
    for sample in samples:
        seg = _labelled(label, (sample["ts"] - start) % duration)
        if seg is None:
            continue
        judged += 1
        right += sample["state"] == seg["state"] or (seg["state"] == "not_sitting"
                                                     and sample["state"] in ("not_sitting", "not_visible", "away"))
    assert right / judged >= 0.85
    assert len(messages) == len(alerts)


def _monitor_proc(tmp_path, *args):
    return subprocess.Popen([sys.executable, "-m", "posecheck", "monitor", "--db", str(tmp_path / "h.sqlite"),
                             "--no-notify", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "POSECHECK_PROFILE_DIR": str(tmp_path)})


@needs_shared
@pytest.mark.slow
def test_kill_9_mid_run_leaves_a_readable_database(tmp_path):
    proc = _monitor_proc(tmp_path, "--source", str(clip_path("sitting_side_catcow.mp4")), "--loop", "--fast",
                         "--interval", "0.5")
    time.sleep(8)
    proc.kill()  # SIGKILL: no chance to clean up
    proc.wait()
    db = sqlite3.connect(str(tmp_path / "h.sqlite"))
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM samples").fetchone()[0] > 10
    db.close()
    with History(tmp_path / "h.sqlite") as history:  # and the monitor can carry on with it
        assert history.summary(0, 1e12)["seconds"]["upright"] > 0


@needs_shared
@pytest.mark.slow
def test_sigterm_stops_cleanly(tmp_path):
    proc = _monitor_proc(tmp_path, "--source", str(clip_path("sitting_side_slouch.mp4")), "--loop")
    time.sleep(5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "stopped after" in err


def test_missing_camera_retries_with_backoff_without_crashing_or_spinning(tmp_path):
    proc = _monitor_proc(tmp_path, "--source", "7")
    time.sleep(6)
    with open(f"/proc/{proc.pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "camera 7 unavailable" in err and "retrying in 2 s" in err
    assert cpu_s < 4.0  # start-up (model load) only: no busy loop while waiting


def test_report_summarises_today(tmp_path):
    with History(tmp_path / "h.sqlite") as h:
        now = time.time()
        for i in range(90):
            h.add_sample(now - 100 + i, "slouched" if i < 60 else "upright", 1.0, [])
        h.add_alert(now - 50, "posture", "x", [])
    proc = run_cli("monitor", "report", "--db", str(tmp_path / "h.sqlite"), "--json", check=True)
    report = json.loads(proc.stdout)
    assert report["today"]["seconds"]["slouched"] == 60 and report["today"]["posture_alerts"] == 1
    text = run_cli("monitor", "report", "--db", str(tmp_path / "h.sqlite"), check=True).stdout
    assert text.startswith("today: upright 0.5 min, slouched 1.0 min")


def test_report_without_history_says_so(tmp_path):
    proc = run_cli("monitor", "report", "--db", str(tmp_path / "none.sqlite"))
    assert proc.returncode == 1 and "no history yet" in proc.stderr


def test_monitor_page_api_reads_the_history(tmp_path):
    from fastapi.testclient import TestClient

    from posecheck.server.app import ServerSettings, create_app

    with History(tmp_path / "h.sqlite") as h:
        now = time.time()
        for i in range(30):
            h.add_sample(now - 40 + i, "upright", 1.0, [])
    with TestClient(create_app(ServerSettings(data_dir=tmp_path, history_db=tmp_path / "h.sqlite")),
                    base_url="http://127.0.0.1:8000") as client:
        day = client.get("/api/monitor/day").json()
        assert day["has_history"] and day["summary"]["seconds"]["upright"] == 30
        assert day["timeline"] and day["hourly"]
        assert client.get("/monitor").status_code == 200
        assert client.get("/api/monitor/day", params={"date": "21/11"}).status_code == 400
