"""Where the monitor's frames come from: a camera sampled once per tick (released while
paused or between slow samples), or a video file sampled at the same rate (tests, demos)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import SourceError
from ..pose.types import Frame

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
        """Release the camera (its light goes off); the next sample opens it again."""
        if self.cap is not None:
            self.cap.release()
            self.cap = None


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

    from ..pose.sources import VideoFileSource, scaled_size, upright

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


