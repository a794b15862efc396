"""The live coach in a real browser: Debian's chromium driven by Playwright, a shared
clip played as the page's camera (Chrome's fake capture device reads a .y4m file).
Screenshots land in test-artifacts/ (not committed)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import REPO, clip_path, ffmpeg, needs_shared

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: `make test` installs it with apt")
    pytest.skip("chromium not installed (make test installs it with apt)", allow_module_level=True)

pytestmark = [needs_shared, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_DATA: dict[str, Path] = {}


def link_web_runtime(data_home: Path) -> None:
    """The in-browser runtime `make test` installed, seen from a test's own data folder."""
    from posecheck.pose.models import web_runtime

    installed = web_runtime().folder
    link = data_home / "posecheck" / "models" / "web" / installed.name
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(installed, target_is_directory=True)


def start_server(env: dict, *global_args: str, web_runtime: bool = True) -> tuple[subprocess.Popen, str]:
    """A real `posecheck serve` on a free port, once it accepts connections; pages can run
    pose in the browser (the runtime is linked into the server's data folder)."""
    if "XDG_DATA_HOME" in env and web_runtime:
        link_web_runtime(Path(env["XDG_DATA_HOME"]))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "posecheck", *global_args, "serve", "--port", str(port)],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start: {proc.stderr.read()}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("serve-data")
    SERVER_DATA["data"] = data
    proc, url = start_server({"POSECHECK_PROFILE_DIR": str(data / "profiles"), "XDG_DATA_HOME": str(data)})
    yield url
    stop_server(proc)


def _fake_camera(tmp_path_factory, clip: str) -> Path:
    out = tmp_path_factory.mktemp("cam") / (Path(clip).stem + ".y4m")
    # Portrait clips stay portrait; 15 fps keeps the raw file ~100 MB.
    ffmpeg("-i", str(clip_path(clip)), "-vf", "scale=-2:640,fps=15", "-pix_fmt", "yuv420p", str(out))
    return out


def _browser(playwright, y4m: Path):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"])


MODES = ["server", "browser"]  # where pose runs: the page sends frames, or runs the model and sends landmarks
SITE_WORDS = {"server": "Pose runs on the posecheck server", "browser": "Pose runs in this browser",
              "auto": "Pose runs "}  # auto: the page measured itself and chose


def cut_off_network(page) -> list[str]:
    """Every request that would leave this machine is refused (and listed): the page must work
    with the network cut off."""
    refused: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return refused


def _run_page(server, y4m, exercise, until, timeout_s, shot, viewport=None, mode="server", site_words=None):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p, y4m)
        page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900})
        refused = cut_off_network(page)
        page.goto(f"{server}/?exercise={exercise}" + (f"&pose={mode}" if mode != "auto" else ""))
        page.wait_for_function("document.querySelectorAll('#exercise option').length === 4")
        page.click("#start")
        deadline = time.time() + timeout_s
        seen = []
        while time.time() < deadline:
            seen.append((page.inner_text("#reps"), page.inner_text("#cue")))
            if until(*seen[-1]):  # judge what was recorded, not a later read
                break
            time.sleep(0.5)
        page.screenshot(path=str(ARTIFACTS / f"{shot}.png"))
        site = page.inner_text("#pose-site")
        above_fold = all(page.locator(sel).bounding_box()["y"] + page.locator(sel).bounding_box()["height"]
                         <= page.viewport_size["height"] for sel in ("#cue", "#reps"))
        page.click("#stop")
        page.wait_for_selector("#set-summary:not([hidden])", timeout=15000)
        summary = page.inner_text("#set-summary-body")
        counter = page.inner_text("#reps")
        body = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / f"{shot}-summary.png"), full_page=True)
        browser.close()
    internals = [m.group(0) for rx in (r"\b[a-z]+_[a-z_]+\b", r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}",
                                        r"\b\d+\.\d+\b(?!\s*(s\b|°|%|deg|px|ms|x\b))", r"[{}]")
                 for m in re.finditer(rx, body)]
    _run_page.last = {"counter": counter, "above_fold": above_fold, "internals": internals, "site": site}
    assert site.startswith(site_words or SITE_WORDS[mode]), site
    assert refused == [], refused
    return seen, summary


@pytest.mark.parametrize("mode", [*MODES, "auto"])
def test_rep_counter_reaches_two_on_the_barbell_clip(server, tmp_path_factory, mode):
    y4m = _fake_camera(tmp_path_factory, "squat_side_barbell.mp4")
    seen, summary = _run_page(server, y4m, "squat", lambda reps, _cue: reps == "2",
                              timeout_s=60, shot=f"barbell-{mode}", mode=mode)
    assert seen[-1][0] == "2", seen[-5:]
    # One count: the counter after Stop is the summary's (a rep finished at Stop included).
    counted = re.search(r"Squat: (\d+) reps?", summary)
    assert counted and counted.group(1) == _run_page.last["counter"], (summary, _run_page.last)
    assert _run_page.last["internals"] == [], _run_page.last["internals"]  # words, not internals
    # A finished set in the live coach goes into the local history as a free set (no target).
    import sqlite3

    with sqlite3.connect(SERVER_DATA["data"] / "posecheck" / "history.sqlite") as conn:
        rows = conn.execute("SELECT exercise, session_id, target, reps, status FROM exercise_sets").fetchall()
    assert ("squat", None, None, int(counted.group(1)), "done") in rows, rows
    if mode == "auto":  # the page says what it measured and why it chose where pose runs
        assert re.search(r"\d+ ms a frame", _run_page.last["site"]), _run_page.last["site"]


@pytest.mark.parametrize("mode", MODES)
def test_forward_lean_cue_appears(server, tmp_path_factory, mode):
    y4m = _fake_camera(tmp_path_factory, "squat_side_forward_lean.mp4")
    seen, _ = _run_page(server, y4m, "squat", lambda _reps, cue: "Chest up" in cue, timeout_s=45,
                        shot=f"forward-lean-phone-{mode}", viewport={"width": 390, "height": 844}, mode=mode)
    assert any("Chest up" in cue for _, cue in seen), seen[-5:]
    assert any(cue in ("3", "2", "1") for _, cue in seen), "no countdown before the set"
    assert _run_page.last["above_fold"], "the cue and the rep counter must be in the first screen of a phone"


def test_a_server_without_the_in_browser_runtime_gets_frames_and_the_page_says_how_to_add_it(tmp_path_factory):
    data = tmp_path_factory.mktemp("no-web-runtime")
    proc, url = start_server({"POSECHECK_PROFILE_DIR": str(data / "profiles"), "XDG_DATA_HOME": str(data)},
                             web_runtime=False)
    try:
        y4m = _fake_camera(tmp_path_factory, "squat_side_barbell.mp4")
        seen, _ = _run_page(url, y4m, "squat", lambda reps, _cue: reps == "1", timeout_s=45,
                            shot="no-web-runtime", mode="browser", site_words=SITE_WORDS["server"])
    finally:
        stop_server(proc)
    assert seen[-1][0] == "1", seen[-5:]
    assert "posecheck models install web" in _run_page.last["site"], _run_page.last["site"]


def test_praise_of_an_earlier_rep_never_stays_up_over_a_rep_that_was_only_counted(server, tmp_path_factory):
    # Six squats leaning right at the 30 deg limit (28-31 deg, 6-7 deg of noise): most are
    # counted "too close to call", two are praised. The cue shows the newest rep's words.
    y4m = _fake_camera(tmp_path_factory, "corpus/BE-PROJECTS2018__GroupNo23-Health-and-Fitness-Assistant/squat.mp4")
    seen, summary = _run_page(server, y4m, "squat", lambda reps, _cue: reps == "7", timeout_s=75,
                              shot="borderline-reps-phone", viewport={"width": 390, "height": 844})
    assert seen[-1][0] == "7", seen[-5:]
    for reps, cue in seen:
        praised = re.match(r"Rep (\d+): good depth and control", cue)
        assert not praised or int(praised.group(1)) == int(reps), (reps, cue)
    assert any("too close to call" in cue for _, cue in seen), seen[-5:]
    assert "too close to call" in summary and re.search(r"\d+ reps?, \d+ with good form", summary), summary
