"""Background posture monitor for desk work, on top of the pipeline and the sitting checker.

It samples the camera about once a second (never storing a frame), judges posture
against the user's upright baseline, alerts when bad posture has lasted `alert_after_s`,
reminds about a movement break after `break_after_s` of continuous sitting, and writes
every sample to a SQLite history.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .checker import Checker
from .estimator import create_estimator
from .profiles import Profile
from .sinks.history import History
from .errors import SourceError
from .spec import get_spec
from .types import Frame, PoseFrame

FAULT_WORDS = {"forward_head": "head forward", "rounded_shoulders": "shoulders rounded",
               "slouched_trunk": "back slouched"}


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


@dataclass(frozen=True)
class Alert:
    ts: float
    kind: str  # posture | break
    message: str
    faults: tuple[str, ...] = ()


# --- samplers ------------------------------------------------------------------------------

class CameraSampler:
    """One frame per tick from a camera; reopens with backoff when the camera is missing
    or taken, and releases it between samples when they are far apart."""

    def __init__(self, index: int, interval_s: float, status: Callable[[str], None],
                 stop: threading.Event | None = None) -> None:
        self.index = index
        self.stop = stop or threading.Event()  # wakes the back-off wait at once
        self.interval_s = interval_s
        self.status = status
        self.cap = None
        self.release_between = interval_s >= 2.0  # reopening costs ~0.5 s: only worth it for slow rates
        self.backoff_s = 1.0

    def _open(self) -> bool:
        import cv2

        if hasattr(cv2, "setLogLevel"):
            cv2.setLogLevel(0)
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            return False
        self.cap = cap
        return True

    def sample(self) -> Frame | None:
        import cv2

        if self.cap is None and not self._open():
            self.status(f"camera {self.index} unavailable (missing or used by another program); "
                        f"retrying in {self.backoff_s:.0f} s")
            self.stop.wait(self.backoff_s)
            self.backoff_s = min(60.0, self.backoff_s * 2)
            return None
        self.cap.grab()  # drop a buffered (stale) frame
        ok, bgr = self.cap.read()
        if not ok:
            self.cap.release()
            self.cap = None
            return None
        self.backoff_s = 1.0
        if self.release_between:
            self.cap.release()
            self.cap = None
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        h, w = rgb.shape[:2]
        return Frame(image=rgb, timestamp_ms=time.time() * 1000, index=0, resolution_wh=(w, h))

    def close(self) -> None:
        if self.cap is not None:
            self.cap.release()


def _keyframe_spacing_s(path: str, probe_s: float = 12.0) -> float:
    """Largest gap between keyframes in the first `probe_s` seconds (demuxing only)."""
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        times = []
        try:
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                t = float(packet.pts * stream.time_base)
                if packet.is_keyframe:
                    times.append(t)
                if t > probe_s:
                    break
        except av.error.FFmpegError:  # a damaged file: decoding will say where, in one line
            pass
    gaps = [b - a for a, b in zip(times, times[1:])]
    return max(gaps) if gaps else float("inf")


def file_samples(path: str, interval_s: float, loop: bool) -> Iterator[tuple[float, Frame]]:
    """(video time in s, frame) every `interval_s` of video time. Only sampled frames are
    converted to RGB; when keyframes come at least once per interval only keyframes are
    decoded (a camera hands over one frame when asked; this is the closest a file gets),
    otherwise every frame but the non-reference ones."""
    import av

    from .sources import VideoFileSource, scaled_size, upright

    info = VideoFileSource(Path(path), prefetch=0).info  # validates the file
    keyframes_only = _keyframe_spacing_s(path) <= interval_s + 0.05
    offset = 0.0
    next_t = 0.0
    while True:
        last = 0.0
        with av.open(path) as container:
            stream = container.streams.video[0]
            stream.codec_context.skip_frame = "NONKEY" if keyframes_only else "NONREF"
            first = None
            for frame in _decoded(container, stream, info.name, lambda: last):
                t = frame.time or 0.0
                first = t if first is None else first
                t -= first
                last = t
                if offset + t + 1e-6 < next_t - (0.5 * interval_s if keyframes_only else 0.0):
                    continue
                w, h = scaled_size(frame.width, frame.height, 640)  # webcam size is plenty at 1 fps
                rgb = upright(frame.reformat(width=w, height=h, format="rgb24").to_ndarray(), info.rotation_deg)
                yield offset + t, Frame(image=rgb, timestamp_ms=(offset + t) * 1000, index=0,
                                        resolution_wh=info.resolution_wh)
                next_t = offset + t + interval_s
        if not loop:
            return
        offset += info.duration_s or (last + 1.0 / (info.fps or 30.0))


def _decoded(container, stream, name: str, position: Callable[[], float]) -> Iterator:
    """Frames of `stream`; a corrupt or cut-off file ends in a one-line SourceError."""
    import av

    try:
        yield from container.decode(stream)
    except av.error.FFmpegError as exc:
        raise SourceError(f"{name}: corrupt or truncated video, decoding failed after {position():.1f} s "
                          f"({getattr(exc, 'strerror', None) or exc})") from None


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
    """Terminal always; a desktop notification through `notify-send` where there is one."""

    def __init__(self, *, desktop: bool = True, echo: Callable[[str], None] = print) -> None:
        self.notify_send = shutil.which("notify-send") if desktop else None
        self.echo = echo

    def send(self, alert: Alert) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(alert.ts))
        self.echo(f"{stamp} [{alert.kind}] {alert.message}")
        if self.notify_send:
            try:
                subprocess.run([self.notify_send, "posecheck", alert.message], timeout=5, check=False,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired):
                pass


# --- the loop ---------------------------------------------------------------------------------

def run_monitor(settings: MonitorSettings, profile: Profile, history: History, notifier: Notifier, *,
                stop: threading.Event | None = None, status: Callable[[str], None] = print,
                clock: Callable[[], float] = time.time) -> int:
    """Sample until stopped (or the file ends, or `max_samples`). Returns samples taken."""
    stop = stop or threading.Event()
    spec = get_spec("sitting_posture")
    # The monitor alerts, the checker only judges; samples are far apart, so each one counts.
    checker = Checker(spec, profile, cue_repeat_s=1e9, label_window_s=settings.interval_s * 0.99)
    alerts = PostureAlerts(settings)
    # Video mode: between samples a desk worker barely moves, so the tracker reuses the
    # last region and skips the person detector (~20 instead of ~35 ms of CPU a sample).
    estimator = create_estimator(model=settings.model)
    is_camera = settings.source.isdigit()
    camera = CameraSampler(int(settings.source), settings.interval_s, status, stop) if is_camera else None
    files = None if is_camera else file_samples(settings.source, settings.interval_s, settings.loop)
    start_wall = clock()
    taken = 0
    last_state = None
    history.prune(start_wall)
    try:
        while not stop.is_set():
            tick = time.monotonic()
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
            pose = estimator.estimate(frame)
            result = checker.update(PoseFrame(ts * 1000, taken, pose))
            state = "away" if pose is None else (result.posture_state or "not_visible")
            faults = list(result.active_faults)
            history.add_sample(ts, state, settings.interval_s, faults)
            new_alerts, took_break = alerts.update(ts, state, faults)
            if took_break:
                history.add_break(*took_break)
            for alert in new_alerts:
                history.add_alert(alert.ts, alert.kind, alert.message, list(alert.faults))
                notifier.send(alert)
            if state != last_state:
                status(f"{time.strftime('%H:%M:%S', time.localtime(ts))} {state}"
                       + (f" ({', '.join(faults)})" if faults else ""))
                last_state = state
            taken += 1
            if settings.max_samples and taken >= settings.max_samples:
                break
            if not settings.fast or camera is not None:
                stop.wait(max(0.0, settings.interval_s - (time.monotonic() - tick)))
    finally:
        estimator.close()
        if camera is not None:
            camera.close()
    return taken


def check_source(source: str) -> None:
    """Fail early, with the one-line error, on a file that cannot be read."""
    if not source.isdigit():  # a camera is retried with backoff instead
        from .sources import open_source

        open_source(source).close()
