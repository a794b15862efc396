"""The guided session in a real browser: Debian's chromium with a shared bridge clip as the
camera, against a real `posecheck serve` with its own history file. Then /progress and the
handout of what was stored, opened in the same browser. Screenshots in test-artifacts/."""

from __future__ import annotations

import sqlite3
import time

import pytest

from .conftest import run_cli
from .test_browser import ARTIFACTS, CHROMIUM, _browser, _fake_camera, start_server, stop_server  # noqa: F401 - skips without chromium
from .test_guided_sessions import write_routine

pytestmark = pytest.mark.slow

# Two short bridge sets with a 4 s rest, then a bird-dog set: enough for a set with
# counters, a rest, the pain stop in the second set, and a set the session never reaches.
BROWSER_ROUTINE = """
[routine]
name = "browser"
title = "Bridges, then bird-dogs"

[[steps]]
exercise = "glute_bridge"
sets = 2
reps = 3
hold_s = [3.0, 5.0]
rest_s = 4

[[steps]]
exercise = "bird_dog"
sets = 1
holds = 2
rest_s = 4
"""


@pytest.fixture(scope="module")
def guided_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("guided-data")
    write_routine(data / "specs", "browser", BROWSER_ROUTINE)
    proc, url = start_server({"POSECHECK_PROFILE_DIR": str(data / "profiles"), "XDG_DATA_HOME": str(data)},
                             "--exercises-dir", str(data / "specs"))
    yield url, data
    stop_server(proc)


def test_a_guided_session_in_chromium_from_safety_screen_to_pain_stop_and_summary(guided_server, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    url, data = guided_server
    y4m = _fake_camera(tmp_path_factory, "bridge_side.mp4")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p, y4m)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/session?routine=browser")
        page.wait_for_function("document.querySelectorAll('#red-flags li').length >= 3")
        assert page.is_visible("#pain") and page.is_disabled("#begin")
        assert "shooting pain" in page.inner_text("#red-flags")
        page.screenshot(path=str(ARTIFACTS / "guided-1-safety.png"), full_page=True)
        page.check("#none-apply")
        page.click("#begin")
        page.wait_for_selector("#set:not([hidden])")
        assert "Set 1 of 2: 3 glute bridge reps, hold 3-5 s at the top" in page.inner_text("#set-target")
        assert page.is_visible("#pain")
        page.click("#start-set")
        page.wait_for_function("Number(document.getElementById('reps').textContent) >= 1", timeout=90000)
        page.screenshot(path=str(ARTIFACTS / "guided-2-set.png"))
        page.click("#finish-set")
        page.wait_for_selector("#rest:not([hidden])", timeout=20000)
        last = page.inner_text("#last-set")
        assert last.startswith("Glute bridge, set 1 of 2:") and "of 3 reps" in last
        first_left = int(page.inner_text("#rest-left"))
        time.sleep(1.6)
        assert int(page.inner_text("#rest-left")) < first_left  # the countdown runs
        assert "Set 2 of 2" in page.inner_text("#next-up")
        page.screenshot(path=str(ARTIFACTS / "guided-3-rest.png"))
        page.wait_for_selector("#set:not([hidden])", timeout=10000)  # the rest ends by itself
        page.click("#start-set")
        page.wait_for_function("document.getElementById('cue').textContent !== 'Press Start set when you are in position'",
                               timeout=30000)
        time.sleep(3)
        assert page.is_visible("#pain")
        page.click("#pain")
        page.wait_for_selector("#summary:not([hidden])", timeout=20000)
        lines = page.inner_text("#summary-lines")
        assert page.is_visible("#pain-advice")
        page.screenshot(path=str(ARTIFACTS / "guided-4-summary.png"), full_page=True)
        browser.close()
    assert lines.startswith("Bridges, then bird-dogs: 2 of 3 sets done (stopped for pain).")
    assert "Glute bridge:" in lines and "Bird-dog: not done." in lines
    codes = ("incomplete_hip_extension", "over_arching", "glute_bridge", "bird_dog")
    assert not [c for c in codes if c in lines]
    db = data / "posecheck" / "history.sqlite"
    with sqlite3.connect(db) as conn:
        sets = conn.execute("SELECT exercise, status, set_number FROM exercise_sets ORDER BY id").fetchall()
        session = conn.execute("SELECT routine, status, planned_sets FROM exercise_sessions").fetchall()
    assert sets == [("glute_bridge", "done", 1), ("glute_bridge", "pain_stop", 2)]
    assert session == [("browser", "pain_stop", 3)]


def test_progress_page_and_handout_render_what_was_stored(guided_server, tmp_path):
    """Runs after the guided session above (same server and history)."""
    from playwright.sync_api import sync_playwright

    url, data = guided_server
    db = data / "posecheck" / "history.sqlite"
    if not db.is_file():
        pytest.skip("needs the guided session test's history")
    handout = tmp_path / "handout.html"
    run_cli("report", "--db", str(db), "--since", "1d", "-o", str(handout), check=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"{url}/progress")
        text = page.inner_text("body")
        assert "Adherence" in text and "1 session on 1 day" in text and "Stopped for pain 1x" in text
        assert "Glute bridge" in text and page.locator(".plot svg").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "progress-page.png"), full_page=True)
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(handout.as_uri())
        handout_text = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "handout.png"), full_page=True)
        browser.close()
    assert "Exercise report for default" in handout_text and "nothing was sent anywhere" in handout_text
    assert [r for r in requests if not r.startswith("file:")] == []  # self-contained: fetches nothing
