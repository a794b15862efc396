"""The posture monitor for the web page: today's timeline, per-hour chart, alerts, the
daily score and streak; alerts and the live preview pushed as server-sent events; pause
and resume through the running monitor's control channel."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ...errors import PosecheckError
from ...monitor_control import parse_pause, send, socket_path
from ...sinks.history import History, daily_scores, day_bounds, streak
from ..app import Settings

router = APIRouter(prefix="/api/monitor", tags=["monitor"])
PUSH_EVERY_S = 1.0


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration: str | None = Field(None, max_length=20, description="30m, 1h, until-tomorrow; none: until resumed")


@router.get("/day")
def monitor_day(settings: Settings, date: str | None = None) -> dict:
    """`date` as YYYY-MM-DD (default today): summary, per-minute timeline, hourly totals,
    alerts and breaks, and the daily scores of the last 14 days with the current streak."""
    try:
        day = datetime.strptime(date, "%Y-%m-%d") if date else None
        start, end = day_bounds(day)
    except ValueError:
        raise HTTPException(status_code=400, detail="date must be YYYY-MM-DD") from None
    except (OverflowError, OSError):  # past the platform's time range (e.g. 9999-12-31)
        raise HTTPException(status_code=400, detail=f"date {date} is out of range") from None
    if not settings.history_path.is_file():
        return {"date": datetime.fromtimestamp(start).strftime("%Y-%m-%d"), "has_history": False,
                "summary": None, "timeline": [], "hourly": [], "alerts": [], "breaks": [], "days": [], "streak": 0}
    try:
        history = History(settings.history_path, readonly=True)
    except PosecheckError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    with history:
        days = daily_scores(history, 14, day)
        return {"date": datetime.fromtimestamp(start).strftime("%Y-%m-%d"), "has_history": True,
                "summary": history.summary(start, end),
                "timeline": [{"minute_ts": m["minute_ts"], "state": m["state"], "faults": m["faults"]}
                             for m in history.minutes(start, end)],
                "hourly": history.hourly(start, end), "alerts": history.alerts(start, end),
                "breaks": history.breaks(start, end), "days": days, "streak": streak(days)}


def _control(settings, request: dict) -> dict:
    try:
        return send(socket_path(settings.history_path), request, timeout=2.0)
    except PosecheckError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None


@router.post("/pause")
async def pause(body: PauseRequest, settings: Settings) -> dict:
    try:
        fields = parse_pause(body.duration)
    except PosecheckError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return await to_thread.run_sync(_control, settings, {"cmd": "pause", **fields})


@router.post("/resume")
async def resume(settings: Settings) -> dict:
    return await to_thread.run_sync(_control, settings, {"cmd": "resume"})


def _status(settings) -> dict | None:
    try:
        return send(socket_path(settings.history_path), {"cmd": "status"}, timeout=1.0)
    except PosecheckError:
        return None


def _new_alerts(settings, after: int | None) -> tuple[list[dict], int | None]:
    if not settings.history_path.is_file():
        return [], after
    try:
        with History(settings.history_path, readonly=True) as history:
            if after is None:  # only what comes from now on
                return [], history.last_alert_id()
            found = history.alerts_after(after)
            return found, found[-1]["id"] if found else after
    except PosecheckError:
        return [], after


@router.get("/events")
async def events(request: Request, settings: Settings) -> StreamingResponse:
    """Server-sent events: `status` (the monitor's state and live preview, values against
    the limits, when it changes; `running: false` without a monitor) and `alert` (each new
    alert, as it is written)."""

    async def stream():
        last_status, after = None, None
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            status = await to_thread.run_sync(_status, settings)
            payload = json.dumps({"running": status is not None, **(status or {})}, sort_keys=True)
            if payload != last_status:
                last_status = payload
                yield f"event: status\ndata: {payload}\n\n"
            alerts, after = await to_thread.run_sync(_new_alerts, settings, after)
            for alert in alerts:
                yield f"event: alert\ndata: {json.dumps(alert)}\n\n"
            await asyncio.sleep(PUSH_EVERY_S)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
