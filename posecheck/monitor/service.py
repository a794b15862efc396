"""Background posture monitor for desk work, on top of the pipeline and the sitting checker.

It samples the camera about once a second (never storing a frame), judges posture
against the user's upright baseline for the active setup, alerts when bad posture has
lasted the sensitivity's delay, reminds about a movement break after `break_after_s` of
continuous sitting, and writes every sample to a SQLite history. It can be paused (a
snooze, or automatically while the session is locked or idle), samples less often while
nobody is in view, and says when the setup's calibration looks stale instead of judging.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..engine.checker import Checker
from ..engine.profiles import Profile
from ..engine.spec import get_spec
from ..pose.estimator import create_estimator
from ..pose.types import PoseFrame
from ..sinks.history import History
from .control import MonitorState
from .desktop import DesktopWatch
from .setup import SENSITIVITY, Framing, SetupWatch, framing_of, scaled_spec
from .sources import CameraSampler, file_samples

FAULT_WORDS = {"forward_head": "head forward", "rounded_shoulders": "shoulders rounded",
               "slouched_trunk": "back slouched"}
CHANNELS = ("desktop", "sound", "page")
# Nobody in view: sample less often the longer it lasts (a person sitting down is seen
# within this long), and credit each sample with the time until the next.
AWAY_STEPS = ((10.0, 5.0), (60.0, 15.0))  # away for at least s -> at most one sample per s


@dataclass(frozen=True)
class MonitorSettings:
    source: str = "0"
    interval_s: float = 1.0  # one sample a second
    alert_after_s: float = 45.0  # bad posture this long -> alert
    realert_s: float = 300.0  # still bad: remind again after this long
    break_after_s: float = 1800.0  # continuous sitting this long -> movement break reminder
    break_min_s: float = 60.0  # away or standing this long counts as a break
    gap_tolerance_s: float = 5.0  # a few unjudged samples do not end a bad-posture spell
    loop: bool = False  # file sources: start again at the end
    fast: bool = False  # file sources: no waiting between samples (tests, demos)
    model: str = "full"
    max_samples: int | None = None
    threshold_scale: float = 1.0  # sensitivity: scales the baseline-relative fault thresholds
    setup: str | None = None
    auto_pause: bool = True  # pause while the desktop session is locked or idle
    pause_on_battery: bool = False

    @staticmethod
    def with_sensitivity(level: str, **kwargs) -> MonitorSettings:
        alert_after, scale = SENSITIVITY[level]
        return MonitorSettings(alert_after_s=kwargs.pop("alert_after_s", None) or alert_after,
                               threshold_scale=scale, **kwargs)


def sample_wait_s(interval_s: float, away_for_s: float) -> float:
    wait = interval_s
    for after, every in AWAY_STEPS:
        if away_for_s >= after:
            wait = max(interval_s, every)
    return wait


@dataclass(frozen=True)
class Alert:
    ts: float
    kind: str  # posture | break | setup
    message: str
    faults: tuple[str, ...] = ()


# --- alert logic ---------------------------------------------------------------------------

class PostureAlerts:
    """Turns a stream of (time, state, faults) into posture alerts, break reminders and
    breaks taken. States: upright, slouched, not_sitting, not_visible, away."""

    def __init__(self, settings: MonitorSettings) -> None:
        self.s = settings
        self.bad_since: float | None = None
        self.bad_faults: set[str] = set()
        self.last_bad_ts: float | None = None
        self.alerted_at: float | None = None
        self.sitting_since: float | None = None
        self.reminded_at: float | None = None
        self.off_seat_since: float | None = None

    def update(self, ts: float, state: str, faults: list[str]) -> tuple[list[Alert], tuple[float, float] | None]:
        alerts: list[Alert] = []
        took_break = None
        # Bad posture spells, bridging short unjudged gaps.
        if state == "slouched":
            if self.bad_since is None or (self.last_bad_ts is not None
                                          and ts - self.last_bad_ts > self.s.gap_tolerance_s):
                self.bad_since, self.bad_faults, self.alerted_at = ts, set(), None
            self.bad_faults |= set(faults)
            self.last_bad_ts = ts
            due = self.alerted_at is None and ts - self.bad_since >= self.s.alert_after_s
            again = self.alerted_at is not None and ts - self.alerted_at >= self.s.realert_s
            if due or again:
                words = ", ".join(FAULT_WORDS.get(f, f.replace("_", " ")) for f in sorted(self.bad_faults))
                alerts.append(Alert(ts, "posture", f"Bad posture for {ts - self.bad_since:.0f} s ({words}): "
                                                   "sit tall, shoulders back, head over your shoulders",
                                    tuple(sorted(self.bad_faults))))
                self.alerted_at = ts
        elif state == "upright" or (self.last_bad_ts is not None and ts - self.last_bad_ts > self.s.gap_tolerance_s):
            self.bad_since, self.last_bad_ts, self.alerted_at = None, None, None
        # Sitting streaks and breaks: away or standing long enough ends the streak.
        if state in ("upright", "slouched", "not_visible"):
            if self.off_seat_since is not None:
                if ts - self.off_seat_since >= self.s.break_min_s:
                    took_break = (self.off_seat_since, ts)
                    self.sitting_since, self.reminded_at = None, None
                self.off_seat_since = None
            if self.sitting_since is None:
                self.sitting_since = ts
            sat = ts - self.sitting_since
            last = self.reminded_at or self.sitting_since
            if sat >= self.s.break_after_s and ts - last >= (self.s.break_after_s if self.reminded_at else 0):
                alerts.append(Alert(ts, "break", f"You have been sitting for {sat / 60:.0f} min: "
                                                 "stand up and move for a few minutes"))
                self.reminded_at = ts
        elif self.off_seat_since is None:
            self.off_seat_since = ts
        return alerts, took_break


# --- notifications ---------------------------------------------------------------------------

class Notifier:
    """The terminal always; then the chosen channels: a desktop notification through
    `notify-send`, a short sound (`paplay`/`canberra-gtk-play` with the desktop's bell,
    else the terminal bell), or the web page only (it gets every alert pushed)."""

    SOUNDS = ("/usr/share/sounds/freedesktop/stereo/bell.oga", "/usr/share/sounds/freedesktop/stereo/message.oga")

    def __init__(self, *, desktop: bool = True, echo: Callable[[str], None] = print,
                 channels: tuple[str, ...] | None = None) -> None:
        channels = channels if channels is not None else (("desktop",) if desktop else ("page",))
        self.channels = channels
        self.notify_send = shutil.which("notify-send") if "desktop" in channels else None
        self.player = (shutil.which("paplay") or shutil.which("canberra-gtk-play")) if "sound" in channels else None
        self.echo = echo

    def _run(self, argv: list[str]) -> None:
        try:
            subprocess.run(argv, timeout=5, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            pass

    def send(self, alert: Alert) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(alert.ts))
        self.echo(f"{stamp} [{alert.kind}] {alert.message}")
        if self.notify_send:
            # Low urgency: it slides in and goes, no modal and no screen blur.
            self._run([self.notify_send, "--urgency=low", "--app-name=posecheck", "posecheck", alert.message])
        if "sound" in self.channels:
            sound = next((p for p in self.SOUNDS if os.path.exists(p)), None)
            if self.player and sound:
                self._run([self.player, sound] if self.player.endswith("paplay") else [self.player, "-f", sound])
            else:
                print("\a", end="", flush=True)


# --- the loop ---------------------------------------------------------------------------------

class MonitorLoop:
    """One sample at a time: pause, sample, judge, record, alert, decide the next wait."""

    def __init__(self, settings: MonitorSettings, profile: Profile, history: History, notifier: Notifier,
                 state: MonitorState, status: Callable[[str], None], clock: Callable[[], float]) -> None:
        self.s, self.history, self.notifier, self.state, self.status, self.clock = (
            settings, history, notifier, state, status, clock)
        spec = scaled_spec(get_spec("sitting_posture"), settings.threshold_scale)
        profile = profile.for_setup(settings.setup)
        # The monitor alerts, the checker only judges; samples are far apart, so each one counts.
        self.checker = Checker(spec, profile, cue_repeat_s=1e9, label_window_s=settings.interval_s * 0.99)
        self.alerts = PostureAlerts(settings)
        entry = profile.setups.get(settings.setup or "")
        self.watch = SetupWatch(settings.setup or "default",
                                Framing.from_dict(entry["framing"]) if entry and entry.get("framing") else None)
        self.stale_alerted = False
        self.away_since: float | None = None
        self.last_state: str | None = None

    def say_state(self, ts: float, state: str, detail: str = "") -> None:
        if state != self.last_state:
            self.status(f"{time.strftime('%H:%M:%S', time.localtime(ts))} {state}" + (f" ({detail})" if detail else ""))
            self.last_state = state

    def pausing(self, ts: float, reason: str) -> None:
        self.say_state(ts, "paused", reason)
        self.state.latest = {"ts": ts, "state": "paused", "reason": reason}
        self.away_since = None

    def record_paused(self, ts: float, seconds: float) -> None:
        self.history.add_sample(ts, "paused", seconds, [])

    def judge(self, ts: float, index: int, pose, seconds: float) -> str:
        result = self.checker.update(PoseFrame(ts * 1000, index, pose))
        state = "away" if pose is None else (result.posture_state or "not_visible")
        faults = list(result.active_faults)
        stale = self.watch.update(framing_of(pose, result.view) if pose is not None and result.judged else None)
        if stale and state in ("upright", "slouched"):
            state, faults = "stale", []
            if not self.stale_alerted:
                self.stale_alerted = True
                self.send(Alert(ts, "setup", f"Calibration for setup '{self.watch.setup}' looks stale: {stale}. "
                                             f"Run `posecheck monitor calibrate --setup {self.watch.setup}`; "
                                             "posture is not judged until then"))
        elif not stale:
            self.stale_alerted = False
        self.history.add_sample(ts, state, seconds, faults)
        new_alerts, took_break = self.alerts.update(ts, state, self.checker.posture_codes(faults))
        if took_break:
            self.history.add_break(*took_break)
        for alert in new_alerts:
            self.send(alert)
        self.say_state(ts, state, ", ".join(faults) or (stale if state == "stale" else ""))
        self.state.latest = {"ts": ts, "state": state, "faults": faults, "view": result.view,
                             "stale": stale, "preview": self.checker.limits_now(result.view, result.metrics)}
        self.away_since = (self.away_since or ts) if state == "away" else None
        return state

    def send(self, alert: Alert) -> None:
        self.history.add_alert(alert.ts, alert.kind, alert.message, list(alert.faults))
        self.notifier.send(alert)

    def next_wait(self, ts: float) -> float:
        return sample_wait_s(self.s.interval_s, ts - self.away_since if self.away_since is not None else 0.0)


def run_monitor(settings: MonitorSettings, profile: Profile, history: History, notifier: Notifier, *,
                stop: threading.Event | None = None, status: Callable[[str], None] = print,
                clock: Callable[[], float] = time.time, state: MonitorState | None = None) -> int:
    """Sample until stopped (or the file ends, or `max_samples`). Returns samples taken."""
    stop = stop or threading.Event()
    state = state or MonitorState(setup=settings.setup or "default")
    loop = MonitorLoop(settings, profile, history, notifier, state, status, clock)
    desktop = DesktopWatch(state, status, settings.auto_pause, settings.pause_on_battery)
    # Video mode: between samples a desk worker barely moves, so the tracker reuses the
    # last region and skips the person detector (~20 instead of ~35 ms of CPU a sample).
    estimator = create_estimator(model=settings.model)
    is_camera = settings.source.isdigit()
    camera = CameraSampler(int(settings.source), settings.interval_s, status, stop) if is_camera else None
    files = None if is_camera else file_samples(settings.source, settings.interval_s, settings.loop)
    start_wall = clock()
    taken = 0
    history.prune(start_wall)
    # A stop also ends a wait at once (a pause, or the long waits while nobody is there).
    threading.Thread(target=lambda: (stop.wait(), state.wake.set()), daemon=True, name="monitor-stop").start()
    try:
        while not stop.is_set():
            tick = time.monotonic()
            desktop.poll(clock())
            reason = state.paused(clock())
            if reason is not None:  # no sampling: the camera is let go, the time is recorded
                if camera is not None:
                    camera.close()
                loop.pausing(clock(), reason)
                state.wake.clear()
                began = time.monotonic()
                state.wake.wait(max(settings.interval_s, 5.0))
                loop.record_paused(clock(), time.monotonic() - began)
                continue
            if camera is not None:
                frame = camera.sample()
                if frame is None:
                    continue
                ts = clock()
            else:
                try:
                    video_t, frame = next(files)
                except StopIteration:
                    break
                ts = start_wall + video_t if settings.fast else clock()
            wait = loop.next_wait(ts)
            loop.judge(ts, taken, estimator.estimate(frame), wait)
            taken += 1
            if settings.max_samples and taken >= settings.max_samples:
                break
            if not settings.fast or camera is not None:
                if loop.away_since is not None and camera is not None and wait >= 5.0:
                    camera.close()  # a long wait with nobody there: the camera light goes off
                state.wake.clear()
                state.wake.wait(max(0.0, wait - (time.monotonic() - tick)))
                if stop.is_set():
                    break
    finally:
        estimator.close()
        if camera is not None:
            camera.close()
    return taken


def check_source(source: str) -> None:
    """Fail early, with the one-line error, on a file that cannot be read."""
    if not source.isdigit():  # a camera is retried with backoff instead
        from ..pose.sources import open_source

        open_source(source).close()
