"""Commands on recorded input: record, replay, analyze (single and batch), calibrate."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..engine.verdicts import rep_verdict
from ..errors import PosecheckError, SourceError
from .common import (
    STDERR_IS_TTY,
    ExerciseOpt,
    MaxSideOpt,
    ModelOpt,
    SourceArg,
    UserOpt,
    app,
    max_side_or_default,
    progress_bar,
)


@app.command()
def record(
    source: SourceArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the recording "
                                                                 "(.landmarks.jsonl, or .jsonl.gz).")],
    model: ModelOpt = "full",
    max_side: MaxSideOpt = None,
) -> None:
    """Write every frame's landmarks (raw, unsmoothed) with timestamps to a recording."""
    from ..engine.analysis import record_landmarks
    from ..pose.pipeline import PipelineSettings

    settings = PipelineSettings(model=model, max_side=max_side_or_default(max_side, PipelineSettings.max_side), smoothing=False)
    with progress_bar(None, Path(source).name) as bar:
        frames, poses = record_landmarks(source, output, settings, on_frame=lambda _pf: bar.update(1))
    typer.echo(f"{output}: {frames} frames, person found in {poses}")


@app.command()
def replay(
    recording: Annotated[Path, typer.Argument(help="A .landmarks.jsonl recording.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per frame.")] = False,
) -> None:
    """Feed a recording through the pipeline (no model) and print per-frame view and position."""
    from ..pose.geometry import describe_pose
    from ..pose.pipeline import PoseStream

    if not str(recording).endswith((".jsonl", ".jsonl.gz")):
        raise SourceError(f"{recording}: not a landmark recording (.landmarks.jsonl); "
                          "`posecheck analyze` reads videos")
    with PoseStream(recording) as stream:
        for pf in stream:
            desc = describe_pose(pf.pose) if pf.pose is not None else None
            if as_json:
                typer.echo(json.dumps({"i": pf.index, "t_ms": pf.timestamp_ms, **(desc or {"person": False})}))
            else:
                text = "no person" if desc is None else \
                    f"view={desc['view']:<10} position={desc['position']:<9} side={desc['near_side']}"
                typer.echo(f"{pf.timestamp_ms / 1000:8.2f} s  {text}")


@app.command()
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Video files or folders (or one camera index / .landmarks.jsonl).")],
    exercise: ExerciseOpt,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Batch mode: write reports, CSVs, annotated video and HTML per video here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON report on stdout (single input, no --out).")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Batch: videos analysed at once.")] = 1,
    engine: Annotated[str, typer.Option("--engine", help="Batch: local (processes) or ray.")] = "local",
    address: Annotated[Optional[str], typer.Option("--address", help="Batch with Ray: cluster address (default: a local one).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Batch: redo videos that already have a report.")] = False,
    video_out: Annotated[bool, typer.Option("--video/--no-video", help="Batch: write annotated.mp4.")] = True,
    rate: Annotated[Optional[float], typer.Option("--rate", min=0.1, max=240.0, help="Batch: analyse at most this many frames a second (default: every frame).")] = None,
    user: UserOpt = "default",
    model: ModelOpt = "full",
    max_side: MaxSideOpt = None,
) -> None:
    """Check form over whole videos: reps, holds, faults, feedback events; with --out, a batch with reports."""
    from ..engine.spec import get_spec

    get_spec(exercise)  # unknown exercise: fail before any work
    if out is not None:
        raise typer.Exit(_analyze_batch(paths, exercise, out, workers=workers, engine=engine, address=address,
                                        force=force, annotate=video_out, user=user, model=model, max_side=max_side,
                                        rate=rate))
    if len(paths) != 1:
        raise PosecheckError("several inputs need --out DIR (batch mode)")
    from ..engine.analysis import analyze as run_analysis
    from ..engine.profiles import load_profile
    from ..pose.pipeline import PipelineSettings

    spec = get_spec(exercise)
    profile = load_profile(user)
    bar = progress_bar(None, exercise)
    report, _ = run_analysis(paths[0], spec, profile=profile,
                             settings=PipelineSettings(model=model, max_side=max_side_or_default(max_side, PipelineSettings.max_side)),
                             on_frame=lambda _r: bar.update(1))
    bar.close()
    if as_json:
        typer.echo(json.dumps(report))
    else:
        typer.echo(format_report(report, spec.fault_label))


def _analyze_batch(paths, exercise, out, *, workers, engine, address, force, annotate, user, model, max_side,
                   rate=None) -> int:
    from tqdm import tqdm

    from ..batch import BatchOptions, VideoResult, find_videos, run_batch

    if engine not in ("local", "ray"):
        raise PosecheckError(f"--engine must be local or ray, not '{engine}'")
    search = find_videos(paths)
    ignored = [VideoResult(video=path, out_dir="", status="ignored", reason=reason, exercise=exercise)
               for path, reason in search.ignored]
    for r in ignored:
        typer.echo(f"  ignored: {r.video}: {r.reason}", err=True)
    if not search.videos:
        raise SourceError("no video files found in " + ", ".join(paths))
    from ..files import writable_dir

    writable_dir(out)  # made only once there is something to write into it
    options = BatchOptions(exercise=exercise, out_dir=str(out), user=user, model=model,
                           max_side=max_side_or_default(max_side, BatchOptions.max_side) or 0, annotate=annotate,
                           force=force, max_fps=rate)
    bar = tqdm(total=len(search.videos), unit="video", file=sys.stderr, disable=not STDERR_IS_TTY)

    def show(r) -> None:
        bar.update(1)

    results = run_batch(search.videos, options, workers=workers, engine=engine, address=address, on_result=show,
                        extra=ignored)
    bar.close()
    done = sum(r.status == "done" for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    failed = [r for r in results if r.status == "failed"]
    typer.echo(f"{done} analysed, {skipped} already done, {len(failed)} failed, {len(ignored)} ignored; "
               f"see {out / 'index.html'} and {out / 'summary.csv'}")
    for r in failed:  # reasons usually start with the file's name already
        reason = r.reason.removeprefix(f"{Path(r.video).name}: ")
        typer.echo(f"  failed: {r.video}: {reason}", err=True)
    return 1 if failed else 0


def format_report(report: dict, label=lambda code: code) -> str:
    """The report as lines a person reads (`label` names each fault in words)."""
    from ..engine.verdicts import calibration_words

    lines = [f"{report['exercise']} | {report['source']['name']} | view: {report['view']} | "
             f"{report['duration_s']:.1f} s | {calibration_words(report)}"]
    if report.get("posture") is not None:
        for span in report["posture"]:
            faults = f" ({', '.join(map(label, span['faults']))})" if span["faults"] else ""
            lines.append(f"  {span['start_s']:6.1f}-{span['end_s']:6.1f} s  {span['state']}{faults}")
    else:
        lines.append(f"reps: {report['summary']['rep_count']}")
        for rep in report["reps"]:
            verdict = rep_verdict(rep, label)
            side = f" [{rep['side']}]" if rep["side"] else ""
            lines.append(f"  rep {rep['index']}{side}: {rep['start_s']:.1f}-{rep['end_s']:.1f} s, "
                         f"bottom {rep['bottom_s']:.1f} s: {verdict}")
        for hold in report["holds"]:
            side = f" [{hold['side']}]" if hold["side"] else ""
            lo, hi = hold["target_s"]
            verdict = "short of" if hold["good_s"] < lo else ("past" if hold["good_s"] > hi else "within")
            lines.append(f"  hold{side}: {hold['start_s']:.1f}-{hold['end_s']:.1f} s, "
                         f"{hold['good_s']:.1f} s with good form: {verdict} the {lo:g}-{hi:g} s target")
    if report.get("not_judged"):
        lines.append("not judged in this clip:")
        lines += [f"  {item['title']}: {item['reason']}" for item in report["not_judged"]]
    cues = [e for e in report["events"] if e["kind"] in ("cue", "view", "info")]
    if cues:
        lines.append("feedback:")
        lines += [f"  {e['t_s']:6.1f} s  [{e['kind']}] {e['message']}" for e in cues]
    return "\n".join(lines)


@app.command()
def calibrate(
    exercise: Annotated[str, typer.Argument(help="squat or sitting_posture (alias: sitting).")],
    source: SourceArg,
    user: UserOpt = "default",
    start: Annotated[Optional[float], typer.Option("--start", min=0.0, help="Use the input from this second.")] = None,
    end: Annotated[Optional[float], typer.Option("--end", min=0.0, help="...up to this second.")] = None,
    model: ModelOpt = "full",
) -> None:
    """Record your own targets: squat depth (a few good reps), sitting baseline (sit tall a few seconds)."""
    from ..engine.analysis import calibrate as run_calibration
    from ..engine.profiles import load_profile, save_profile
    from ..engine.spec import get_spec
    from ..pose.pipeline import PipelineSettings

    name = {"sitting": "sitting_posture"}.get(exercise, exercise)
    spec = get_spec(name)
    values = run_calibration(source, spec, start_s=start, end_s=end, settings=PipelineSettings(model=model))
    profile = load_profile(user)
    profile.update(name, values)
    path = save_profile(profile)
    for key, value in sorted(values.items()):
        typer.echo(f"{key} = {value:.3f}")
    typer.echo(f"saved to {path}")

