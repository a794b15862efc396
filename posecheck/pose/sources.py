"""Frame sources: video files (rotation-aware, decoded on a reader thread), cameras,
images and folders of images. Every source is an iterable of upright RGB `Frame`s
with a `VideoInfo`; `open_source("0" | "clip.mp4" | "photo.jpg" | "folder/")` picks one."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from ..errors import SourceError
from .types import Frame, VideoInfo

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
RECORDING_SUFFIXES = (".landmarks.jsonl", ".jsonl", ".jsonl.gz")
TRANSCODE_HINT = "transcode it to H.264, e.g. `ffmpeg -i IN -c:v libx264 -crf 18 OUT.mp4`"

T = TypeVar("T")


class FrameSource(Protocol):
    info: VideoInfo

    def __iter__(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


def is_recording_path(spec: str | os.PathLike) -> bool:
    return str(spec).endswith(RECORDING_SUFFIXES)


def open_source(spec: str | int | os.PathLike, *, max_side: int | None = None,
                prefetch: int = 4, max_fps: float | None = None) -> FrameSource:
    """Open a camera index (`0`), a video file, an image file or a folder of images."""
    text = str(spec)
    if isinstance(spec, int) or text.isdigit():
        return CameraSource(int(text))
    path = Path(text).expanduser()
    if not path.exists():
        raise SourceError(f"{text}: no such file or folder")
    if path.is_dir():
        return ImageFolderSource(path, max_side=max_side)
    if path.suffix.lower() in IMAGE_SUFFIXES or is_image_file(path):  # a photo renamed .mp4 is still a photo
        return ImageFolderSource(path, max_side=max_side)
    if is_recording_path(path):
        raise SourceError(f"{text}: is a landmark recording; replay it with `posecheck replay` "
                          "or pass it as --landmarks")
    return VideoFileSource(path, max_side=max_side, prefetch=prefetch, max_fps=max_fps)


IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*")


def is_image_file(path: Path) -> bool:
    """Whether the file's first bytes are a still image's (PNG, JPEG, BMP, TIFF, WebP),
    whatever its name says."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head.startswith(IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Size after shrinking so the longer side is at most `max_side` (even numbers)."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def upright(image: np.ndarray, rotation_deg: int) -> np.ndarray:
    """Rotate a stored picture by the container's display rotation (counter-clockwise
    degrees, as FFmpeg's display matrix gives it) so the person stands upright."""
    k = (int(round(rotation_deg / 90.0))) % 4
    return np.ascontiguousarray(np.rot90(image, k=k)) if k else image


class _Prefetch(Iterator[T]):
    """Runs an iterator on a daemon thread, `depth` items ahead, so decoding overlaps
    with inference (PyAV releases the GIL while it decodes). Exceptions re-raise here."""

    _DONE = object()

    def __init__(self, items: Iterable[T], depth: int) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True,
                                        name="posecheck-reader")
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterable[T]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
            self._put(self._DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)

    def __next__(self) -> T:
        item = self._queue.get()
        if item is self._DONE:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


class VideoFileSource:
    """A video file decoded with PyAV: honours the rotation tag, takes timestamps from
    the container (variable frame rate safe), decodes AV1 through dav1d."""

    def __init__(self, path: Path, *, max_side: int | None = None, prefetch: int = 4,
                 max_fps: float | None = None) -> None:
        import av  # local: keeps `import posecheck` light

        self.path = Path(path)
        self.max_side = max_side
        self.max_fps = max_fps  # analyse at most this many frames a second (None: all)
        self.prefetch = prefetch
        name = self.path.name
        try:
            container = av.open(str(self.path))
        except av.error.FFmpegError as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise SourceError(f"{name}: not a readable video file ({reason})") from None
        try:
            if not container.streams.video:
                raise SourceError(f"{name}: contains no video stream")
            stream = container.streams.video[0]
            codec = stream.codec_context.name if stream.codec_context else None
            rotation, first_time = self._probe_first_frame(container, stream, name, codec)
            width, height = stream.codec_context.width, stream.codec_context.height
            if abs(rotation) % 180 == 90:
                width, height = height, width
            fps = float(stream.average_rate) if stream.average_rate else None
            duration_s = None
            if stream.duration is not None and stream.time_base is not None:
                duration_s = float(stream.duration * stream.time_base)
            elif container.duration:
                duration_s = container.duration / 1_000_000
            frame_count = stream.frames or None
        finally:
            container.close()
        self._first_time = first_time
        self.info = VideoInfo(kind="video", name=name, resolution_wh=(width, height), fps=fps,
                              frame_count=frame_count, duration_s=duration_s,
                              rotation_deg=int(rotation), codec=codec)

    @staticmethod
    def _probe_first_frame(container, stream, name: str, codec: str | None) -> tuple[int, float]:
        import av

        try:
            for frame in container.decode(stream):
                return int(getattr(frame, "rotation", 0) or 0), float(frame.time or 0.0)
        except av.error.FFmpegError as exc:
            if "decoder" in str(exc).lower() or isinstance(exc, av.error.DecoderNotFoundError):
                raise SourceError(f"{name}: no decoder for codec '{codec}'; {TRANSCODE_HINT}") from None
            raise SourceError(f"{name}: corrupt video, the first frame cannot be decoded "
                              f"({exc.strerror if hasattr(exc, 'strerror') else exc})") from None
        except ValueError:  # PyAV raises this when no decoder exists for the codec
            raise SourceError(f"{name}: no decoder for codec '{codec}'; {TRANSCODE_HINT}") from None
        raise SourceError(f"{name}: contains no decodable frames")

    def _decode(self) -> Iterator[Frame]:
        import av

        name = self.path.name
        rotation = self.info.rotation_deg
        container = av.open(str(self.path))
        try:
            stream = container.streams.video[0]
            stream.codec_context.thread_type = "AUTO"
            stored_w, stored_h = stream.codec_context.width, stream.codec_context.height
            out_w, out_h = scaled_size(stored_w, stored_h, self.max_side)
            fps = self.info.fps or 30.0
            index = 0
            last_t = 0.0
            min_gap_s = 1.0 / self.max_fps - 1e-3 if self.max_fps else 0.0
            kept_t = None
            try:
                for frame in container.decode(stream):
                    t = frame.time
                    t = (t - self._first_time) if t is not None else index / fps
                    if kept_t is not None and t - kept_t < min_gap_s:
                        last_t = t  # decoded (the codec needs it), not converted or analysed
                        continue
                    kept_t = t
                    if (out_w, out_h) != (frame.width, frame.height):
                        # Fast bilinear: the model sees a 256 px crop; sharper filters cost ~30% more.
                        rgb = frame.reformat(width=out_w, height=out_h, format="rgb24",
                                             interpolation="FAST_BILINEAR").to_ndarray()
                    else:
                        rgb = frame.to_ndarray(format="rgb24")
                    yield Frame(image=upright(rgb, rotation), timestamp_ms=t * 1000.0, index=index,
                                resolution_wh=self.info.resolution_wh)
                    last_t = t
                    index += 1
            except av.error.FFmpegError as exc:
                raise SourceError(f"{name}: corrupt video, decoding failed at {last_t:.1f} s "
                                  f"(frame {index}): {getattr(exc, 'strerror', exc)}") from None
            if index == 0:
                raise SourceError(f"{name}: contains no decodable frames")
            duration = self.info.duration_s
            if duration and duration - last_t > max(1.0, 3.0 / fps):
                raise SourceError(f"{name}: truncated video, frames stop at {last_t:.1f} s "
                                  f"of {duration:.1f} s")
        finally:
            container.close()

    def __iter__(self) -> Iterator[Frame]:
        if self.prefetch <= 0:
            yield from self._decode()
            return
        reader = _Prefetch(self._decode(), self.prefetch)
        try:
            yield from reader
        finally:
            reader.close()

    def close(self) -> None:
        pass


class CameraSource:
    """A local camera through OpenCV. Timestamps come from the monotonic clock."""

    def __init__(self, index: int, *, resolution_wh: tuple[int, int] | None = (640, 480)) -> None:
        import cv2

        self._cv2 = cv2
        # OpenCV's own warnings about missing devices would precede our one-line error.
        if hasattr(cv2, "setLogLevel"):
            cv2.setLogLevel(0)
        self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            raise SourceError(f"camera {index}: cannot be opened (not connected, or in use by "
                              "another program); give a video file instead (e.g. clip.mp4)")
        if resolution_wh:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, resolution_wh[0])
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, resolution_wh[1])
        w = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = self.cap.get(cv2.CAP_PROP_FPS) or None
        self.info = VideoInfo(kind="camera", name=f"camera {index}", resolution_wh=(w, h), fps=fps)

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        while True:
            ok, bgr = self.cap.read()
            if not ok:
                if index == 0:
                    raise SourceError(f"{self.info.name}: delivers no frames")
                return
            rgb = self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB)
            h, w = rgb.shape[:2]
            yield Frame(image=rgb, timestamp_ms=(time.monotonic() - start) * 1000.0, index=index,
                        resolution_wh=(w, h))
            index += 1

    def close(self) -> None:
        self.cap.release()


class ImageFolderSource:
    """One image, or every image in a folder (sorted by name), each judged on its own."""

    def __init__(self, path: Path, *, max_side: int | None = None) -> None:
        import cv2

        self._cv2 = cv2
        self.max_side = max_side
        if path.is_dir():
            self.paths = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self.paths:
                raise SourceError(f"{path}: folder holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
            kind = "images"
        else:
            self.paths = [path]
            kind = "image"
        first = self._read(self.paths[0])
        h, w = first.shape[:2]
        self.info = VideoInfo(kind=kind, name=path.name, resolution_wh=(w, h),
                              frame_count=len(self.paths))

    def _read(self, path: Path) -> np.ndarray:
        bgr = self._cv2.imread(str(path), self._cv2.IMREAD_COLOR)
        if bgr is None:
            raise SourceError(f"{path.name}: not a readable image")
        return self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB)

    def __iter__(self) -> Iterator[Frame]:
        for index, path in enumerate(self.paths):
            rgb = self._read(path)
            h, w = rgb.shape[:2]
            out_w, out_h = scaled_size(w, h, self.max_side)
            if (out_w, out_h) != (w, h):
                rgb = self._cv2.resize(rgb, (out_w, out_h), interpolation=self._cv2.INTER_AREA)
            # Images have no clock: one second apart keeps timestamps increasing.
            yield Frame(image=rgb, timestamp_ms=index * 1000.0, index=index, resolution_wh=(w, h))

    def close(self) -> None:
        pass
