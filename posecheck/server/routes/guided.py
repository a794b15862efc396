"""Guided sessions (`/session`) and progress (`/progress`): routines, a run's plan, skipping
a set, the end of a session in words, and the progress page from the local history."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from anyio import to_thread

from ...engine.spec import get_spec
from ...errors import PosecheckError
from ...training.guided import plan_sets
from ...training.routines import get_routine, usable_routines
from ..deps import Settings
from ..guided_runs import GuidedRuns, RunNotFound
from ..schemas import GuidedFinish, GuidedRunOut, GuidedStart, GuidedSummaryOut, RoutineOut

router = APIRouter(tags=["guided"])
log = logging.getLogger(__name__)


def runs(request: Request) -> GuidedRuns:
    return request.app.state.guided


def routine_out(name: str, routine=None) -> dict:
    routine = routine or get_routine(name)
    plans = plan_sets(routine, {s.exercise: get_spec(s.exercise) for s in routine.steps})
    return {"name": routine.name, "title": routine.routine.title, "summary": routine.routine.summary,
            "safety": routine.routine.safety, "advice": routine.routine.advice, "sets": [p.to_dict() for p in plans]}


@router.get("/api/routines", response_model=list[RoutineOut])
def list_routines() -> list[dict]:
    """The routines that load; a broken file of the user's is left out (and logged), so
    the session page can still start the others."""
    good, broken = usable_routines()
    for name, why in broken.items():
        log.warning("routine %s left out: %s", name, why)
    return [routine_out(name, routine) for name, routine in good.items()]


@router.post("/api/guided", response_model=GuidedRunOut)
async def start_guided(body: GuidedStart, request: Request) -> dict:
    try:
        run = await to_thread.run_sync(runs(request).start, body.routine, body.user)
    except PosecheckError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return {**routine_out(run.routine.name), "run_id": run.id, "user": run.user, "stored": run.keep}


@router.post("/api/guided/{run_id}/sets/{index}/skip")
async def skip_set(run_id: str, index: int, request: Request) -> dict:
    try:
        outcome = await to_thread.run_sync(runs(request).skip, run_id, index)
    except RunNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return outcome.to_dict()


@router.post("/api/guided/{run_id}/finish", response_model=GuidedSummaryOut)
async def finish_guided(run_id: str, body: GuidedFinish, request: Request) -> dict:
    try:
        summary = await to_thread.run_sync(lambda: runs(request).finish(run_id, pain=body.pain))
    except RunNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    data = summary.to_dict()
    return {"lines": data["lines"], "pain_stop": data["pain_stop"], "sets": data["sets"]}


NO_HISTORY_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>posecheck progress</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/style.css"></head><body>
<header><h1>posecheck</h1><nav class="links"><a href="/">Live coach</a><a href="/session">Guided session</a>
<a href="/progress" aria-current="page">Progress</a><a href="/monitor">Posture monitor</a></nav></header>
<section class="panel"><h2>Your progress</h2><p>No history yet: finish a set in the live coach or a guided
session first.</p><p><a href="/session">Start a guided session</a></p></section></body></html>"""


@router.get("/progress", response_class=HTMLResponse, include_in_schema=False)
def progress_page(settings: Settings, user: str = "default", since: str | None = None) -> HTMLResponse:
    from ...engine.profiles import check_name
    from ...sinks.handout import render_progress
    from ...sinks.history import History
    from ...training.progress import parse_day

    try:
        check_name(user)
        start = parse_day(since) if since else \
            datetime.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(weeks=4)
    except PosecheckError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"since: {exc}") from None
    if not settings.history_path.is_file():
        return HTMLResponse(NO_HISTORY_PAGE)
    try:
        history = History(settings.history_path, readonly=True)
    except PosecheckError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    with history:
        return HTMLResponse(render_progress(history, user, start, page=True))
