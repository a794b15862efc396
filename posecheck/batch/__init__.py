"""Batch analysis of recorded videos (`posecheck analyze ... --out DIR`).

`outputs`: what goes where in the output folder, shared safely between runs, and the
result row of each video; `video`: everything for one video (it uses `outputs`, never
the other way); `run`: many videos, on processes or Ray."""

from .outputs import VIDEO_SUFFIXES, VideoResult, VideoSearch, find_videos, output_names
from .run import run_batch
from .video import BatchOptions, analyze_one

__all__ = ["VIDEO_SUFFIXES", "BatchOptions", "VideoResult", "VideoSearch", "analyze_one", "find_videos",
           "output_names", "run_batch"]
