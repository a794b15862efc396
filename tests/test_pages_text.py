"""/progress and /monitor read as one product with the live coach, on a phone: Debian's
chromium (Playwright) at 390x844 against a real `posecheck serve`. /progress reads a real
SQLite history: today a headless guided session (`posecheck session` on the shared clips'
landmark recordings), earlier days written through TrainingLog with the guided session's
own outcomes and summary; /monitor watches a real `posecheck monitor` on the side-view
slouch clip. The visible text must be words: no fault codes, metric keys, ISO time stamps
or numbers without a unit. Screenshots at 390x844 and 1280x800 in test-artifacts/."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .conftest import recording_for
from .test_browser import ARTIFACTS, CHROMIUM, start_server, stop_server  # noqa: F401 - skips without chromium
from .test_desk_monitor import stop, wait_for
from .test_monitor_browser import serve_with_a_looping_monitor
from .test_guided_sessions import session_json

pytestmark = pytest.mark.slow

NAV = ["Live coach", "Guided session", "Progress", "Posture monitor"]
NAV_HREFS = ["/", "/session", "/progress", "/monitor"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

INTERNALS = {
    "a snake_case code": re.compile(r"\b[a-z]+_[a-z_]+\b"),
    "a dotted metric key": re.compile(r"\b[a-z_]+\.[a-z_]+\.[a-z_]+\b"),
    "an ISO time stamp": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"),
    "a number without a unit": re.compile(r"\b\d+\.\d+\b(?!\s*(s\b|°|%|deg|px|ms|reps?|x\b))"),
    "a template placeholder": re.compile(r"[{}]"),
}


def internals_in(text: str) -> dict[str, list[str]]:
    found = {what: [m.group(0) for m in rx.finditer(text)] for what, rx in INTERNALS.items()}
    return {what: hits for what, hits in found.items() if hits}


def write_progress_history(data: Path) -> Path:
    """The history /progress reads (`$XDG_DATA_HOME/posecheck/history.sqlite`): today's
    guided session run headless on real recordings, three earlier back-care sessions (one
    stopped for pain) and a free squat set from the live coach, a few days apart."""
    from posecheck.engine.spec import all_specs
    from posecheck.sinks.history import History
    from posecheck.sinks.training_log import TrainingLog
    from posecheck.training.guided import SetOutcome, cue_text, free_set_plan, plan_sets, summarise
    from posecheck.training.routines import get_routine

    folder = data / "posecheck"
    folder.mkdir(parents=True, exist_ok=True)
    _, db = session_json(folder, [recording_for("bridge_side.mp4"), recording_for("birddog_side.mp4"),
                                  recording_for("squat_side_forward_lean.mp4")])
    specs = {s.name: s for s in all_specs()}
    routine = get_routine("back_care")
    plans = plan_sets(routine, specs)

    def outcome(plan, day: int, status: str = "done") -> SetOutcome:
        spec = specs[plan.exercise]
        faults = {"glute_bridge": {"incomplete_hip_extension": 3 - day % 2},
                  "squat": {"excessive_forward_lean": 2 + day % 3, "heels_lifting": 1},
                  "bird_dog": {"hip_rotation": 1}}[plan.exercise]
        common = {"faults": faults, "fault_labels": {c: spec.fault_label(c) for c in faults},
                  "fault_cues": {c: cue_text(spec, c) for c in faults}, "duration_s": 95.0}
        if plan.counts == "holds":
            times = [4.5 + 0.4 * i + 0.2 * day for i in range(plan.holds)] * 2
            return SetOutcome(plan, status, holds=len(times), full_holds=sum(t >= 5 for t in times),
                              holds_by_side={"left": plan.holds, "right": plan.holds}, hold_times=times, **common)
        reps = plan.reps - (4 if status == "pain_stop" else day % 2)
        good = reps - sum(faults.values())
        extra = {}
        if plan.exercise == "squat":
            extra = {"depth_share": 0.82 + 0.03 * day, "depth_target": 70.0, "depth_unit": "deg",
                     "depth_calibrated": False}
        if plan.hold_s:
            extra |= {"holds": reps, "full_holds": reps // 2, "hold_times": [3.5] * reps}
        return SetOutcome(plan, status, reps=reps, good_reps=good, **extra, **common)

    day_s = 86400.0
    now = time.time()
    with History(db) as history:
        log = TrainingLog(history)
        for n, days_ago in enumerate((9, 6, 3)):
            started = now - days_ago * day_s - 3600
            pain = days_ago == 6
            outcomes = []
            for i, plan in enumerate(plans):
                if pain and i > 4:
                    break
                outcomes.append(outcome(plan, n, "pain_stop" if pain and i == 4 else "done"))
            session = log.start_session("default", routine.routine.name, routine.routine.title, len(plans),
                                        started_ts=started)
            for i, o in enumerate(outcomes):
                log.add_set("default", o, session_id=session, ts=started + 120 * i)
            log.finish_session(session, summarise(routine, outcomes, pain_stop=pain), ended_ts=started + 1800)
        free = free_set_plan(specs["squat"])
        log.add_set("default", SetOutcome(free, "done", reps=6, good_reps=5, depth_share=0.9, depth_target=70.0,
                                          depth_unit="deg", depth_calibrated=False,
                                          faults={"heels_lifting": 1},
                                          fault_labels={"heels_lifting": specs["squat"].fault_label("heels_lifting")},
                                          fault_cues={"heels_lifting": cue_text(specs["squat"], "heels_lifting")}),
                    ts=now - 1 * day_s)
    return db


def nav_of(page) -> list[tuple[str, str]]:
    links = page.eval_on_selector_all("nav.links a",
                                      "as => as.map(a => [a.textContent.trim(), a.getAttribute('href')])")
    return [tuple(link) for link in links]


def check_reads_as_words(page, name: str) -> str:
    text = page.inner_text("body")
    assert internals_in(text) == {}, f"{name} shows internals: {internals_in(text)}\n{text}"
    assert page.locator("nav.links").count() == 1, f"{name}: one navigation"
    assert nav_of(page) == list(zip(NAV, NAV_HREFS)), nav_of(page)
    # Nothing wider than the phone: the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} scrolls sideways"
    return text


def screenshots(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)


def test_progress_page_reads_as_words_on_a_phone(tmp_path):
    from playwright.sync_api import sync_playwright

    data = tmp_path / "data"
    write_progress_history(data)
    server, base = start_server({"XDG_DATA_HOME": str(data), "POSECHECK_PROFILE_DIR": str(tmp_path / "profiles")})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport=PHONE)
            missing = []
            page.on("requestfailed", lambda r: missing.append(r.url))
            page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
            page.goto(f"{base}/progress")
            text = check_reads_as_words(page, "/progress")
            assert "Adherence" in text and "Glute bridge" in text and "Squat" in text and "Bird-dog" in text
            assert "stopped for pain" in text  # the session stopped for pain, in words
            assert re.search(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{2} \w{3} \d{4}, \d{2}:\d{2}", text), text
            # Dark like the live coach on screen.
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(16, 20, 24)"
            plots = page.eval_on_selector_all(".plot svg", "ss => ss.map(s => s.getBoundingClientRect().width)")
            assert len(plots) == 3 and all(0 < w <= PHONE["width"] for w in plots), plots
            # Axis labels, ticks and legends are text (not outlines), readable on the phone:
            # at least 11 px as drawn (font size in the plot's units times its scale).
            sizes = page.evaluate("""() => [...document.querySelectorAll('.plot svg')].flatMap(svg => {
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
            })""")
            assert len(sizes) > 30 and min(sizes) >= 11, sorted(sizes)[:5]
            assert missing == [], missing  # no missing favicon, nothing else
            screenshots(page, "progress")
            browser.close()
    finally:
        stop_server(server)


def test_monitor_page_reads_as_words_on_a_phone(tmp_path):
    from playwright.sync_api import sync_playwright

    server, base, monitor = serve_with_a_looping_monitor(tmp_path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport=PHONE)
            missing = []
            page.on("requestfailed", lambda r: missing.append(r.url) if "/events" not in r.url else None)
            page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
            wait_for(lambda: page.goto(f"{base}/monitor") and True, timeout=30)
            page.wait_for_function("document.querySelectorAll('#preview tbody tr').length === 2", timeout=40000)
            page.wait_for_selector("#alerts li", timeout=60000)
            page.reload()  # today's summary and timeline, now that there is history
            page.wait_for_function("document.querySelectorAll('#preview tbody tr').length === 2", timeout=40000)
            page.wait_for_function("document.querySelectorAll('#alerts li').length > 0", timeout=20000)
            text = check_reads_as_words(page, "/monitor")
            preview = page.inner_text("#preview")
            assert "Head pushed forward" in preview and "°" in preview, preview
            assert re.search(r"\d+°", preview) and "upright" in preview, preview
            assert "Bad posture for" in page.inner_text("#alerts")
            assert "setup default" not in text and "default" not in page.inner_text("#setup")
            assert missing == [], missing
            screenshots(page, "monitor")
            browser.close()
    finally:
        stop(monitor)
        stop_server(server)
