"""Helpers for benchmarks that drive the real pages in Debian's chromium (a clip played as
the page's camera) against a real `posecheck serve`, and read a process's CPU and memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def ffmpeg(*args: str) -> None:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True, timeout=600)


def fake_camera(clip: Path, out: Path, *, fps: int, height: int = 640, seconds: float | None = None,
                lead_in_s: float = 0.0, tail_s: float = 0.0) -> Path:
    """A .y4m for Chrome's fake capture device: the clip at `fps`, optionally cut to
    `seconds`; held on its first picture for `lead_in_s` (the page measures, frames and
    counts down there) and on its last for `tail_s` (a rep that ends with the clip is seen
    to end, as in a real set, and the set is stopped before the file loops)."""
    if out.is_file():
        return out
    filters = [f"scale=-2:{height}", f"fps={fps}"]
    if lead_in_s or tail_s:
        filters.append(f"tpad=start_duration={lead_in_s}:start_mode=clone:stop_duration={tail_s}:stop_mode=clone")
    cut = ["-t", str(seconds)] if seconds else []  # on the input: the clip is cut, not the lead-in
    ffmpeg(*cut, "-i", str(clip), "-vf", ",".join(filters), "-pix_fmt", "yuv420p", str(out))
    return out


def clip_seconds(path: Path) -> float:
    from posecheck.pose.sources import open_source

    source = open_source(str(path))
    try:
        return float(source.info.duration_s)
    finally:
        source.close()


def launch(playwright, y4m: Path):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "posecheck", "serve", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"posecheck serve failed: {proc.stderr.read().strip()}")
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("posecheck serve did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cut_off_network(page) -> list[str]:
    """Every request that would leave this machine is refused, and listed."""
    from urllib.parse import urlsplit

    refused: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return refused


def play_set(base_url: str, y4m: Path, exercise: str, mode: str, *, lead_in_s: float, tail_s: float,
             shot: Path | None = None) -> dict:
    """One set in the live coach with `y4m` (made by `fake_camera` with a lead-in and a tail)
    as the camera and pose in `mode` (server|browser); Stop is pressed halfway through the
    tail (the camera starts at the click on Start). Returns the report the page got, what it
    said about where pose runs, its counter, notes and hold bar after Stop, and any request it tried
    to send off this machine."""
    from playwright.sync_api import sync_playwright

    stop_after_s = clip_seconds(y4m) - tail_s / 2
    with sync_playwright() as p:
        browser = launch(p, y4m)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        refused = cut_off_network(page)
        page.goto(f"{base_url}/?exercise={exercise}&pose={mode}")
        page.wait_for_function("document.querySelectorAll('#exercise option').length >= 4")
        clicked = time.monotonic()
        page.click("#start")
        page.wait_for_function("state.running === true", timeout=lead_in_s * 1000)
        started_after_s = time.monotonic() - clicked
        time.sleep(max(0.0, clicked + stop_after_s - time.monotonic()))
        page.click("#stop")
        page.wait_for_selector("#set-summary:not([hidden])", timeout=30000)
        report = page.evaluate("() => state.report")
        site = page.inner_text("#pose-site")
        counter, notes = page.inner_text("#reps"), page.inner_text("#notes")
        hold_bar = page.evaluate("() => document.getElementById('hold-bar').style.width")
        if shot is not None:
            page.screenshot(path=str(shot), full_page=True)
        browser.close()
    return {"report": report, "site": site, "refused": refused, "started_after_s": started_after_s,
            "counter": counter, "notes": notes, "hold_bar": hold_bar}
