"""The short loop every front end shares: source -> estimator -> smoother -> (checker)
-> sinks. A landmark recording enters after the estimator, so replay needs no model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from .estimator import PoseEstimator, create_estimator
from .recording import Recording
from .smoothing import OneEuroSmoother
from .sources import FrameSource, is_recording_path, open_source
from .types import PoseFrame, VideoInfo


@dataclass(frozen=True)
class PipelineSettings:
    model: str = "full"  # lite | full | heavy
    # The landmark model sees a 256x256 crop, so decoding a 1080x1920 phone clip at full
    # size buys nothing; shrinking the longer side to 1280 px halves conversion cost.
    max_side: int | None = 1280
    smoothing: bool = True  # causal One-Euro (off for recordings already smoothed)
    prefetch: int = 4  # frames decoded ahead on the reader thread
    max_fps: float | None = None  # video files: analyse at most this many frames a second
    keep_frames: bool = False  # hand pictures on (overlays, annotated video)


class PoseStream:
    """Iterable of `PoseFrame`s from any input, with the input's `VideoInfo`."""

    def __init__(self, spec: str | int | os.PathLike, settings: PipelineSettings | None = None, *,
                 estimator: PoseEstimator | None = None) -> None:
        self.settings = settings or PipelineSettings()
        self._source: FrameSource | None = None
        self._recording: Recording | None = None
        self._estimator = estimator
        self._owns_estimator = estimator is None
        if not isinstance(spec, int) and is_recording_path(spec):
            self._recording = Recording(spec)
            self.info: VideoInfo = self._recording.info
            self.model = self._recording.model
        else:
            self._source = open_source(spec, max_side=self.settings.max_side,
                                       prefetch=self.settings.prefetch, max_fps=self.settings.max_fps)
            self.info = self._source.info
            if self._estimator is None:
                self._estimator = create_estimator(
                    model=self.settings.model, static_image_mode=self.info.kind in ("image", "images"))
            self.model = self.settings.model

    @property
    def is_replay(self) -> bool:
        return self._recording is not None

    def raw(self) -> Iterator[PoseFrame]:
        """Poses straight from the estimator (or the recording), unsmoothed."""
        if self._recording is not None:
            yield from self._recording
            return
        keep = self.settings.keep_frames
        estimate = self._estimator.estimate
        for frame in self._source:
            yield PoseFrame(frame.timestamp_ms, frame.index, estimate(frame), frame if keep else None)

    def __iter__(self) -> Iterator[PoseFrame]:
        frames = self.raw()
        if self.settings.smoothing and self.info.kind not in ("image", "images"):
            frames = OneEuroSmoother()(frames)
        return iter(frames)

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
        if self._estimator is not None and self._owns_estimator:
            self._estimator.close()

    def __enter__(self) -> PoseStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
