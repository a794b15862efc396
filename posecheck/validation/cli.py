"""`posecheck validate`: the command; the work is in runner, scoring and report."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import PosecheckError
from ..files import writable_dir
from .report import Goal

MinOpt = Optional[float]


def _goal_opt(help_text: str):
    return typer.Option(min=0.0, max=1.0, help=f"Fail (exit 1) when {help_text} is below this share (0-1).")


def validate(
    labels_file: Annotated[Path, typer.Argument(metavar="LABELS.json", help="Label file (format in the README).")],
    root: Annotated[Optional[Path], typer.Option("--root", metavar="DIR", help="Folder the clip paths are relative to "
                                                              "(default: the label file's folder).")] = None,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where validation.json, validation.html and per-clip "
                                                    "results go.")] = Path("posecheck-validation"),
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Clips run at once.")] = 1,
    model: Annotated[str, typer.Option("--model", help="Pose model: lite, full or heavy.")] = "full",
    cache: Annotated[Optional[Path], typer.Option("--cache", metavar="DIR", help="Landmark recordings of the clips, by checksum "
                                                                  "(default: OUT/landmarks).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report instead of the table.")] = False,
    perturb: Annotated[bool, typer.Option(
        "--perturb", help="Then replay every clip's checkers over its landmark recording twice more, every fault "
                          "threshold 10% nearer to (-10%) and further from (+10%) the good value: enter and exit "
                          "offsets from the reference scaled by 0.9 and 1.1 (absolute thresholds: their distance "
                          "from the metric's neutral reading), and report per fault how many clip verdicts "
                          "flip.")] = False,
    min_reps_exact: Annotated[MinOpt, _goal_opt("the share of rep-labelled clips counted exactly")] = None,
    min_reps_within_one: Annotated[MinOpt, _goal_opt("the share of rep clips within one")] = None,
    min_fault_f1: Annotated[MinOpt, _goal_opt("the overall fault F1")] = None,
    min_sitting: Annotated[MinOpt, _goal_opt("the sitting agreement")] = None,
    min_holds: Annotated[MinOpt, _goal_opt("the share of hold windows found")] = None,
    min_negatives_silent: Annotated[MinOpt, _goal_opt("the share of negatives kept silent")] = None,
) -> None:
    """Run the checkers on labelled clips and report their agreement with the labels."""
    from tqdm import tqdm

    from ..sinks.report import write_json
    from ..sinks.validation_html import write_validation_html
    from . import report as validation_report
    from .labels import load_labels
    from .runner import plan, run_all

    labels = load_labels(labels_file)
    root = root or labels_file.parent
    if not root.is_dir():
        raise PosecheckError(f"--root {root}: not a folder")
    goals = [Goal(name, label, value) for name, label, value in (
        ("reps_exact", "reps exact", min_reps_exact), ("reps_within_one", "reps within one", min_reps_within_one),
        ("fault_f1", "fault F1", min_fault_f1), ("sitting_agreement", "sitting agreement", min_sitting),
        ("holds_found", "hold windows found", min_holds),
        ("negatives_silent", "negatives silent", min_negatives_silent)) if value is not None]
    writable_dir(out)  # before any clip runs
    jobs = plan(labels, root, out, cache or out / "landmarks", model)
    bar = tqdm(total=len(jobs), unit="clip", file=sys.stderr, disable=not sys.stderr.isatty())
    outcomes = run_all(jobs, workers=workers, on_done=lambda o: progress(bar, o, len(jobs)))
    bar.close()
    flips = None
    if perturb:
        from .perturb import perturb_clip, summarise_flips

        replay = [j for j in jobs if outcomes[j.name].status != "failed"]
        bar = tqdm(total=len(replay), unit="clip", desc="perturb", file=sys.stderr, disable=not sys.stderr.isatty())
        perturbed = run_all(replay, workers=workers, on_done=lambda o: progress(bar, o, len(replay)), work=perturb_clip)
        bar.close()
        flips = summarise_flips(outcomes, perturbed, list(labels.clips))
    result = validation_report.build(str(labels_file), labels, outcomes, model=model, goals=goals, perturb=flips)
    write_json(out / "validation.json", result)
    write_validation_html(out / "validation.html", result)
    typer.echo(json.dumps(result) if as_json else validation_report.text_table(result))
    if not as_json:
        typer.echo(f"\nreport: {out / 'validation.html'} and {out / 'validation.json'}")
    perturb_failed = result.get("perturb", {}).get("failed", [])
    for failure in result["failed"]:
        typer.echo(f"posecheck: failed: {failure['clip']}: {failure['reason']}", err=True)
    for failure in perturb_failed:
        typer.echo(f"posecheck: perturb failed: {failure['clip']}: {failure['reason']}", err=True)
    if result["failed"] or perturb_failed or not all(g["met"] for g in result["goals"]):
        raise typer.Exit(1)


def progress(bar, outcome, total: int) -> None:
    """A bar on a terminal; a line per clip otherwise (a log, a CI job), so a long run shows it is alive."""
    bar.update(1)
    bar.done_clips = getattr(bar, "done_clips", 0) + 1  # a disabled bar counts nothing itself
    if bar.disable:
        print(f"validate: {bar.done_clips}/{total} clips ({getattr(outcome, 'name', '')}: "
              f"{getattr(outcome, 'status', '')})", file=sys.stderr, flush=True)
