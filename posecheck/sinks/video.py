"""Annotated video: H.264 in MP4 through PyAV (plays in browsers; the OpenCV wheel cannot
write H.264). Frames are written as they come, with their own timestamps, so variable
frame rate survives; the result is upright because the frames already are."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


class AnnotatedVideoWriter:
    def __init__(self, path: str | Path, *, fps: float | None, crf: int = 26, preset: str = "ultrafast") -> None:
        self.path = Path(path)
        self.fps = fps or 30.0
        self.crf = crf
        self.preset = preset
        self._container = None
        self._stream = None
        self.frames_written = 0
        self._last_pts = -1

    def write(self, image_rgb: np.ndarray, timestamp_ms: float) -> None:
        import av

        if self._container is None:
            h, w = image_rgb.shape[:2]
            self._size = (w - w % 2, h - h % 2)  # yuv420p needs even sizes
            self._container = av.open(str(self.path), "w", format="mp4")
            self._stream = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
            self._stream.width, self._stream.height = self._size
            self._stream.pix_fmt = "yuv420p"
            self._stream.time_base = Fraction(1, 1000)
            self._stream.codec_context.time_base = Fraction(1, 1000)
            self._stream.options = {"crf": str(self.crf), "preset": self.preset, "movflags": "+faststart"}
        w, h = self._size
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image_rgb[:h, :w]), format="rgb24")
        pts = max(int(round(timestamp_ms)), self._last_pts + 1)  # strictly increasing
        frame.pts, frame.time_base = pts, Fraction(1, 1000)
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
