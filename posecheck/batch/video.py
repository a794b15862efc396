"""One video of a batch: `analyze_one` (never raises; a failure comes back with its reason).

Per video, in `<out>/<video-stem>/`: report.json (schema in engine/analysis.py), reps.csv,
events.csv, frames.csv, annotated.mp4 (H.264, upright), report.html (self-contained
plots). Each video is built in a hidden `.<stem>.partial-*` folder and renamed into
place when complete, so an interrupted run leaves no half-written report; a video whose
report.json exists is skipped unless `force`.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .outputs import VideoResult, fill_from_report, move_into_place, new_work_folder


@dataclass(frozen=True)
class BatchOptions:
    exercise: str
    out_dir: str
    user: str = "default"
    model: str = "full"
    # The landmark model sees a 256 px crop: 960 px frames lose nothing a person-sized
    # crop needs and cut decode, resize and encode cost.
    max_side: int = 960
    annotate: bool = True
    force: bool = False
    max_fps: float | None = None  # analyse at most this many frames a second (None: every frame)
    run_id: str = "0"  # names this run's work in progress (its lock: outputs.run_lock)


def analyze_one(video: str, name: str, options: BatchOptions) -> VideoResult:
    """Everything for one video. Never raises: a failure comes back with its reason."""
    from ..errors import PosecheckError

    start = time.perf_counter()
    out_root = Path(options.out_dir)
    final = out_root / name
    result = VideoResult(video=str(video), out_dir=str(final), status="failed", exercise=options.exercise)
    if (final / "report.json").is_file() and not options.force:
        try:
            fill_from_report(result, json.loads((final / "report.json").read_text(encoding="utf-8")))
            result.status = "skipped"
            return result
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged report is redone
    partial = None
    try:
        partial = new_work_folder(out_root, name, options.run_id)
        report = _analyze_into(Path(video), partial, options)
        move_into_place(partial, final, options.run_id)
        fill_from_report(result, report)
        result.status = "done"
    except PosecheckError as exc:
        result.reason = str(exc)
    except OSError as exc:  # the output folder became unwritable, the disk filled up
        where = f"{exc.filename}: " if exc.filename else ""
        result.reason = f"cannot write the report ({where}{exc.strerror or exc})"
    except MemoryError:
        result.reason = "out of memory (try a smaller --max-side)"
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        result.reason = f"internal error: {type(exc).__name__}: {exc}"
    finally:
        if partial is not None and partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
        result.wall_s = round(time.perf_counter() - start, 3)
    return result


def file_size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _analyze_into(video: Path, folder: Path, options: BatchOptions) -> dict:
    import cv2

    from ..engine.analysis import build_report
    from ..engine.checker import Checker
    from ..engine.profiles import load_profile
    from ..engine.spec import get_spec
    from ..pose.pipeline import PipelineSettings, PoseStream
    from ..sinks.overlay import SkeletonAnnotator, highlighted_landmarks
    from ..sinks.report import (
        FramesCsv, spec_metric_names, write_events_csv, write_json, write_report_html, write_reps_csv,
    )
    from ..sinks.video import AnnotatedVideoWriter

    spec = get_spec(options.exercise)
    profile = load_profile(options.user)
    settings = PipelineSettings(model=options.model, max_side=options.max_side or None, keep_frames=options.annotate,
                                max_fps=options.max_fps)
    with PoseStream(str(video), settings) as stream:
        if stream.info.kind not in ("video", "recording"):
            from ..errors import SourceError

            what = "an image" if stream.info.kind == "image" else f"not a video file ({stream.info.kind})"
            raise SourceError(f"{video.name}: {what}, not a video; check a photo on its own with "
                              f"`posecheck analyze PHOTO -e {options.exercise}`")
        checker = Checker(spec, profile)
        frames_csv = FramesCsv(folder / "frames.csv", spec_metric_names(spec))
        fps = min(stream.info.fps or 30.0, options.max_fps or 1e9)
        writer = AnnotatedVideoWriter(folder / "annotated.mp4", fps=fps) if options.annotate \
            and not stream.is_replay else None
        annotator = SkeletonAnnotator(thickness=2)
        results = []
        cue = ""
        ok = False
        try:
            for pf in stream:
                r = checker.update(pf)
                results.append(r)
                frames_csv.write(r, pf.pose)
                for ev in r.events:
                    if ev.kind in ("cue", "view", "rep", "hold"):
                        cue = ev.message
                if writer is not None and pf.frame is not None:
                    picture = annotator.annotate(pf.frame.image, pf.pose,  # the frame is not used again
                                                 highlight=highlighted_landmarks(r.active_faults))
                    _caption(cv2, picture, r, spec, cue)
                    writer.write(picture, pf.timestamp_ms)
            checker.finish()
            ok = True
        finally:
            frames_csv.close(ok)
            if writer is not None:
                writer.close()
        report = build_report(checker, results, source=stream.info, model=stream.model, user=profile.user)
    report["annotated_video"] = "annotated.mp4" if writer is not None else None
    write_json(folder / "report.json", report)
    write_reps_csv(folder / "reps.csv", report)
    write_events_csv(folder / "events.csv", report)
    write_report_html(folder / "report.html", spec, report, results)
    return report


def _caption(cv2, picture, result, spec, cue: str) -> None:
    """Rep count, the key angle and the latest cue, burnt into the picture."""
    h, w = picture.shape[:2]
    scale = max(0.45, min(w, h) / 900)
    metric = None
    if spec.reps:
        m = spec.reps.metric
        metric = m.get(result.view) if isinstance(m, dict) else m
    elif spec.faults:
        metric = spec.faults[0].metric
    lines = [f"reps {result.rep_count}"]
    if metric and metric in result.metrics:
        lines.append(f"{metric.replace('_deg', '').replace('_', ' ')}: {result.metrics[metric]:.0f} deg")
    if result.posture_state:
        lines.append(result.posture_state)
    font = cv2.FONT_HERSHEY_SIMPLEX
    if cue:  # wrap the cue to the picture's width
        line = ""
        for word in cue.split():
            trial = f"{line} {word}".strip()
            if cv2.getTextSize(trial, font, 0.8 * scale, int(2 * scale))[0][0] > w - 24 and line:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    y = int(36 * scale)
    for text in lines:
        cv2.putText(picture, text, (12, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, (0, 0, 0), int(5 * scale), cv2.LINE_AA)
        cv2.putText(picture, text, (12, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale, (255, 255, 255), int(2 * scale),
                    cv2.LINE_AA)
        y += int(34 * scale)
