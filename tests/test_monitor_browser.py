"""The /monitor page in Debian's chromium, against a real `posecheck serve` and a real
`posecheck monitor` on the side-view slouch clip (looped, alert after 2 s): the alert is
pushed to the page, the live preview shows values against the limits, and the snooze
buttons pause and resume the monitor. Screenshot in test-artifacts/monitor-page.png."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import clip_path
from .test_browser import ARTIFACTS, CHROMIUM, start_server, stop_server  # noqa: F401 - skips without chromium
from .test_desk_monitor import stop, wait_for

pytestmark = pytest.mark.slow


def serve_with_a_looping_monitor(tmp_path):
    """A real server and a real monitor on a looped sitting clip, sharing a temporary data
    folder: (server, base URL, monitor process)."""
    (tmp_path / "run").mkdir()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles"),
           "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    server, base = start_server(env)
    monitor = subprocess.Popen([sys.executable, "-m", "posecheck", "monitor", "--source",
                                str(clip_path("sitting_side_slouch.mp4")), "--loop", "--interval", "0.5",
                                "--alert-after", "2", "--alert", "page"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return server, base, monitor


def test_monitor_page_shows_pushed_alerts_and_the_live_preview_and_snoozes(tmp_path):
    from playwright.sync_api import sync_playwright

    server, base, monitor = serve_with_a_looping_monitor(tmp_path)
    url = f"{base}/monitor"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            wait_for(lambda: page.goto(url) and True, timeout=30)
            page.wait_for_function("document.querySelectorAll('#preview tbody tr').length === 2", timeout=40000)
            preview = page.inner_text("#preview")
            assert "Head pushed forward" in preview and "Rounded shoulders" in preview and "below" in preview
            page.wait_for_selector(".toast", timeout=60000)  # pushed: the page does not poll for alerts
            toast = page.inner_text("#toasts")
            assert "Bad posture for" in toast and "head forward" in toast
            assert page.inner_text("#alerts").count("Bad posture") >= 1
            page.screenshot(path=str(ARTIFACTS / "monitor-page.png"), full_page=True)
            page.click("[data-pause='30m']")
            page.wait_for_function("document.getElementById('state').textContent === 'Paused'", timeout=10000)
            assert "snooze until" in page.inner_text("#setup")
            page.click("#resume")
            page.wait_for_function("document.getElementById('state').textContent !== 'Paused'", timeout=10000)
            browser.close()
    finally:
        stop(monitor)
        stop_server(server)
