"""Batch analysis of recorded videos: one output folder per video, an index across them,
on local worker processes or as Ray tasks (same per-video function, same outputs).

Per video, in `<out>/<video-stem>/`: report.json (schema in analysis.py), reps.csv,
events.csv, frames.csv, annotated.mp4 (H.264, upright), report.html (self-contained
plots). Each video is built in a hidden `.<stem>.partial-*` folder and renamed into
place when complete, so an interrupted run leaves no half-written report; a video whose
report.json exists is skipped unless `force`.
"""

from __future__ import annotations

import csv
import hashlib
import html
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".3gp"}


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


@dataclass
class VideoResult:
    video: str
    out_dir: str
    status: str  # done | skipped | failed
    reason: str = ""
    duration_s: float = 0.0
    rep_count: int = 0
    hold_count: int = 0
    faults: str = ""
    view: str = ""
    wall_s: float = 0.0


def find_videos(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given (whatever their type: a bad one is reported, not dropped) and the
    video files found in folders, recursively."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES
                          and not any(part.startswith(".") for part in f.relative_to(p).parts))
        else:
            out.append(p)
    return out


def output_names(videos: list[Path]) -> dict[Path, str]:
    """Folder name per video: its stem, made unique when two inputs share one."""
    stems: dict[str, int] = {}
    for v in videos:
        stems[v.stem] = stems.get(v.stem, 0) + 1
    return {v: (v.stem if stems[v.stem] == 1 else f"{v.stem}-{hashlib.sha1(str(v.resolve()).encode()).hexdigest()[:6]}")
            for v in videos}


def analyze_one(video: str, name: str, options: BatchOptions) -> VideoResult:
    """Everything for one video. Never raises: a failure comes back with its reason."""
    from .errors import PosecheckError

    start = time.perf_counter()
    out_root = Path(options.out_dir)
    final = out_root / name
    result = VideoResult(video=str(video), out_dir=str(final), status="failed")
    if (final / "report.json").is_file() and not options.force:
        import json

        report = json.loads((final / "report.json").read_text())
        _fill(result, report)
        result.status = "skipped"
        return result
    out_root.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=out_root, prefix=f".{name}.partial-"))
    try:
        report = _analyze_into(Path(video), partial, options)
        if final.exists():
            shutil.rmtree(final)
        partial.rename(final)
        _fill(result, report)
        result.status = "done"
    except PosecheckError as exc:
        result.reason = str(exc)
    except MemoryError:
        result.reason = "out of memory (try a smaller --max-side)"
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
        result.reason = f"internal error: {type(exc).__name__}: {exc}"
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
        result.wall_s = round(time.perf_counter() - start, 3)
    return result


def file_size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _fill(result: VideoResult, report: dict) -> None:
    result.duration_s = report["duration_s"]
    result.rep_count = report["summary"]["rep_count"]
    result.hold_count = report["summary"]["hold_count"]
    result.faults = " ".join(f"{k}x{v}" for k, v in report["summary"]["fault_counts"].items())
    result.view = report["view"]


def _analyze_into(video: Path, folder: Path, options: BatchOptions) -> dict:
    import cv2

    from .analysis import build_report
    from .checker import Checker
    from .pipeline import PipelineSettings, PoseStream
    from .profiles import load_profile
    from .sinks.overlay import SkeletonAnnotator, highlighted_landmarks
    from .sinks.report import (
        FramesCsv, spec_metric_names, write_events_csv, write_json, write_report_html, write_reps_csv,
    )
    from .sinks.video import AnnotatedVideoWriter
    from .spec import get_spec

    spec = get_spec(options.exercise)
    profile = load_profile(options.user)
    settings = PipelineSettings(model=options.model, max_side=options.max_side or None, keep_frames=options.annotate,
                                max_fps=options.max_fps)
    with PoseStream(str(video), settings) as stream:
        if stream.info.kind not in ("video", "recording"):
            from .errors import SourceError

            raise SourceError(f"{video.name}: not a video file ({stream.info.kind})")
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


# --- running many -----------------------------------------------------------------------------

def run_batch(videos: list[Path], options: BatchOptions, *, workers: int = 1, engine: str = "local",
              address: str | None = None, on_result: Callable[[VideoResult], None] | None = None) -> list[VideoResult]:
    names = output_names(videos)
    # Longest first, so no worker is left alone with a long video at the end.
    jobs = sorted(((str(v), names[v]) for v in videos), key=lambda job: -file_size(job[0]))
    out_root = Path(options.out_dir)
    out_root.mkdir(parents=True, exist_ok=True)
    for stale in out_root.glob(".*.partial-*"):  # left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    results: list[VideoResult] = []

    def done(r: VideoResult) -> None:
        results.append(r)
        if on_result:
            on_result(r)

    if engine == "ray":
        _run_ray(jobs, options, workers, address, done)
    elif workers <= 1:
        for video, name in jobs:
            done(analyze_one(video, name, options))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: each worker starts clean (mediapipe and threads do not survive fork well)
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(analyze_one, video, name, options) for video, name in jobs]
            for future in as_completed(futures):
                done(future.result())
    order = {str(v): i for i, v in enumerate(videos)}
    results.sort(key=lambda r: order[r.video])
    write_index(Path(options.out_dir), options, results)
    return results


def _run_ray(jobs, options: BatchOptions, workers: int, address: str | None, done) -> None:
    try:
        import ray
    except ImportError:
        from .errors import PosecheckError

        raise PosecheckError("the ray engine needs Ray: pip install 'posecheck[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(analyze_one)
        pending = [remote.remote(video, name, options) for video, name in jobs]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done(ray.get(ready[0]))
    finally:
        if started_here:
            ray.shutdown()


SUMMARY_FIELDS = ["video", "status", "reason", "duration_s", "rep_count", "hold_count", "faults", "view", "out_dir",
                  "wall_s"]


def write_index(out_dir: Path, options: BatchOptions, results: list[VideoResult]) -> None:
    from .sinks.report import atomic_write

    with atomic_write(out_dir / "summary.csv") as fh:
        w = csv.DictWriter(fh, fieldnames=SUMMARY_FIELDS)
        w.writeheader()
        for r in results:
            w.writerow({k: v for k, v in asdict(r).items() if k in SUMMARY_FIELDS})
    e = html.escape
    rows = []
    for r in results:
        rel = Path(r.out_dir).name
        links = (f"<a href='{e(rel)}/report.html'>report</a> <a href='{e(rel)}/annotated.mp4'>video</a>"
                 if r.status in ("done", "skipped") else "")
        rows.append(f"<tr class='{e(r.status)}'><td>{e(Path(r.video).name)}</td><td>{e(r.status)}</td>"
                    f"<td>{r.duration_s:.1f}</td><td>{r.rep_count}</td><td>{r.hold_count}</td><td>{e(r.faults)}</td>"
                    f"<td>{links}{e(r.reason)}</td></tr>")
    failed = sum(r.status == "failed" for r in results)
    doc = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>posecheck batch: {e(options.exercise)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem}}
tr.failed td{{background:#fde8e6}}</style></head><body><h1>{e(options.exercise)}: {len(results)} videos, {failed} failed</h1>
<table><tr><th>video</th><th>status</th><th>duration s</th><th>reps</th><th>holds</th><th>faults</th><th></th></tr>
{''.join(rows)}</table></body></html>"""
    with atomic_write(out_dir / "index.html") as fh:
        fh.write(doc)
