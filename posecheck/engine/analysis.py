"""Run a checker over a whole input and build the report (`posecheck analyze`), and
turn a calibration set into profile values (`posecheck calibrate`).

Report schema `posecheck.report` version 1 (what `analyze --json` prints):

    exercise, view (most frequent judged view: side|front|back|none), duration_s,
    source (VideoInfo), model, user, calibrated (bool),
    frames {total, with_person, judged},
    reps    [{index, start_s, end_s, bottom_s, side, faults[], judged, not_judged[], metrics{}}],
    holds   [{start_s, end_s, side, duration_s, good_s, target_s[2], faults[]}],
    events  [{t_s, kind: cue|rep|hold|view|alert|info, code, message, severity}],
    posture [{start_s, end_s, state: upright|slouched|not_sitting|not_visible, faults[]}]  (sitting only),
    summary {rep_count, hold_count, fault_counts{code: reps or spans with it}},
    fault_checks [{code, t_s, value, threshold, noise, verdict: fault|clear|unsure|not_judged, reason,
                  metric, unit}]
                 (one per fault per rep, or per stretch of sitting; noise.py says how noise is measured),
    not_judged [{code, title, reason}]  (faults the camera could not measure anywhere, and how to fix it),
    people {switches, times_s[]}  (when tracking jumped to someone else, pose/tracking.py; events say
                                   "second_person", at most once in 10 s)
"""

from __future__ import annotations

import os
from pathlib import Path
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from ..errors import PosecheckError
from ..pose.pipeline import PipelineSettings, PoseStream
from ..pose.types import PoseFrame, VideoInfo
from .checker import Checker, FrameResult
from .profiles import Profile
from .spec import ExerciseSpec
from .verdicts import is_good, rep_verdict

SCHEMA = "posecheck.report"
VERSION = 1


def run_checker(frames: Iterable[PoseFrame], checker: Checker,
                on_frame: Callable[[FrameResult], None] | None = None) -> list[FrameResult]:
    results = []
    for pf in frames:
        result = checker.update(pf)
        results.append(result)
        if on_frame is not None:
            on_frame(result)
    checker.finish()
    return results


def build_report(checker: Checker, results: list[FrameResult], *, source: VideoInfo | None, model: str,
                 user: str) -> dict:
    """The report of a finished run: a file (`source` known) or a live session (None)."""
    spec = checker.spec
    judged_views = Counter(r.view for r in results if r.judged)
    view = judged_views.most_common(1)[0][0] if judged_views else "none"
    duration = (results[-1].t_s - results[0].t_s) if results else 0.0
    if source is not None and source.duration_s:
        duration = max(duration, source.duration_s)
    fault_counts: Counter = Counter()
    for rep in checker.reps:
        fault_counts.update(set(rep.faults))
    for span in checker.posture:
        fault_counts.update(set(span.faults))
    if not spec.reps:
        for hold in checker.holds:
            fault_counts.update(set(hold.faults))
    report = {
        "schema": SCHEMA, "version": VERSION, "exercise": spec.name, "view": view,
        "duration_s": round(duration, 3), "source": source.to_dict() if source else None, "model": model,
        "user": user, "calibrated": spec.name in checker.profile.calibrated_at,
        "frames": {"total": len(results), "with_person": sum(r.has_pose for r in results),
                   "judged": sum(r.judged for r in results)},
        "reps": [r.to_dict() | {"verdict": rep_verdict(r.to_dict(), spec.fault_label), "good": is_good(r.to_dict())}
                 for r in checker.reps],
        "holds": [h.to_dict() for h in checker.holds],
        "events": [e.to_dict() for e in checker.events],
        "summary": {"rep_count": len(checker.reps), "hold_count": len(checker.holds),
                    "fault_counts": dict(fault_counts)},
    }
    if spec.exercise.mode == "posture":
        report["posture"] = [s.to_dict() for s in checker.posture]
    report["fault_checks"] = [c.to_dict() for c in checker.fault_checks]
    report["not_judged"] = [{"code": code, "title": spec.fault_label(code), "reason": reason}
                            for code, reason in checker.not_judged().items()]
    report["people"] = {"switches": len(checker.switches), "times_s": [round(t, 3) for t in checker.switches]}
    return report


def analyze(source: str | os.PathLike, spec: ExerciseSpec, *, profile: Profile | None = None,
            settings: PipelineSettings | None = None,
            on_frame: Callable[[FrameResult], None] | None = None) -> tuple[dict, list[FrameResult]]:
    profile = profile or Profile()
    with PoseStream(source, settings) as stream:
        checker = Checker(spec, profile, still=stream.info.kind in ("image", "images"))
        results = run_checker(stream, checker, on_frame)
        return build_report(checker, results, source=stream.info, model=stream.model, user=profile.user), results


def record_landmarks(source: str | os.PathLike, output: str | os.PathLike, settings: PipelineSettings | None = None,
                     on_frame: Callable[[PoseFrame], None] | None = None) -> tuple[int, int]:
    """Write every frame's raw landmarks to a recording; returns (frames, frames with a person).
    The file appears only when complete."""
    from ..files import writable_file
    from ..pose.recording import RecordingWriter

    writable_file(Path(output), "recording")  # before the model loads, not after the whole video
    settings = settings or PipelineSettings(smoothing=False)
    with PoseStream(source, settings) as stream, \
            RecordingWriter(output, stream.info, model=stream.model) as writer:
        for pose_frame in stream.raw():
            writer.write(pose_frame)
            if on_frame is not None:
                on_frame(pose_frame)
    return writer.frames_written, writer.poses_written


def _frames_between(source, start_s: float | None, end_s: float | None, settings) -> list[PoseFrame]:
    frames = []
    with PoseStream(source, settings) as stream:
        for pf in stream:  # a camera never ends: stop at end_s
            t = pf.timestamp_ms / 1000
            if end_s is not None and t > end_s:
                break
            if start_s is None or t >= start_s:
                frames.append(pf)
    return frames


def calibration_run(source, spec: ExerciseSpec, start_s: float | None, end_s: float | None,
                    settings: PipelineSettings | None) -> tuple[list[PoseFrame], list[FrameResult], dict[str, float]]:
    """The frames of a calibration set, the default checker's results on them, and the
    profile values the spec's [calibration] rules take from them."""
    if not spec.calibration:
        raise PosecheckError(f"{spec.name} has nothing to calibrate")
    frames = _frames_between(source, start_s, end_s, settings)
    checker = Checker(spec, Profile())  # defaults only: calibration must not use the old one
    results = run_checker(frames, checker)
    return frames, results, calibration_values(spec, checker, results, source_name=os.fspath(source))


def calibrate(source: str | os.PathLike, spec: ExerciseSpec, *, start_s: float | None = None,
              end_s: float | None = None, settings: PipelineSettings | None = None) -> dict[str, float]:
    """Profile values for `spec` from a calibration set (a few good reps, or a few
    seconds of sitting tall), following the spec's [calibration] table."""
    return calibration_run(source, spec, start_s, end_s, settings)[2]


def calibration_values(spec: ExerciseSpec, checker: Checker, results: list[FrameResult], *,
                       source_name: str = "the input") -> dict[str, float]:
    """Apply the spec's [calibration] rules to a finished run (file or live session)."""
    values: dict[str, float] = {}
    for key, rule in spec.calibration.items():
        kind, metric, *options = rule.split(":")
        if kind == "rep_max":
            clean_of = set()
            for opt in options:
                if opt.startswith("clean_of="):
                    clean_of = set(opt.split("=", 1)[1].split(","))
            depths = [rep.metrics.get(f"max_{metric}") for rep in checker.reps
                      if not clean_of & set(rep.faults)]
            depths = [d for d in depths if d is not None]
            if depths:
                values[key] = float(max(depths))
        elif kind == "median":
            view = key.split(".")[1] if key.count(".") >= 2 else None
            samples = [r.metrics[metric] for r in results
                       if r.position == spec.exercise.position and metric in r.metrics
                       and (view is None or r.view == view)]
            if len(samples) >= 10:
                values[key] = float(np.median(samples))
        else:
            raise PosecheckError(f"{spec.name}: unknown calibration rule '{rule}'")
    if not values:
        what = "reps with heels down and trunk under control" if spec.reps else \
            f"frames {spec.exercise.position.replace('_', ' ')} in a suitable view"
        raise PosecheckError(f"calibration found no {what} in {source_name}; "
                             f"check the camera placement: {spec.exercise.camera}")
    return values
