"""Routines and guided sessions: `posecheck routines list|show`, `posecheck session`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import PosecheckError
from .common import DbOpt, MaxSideOpt, ModelOpt, UserOpt, app, history_path, max_side_or_default

routines_app = typer.Typer(rich_markup_mode=None, help="Routines: exercises in order, with sets, targets and rests.", no_args_is_help=True)
app.add_typer(routines_app, name="routines")


@routines_app.command("list")
def routines_list() -> None:
    """Every routine, and where it comes from."""
    from ..training.routines import routine_files, usable_routines

    good, broken = usable_routines()
    for name, found in routine_files().items():
        if name in broken:  # listed with why, so `show` refusing it is no surprise
            typer.echo(f"{name:<16} (cannot be used: {broken[name]})  [{found.origin}: {found.file}]")
            continue
        routine = good[name]
        steps = ", ".join(f"{s.sets}x {s.exercise}" for s in routine.steps)
        typer.echo(f"{name:<16} {routine.routine.title}: {steps}  [{found.origin}: {found.file}]")


@routines_app.command("show")
def routines_show(name: Annotated[str, typer.Argument()]) -> None:
    """A routine set by set, as a guided session leads you through it."""
    from ..engine.spec import get_spec
    from ..training.guided import plan_sets
    from ..training.routines import get_routine

    routine = get_routine(name)
    specs = {s.exercise: get_spec(s.exercise) for s in routine.steps}
    typer.echo(f"{routine.routine.title}: {routine.routine.summary}")
    typer.echo("Before you start:")
    for line in routine.routine.safety:
        typer.echo(f"  - {line}")
    for plan in plan_sets(routine, specs):
        rest = f"; then rest {plan.rest_s:g} s" if plan.rest_s else ""
        note = f" ({plan.note})" if plan.note and plan.set_number == 1 else ""
        typer.echo(f"{plan.title}. {plan.describe()}{rest}{note}")


@app.command()
def session(
    routine_name: Annotated[str, typer.Option("--routine", help="A routine (see `posecheck routines list`).")],
    sources: Annotated[Optional[list[Path]], typer.Option(
        "--source", help="A video of one set; repeat for the next sets, in the routine's order.")] = None,
    mapped: Annotated[Optional[list[str]], typer.Option(
        "--set", metavar="EXERCISE=FILE",
        help="A video for the next set of that exercise (squat=c.mp4), or for set N of the session (3=c.mp4); "
             "repeat. Instead of --source.")] = None,
    user: UserOpt = "default",
    db: DbOpt = None,
    keep: Annotated[Optional[bool], typer.Option("--history/--no-history", help="Store the sets and the session (default: the user's setting, on unless switched off).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    model: ModelOpt = "full",
    max_side: MaxSideOpt = None,
) -> None:
    """A guided session, headless: each video is one set of the routine (in order with
    --source, or mapped with --set); sets without a video are reported as not done. Says
    which video went to which set, prints each set and the summary in words, and stores
    them in the history. A video that cannot be read, or that shows another exercise than
    its set, is reported and the others go on; the exit code is then 2."""
    from ..engine.profiles import load_profile
    from ..engine.spec import all_specs, get_spec
    from ..pose.pipeline import PipelineSettings
    from ..sinks.history import History
    from ..sinks.training_log import SessionRecorder, TrainingLog
    from ..training.guided import not_done, outcome_from_report, plan_sets, set_words, summarise
    from ..training.routines import get_routine
    from ..training.set_videos import WrongExercise, analyze_set, assign_videos

    routine = get_routine(routine_name)
    specs = {s.exercise: get_spec(s.exercise) for s in routine.steps}
    plans = plan_sets(routine, specs)
    if not sources and not mapped:
        raise PosecheckError("give the sets' videos: --source FILE per set in order, or --set EXERCISE=FILE")
    videos = assign_videos(plans, list(sources or []), list(mapped or []))
    profile = load_profile(user)
    store = profile.keep_history if keep is None else keep
    settings = PipelineSettings(model=model, max_side=max_side_or_default(max_side, PipelineSettings.max_side))
    log = recorder = None
    if store:  # each set is written as it ends; a database another program holds locked is waited for
        log = TrainingLog(History(history_path(db)))
        recorder = SessionRecorder(log, user, routine.name, routine.routine.title, len(plans),
                                   warn=lambda text: typer.echo(text, err=True))
    say = (lambda _text: None) if as_json else typer.echo
    say(f"{routine.routine.title}. Before you start:")
    for line in routine.routine.safety:
        say(f"  - {line}")
    say("Videos:")
    for plan in plans:
        say(f"  set {plan.index + 1} ({plan.title}, set {plan.set_number} of {plan.sets}): "
            + (videos[plan.index].name if plan.index in videos else "no video"))
    others = all_specs()
    outcomes, failed = [], []
    try:
        for plan in plans:
            if plan.index not in videos:
                outcome = not_done(plan, "no_footage")
            else:
                source = videos[plan.index]
                say(f"{plan.describe()} ({source.name})")
                try:
                    report = analyze_set(source, specs[plan.exercise], others, profile, settings)
                except PosecheckError as exc:
                    failed.append(f"{source}: {exc}")
                    typer.echo(f"posecheck: error: {exc}", err=True)
                    outcome = (not_done(plan, "wrong_exercise") if isinstance(exc, WrongExercise) else
                               not_done(plan, "unreadable", short_reason(exc, source)))
                else:
                    outcome = outcome_from_report(plan, report, specs[plan.exercise], profile, source=str(source))
            outcomes.append(outcome)
            say(f"  {set_words(outcome)}")
            if recorder is not None:
                recorder.add_set(outcome)
            if plan.rest_s and plan.index + 1 in videos:
                say(f"  Rest {plan.rest_s:g} s.")
        summary = summarise(routine, outcomes, pain_stop=False)
        if recorder is not None:
            recorder.finish(summary)
    finally:
        if log is not None:
            log.history.close()
    unsaved = recorder.unsaved() if recorder is not None else None
    if as_json:
        typer.echo(json.dumps({**summary.to_dict(), "stored": store and unsaved is None, "failed": failed}, indent=2))
    else:
        typer.echo("Summary:")
        for line in summary.lines:
            typer.echo(f"  {line}")
        if store and unsaved is None:
            typer.echo(f"Stored in {history_path(db)}.")
        if failed:
            typer.echo(f"{len(failed)} video(s) not used: " + "; ".join(failed))
    if unsaved is not None:  # after the summary: what was analysed is on the screen
        raise PosecheckError(unsaved)
    if failed:
        raise typer.Exit(2)


def short_reason(exc: Exception, source: Path) -> str:
    """Why a video could not be read, without its path (the set's line names the set) or
    the decoder's own words: `not a readable video file`."""
    text = str(exc)
    for prefix in (f"{source}: ", f"{source.name}: "):
        text = text.removeprefix(prefix)
    return text.split(" (", 1)[0].strip().rstrip(".") or "unknown problem"


def parse_since(text: str, option: str = "--since") -> datetime:
    """`2026-11-01`, or `14d` / `4w` back from today (midnight); progress.parse_day."""
    from ..training.progress import parse_day

    try:
        return parse_day(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"'{option}'") from None


@app.command()
def report(
    user: Annotated[str, typer.Option("--user", help="Whose history to read.")] = "default",
    since: Annotated[str, typer.Option("--since", help="From this day (YYYY-MM-DD, or 14d / 4w back).")] = "4w",
    until: Annotated[Optional[str], typer.Option("--until", help="Up to (not including) this day.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Where to write the HTML page (default: posecheck-report-<user>-<date>.html here).")] = None,
    db: DbOpt = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write a PDF beside the HTML page (drawn by matplotlib).")] = False,
) -> None:
    """A handout for your physiotherapist: one self-contained HTML page with adherence
    (sessions and sets against the plan), per-exercise trends, depth against your
    calibrated mobility, recurring faults with their cue, and stops for pain. It stays
    on this computer unless you send it; --pdf also writes it as a PDF."""
    from ..engine.profiles import check_name
    from ..files import writable_file
    from ..sinks.handout import write_handout, write_handout_pdf
    from ..sinks.history import History

    check_name(user)  # it names the page's file, and it is a user name like any other
    start = parse_since(since)
    end = parse_since(until, "--until") if until else None
    if end is not None and end <= start:
        raise typer.BadParameter(f"'{until}' is not after --since {since}: the report would cover nothing",
                                 param_hint="'--until'")
    path = history_path(db)
    if not path.is_file():
        raise PosecheckError(f"{path}: no history yet (finish a set or a guided session first)")
    out = out or Path(f"posecheck-report-{user}-{datetime.now():%Y-%m-%d}.html")
    writable_file(out, "report")
    if pdf:
        writable_file(out.with_suffix(".pdf"), "PDF report")
    with History(path, readonly=True) as history:
        write_handout(history, user, start, out, end)
        typer.echo(f"wrote {out}")
        if pdf:
            typer.echo(f"wrote {write_handout_pdf(history, user, start, out.with_suffix('.pdf'), end)}")
