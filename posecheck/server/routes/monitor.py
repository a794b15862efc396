"""The posture monitor's history for the web page: today's timeline, per-hour chart, alerts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException

from ...errors import PosecheckError
from ...sinks.history import History, day_bounds
from ..app import Settings

router = APIRouter(prefix="/api/monitor", tags=["monitor"])


@router.get("/day")
def monitor_day(settings: Settings, date: str | None = None) -> dict:
    """`date` as YYYY-MM-DD (default today): summary, per-minute timeline, hourly totals,
    alerts and breaks."""
    try:
        day = datetime.strptime(date, "%Y-%m-%d") if date else None
        start, end = day_bounds(day)
    except ValueError:
        raise HTTPException(status_code=400, detail="date must be YYYY-MM-DD") from None
    except (OverflowError, OSError):  # past the platform's time range (e.g. 9999-12-31)
        raise HTTPException(status_code=400, detail=f"date {date} is out of range") from None
    if not settings.history_path.is_file():
        return {"date": datetime.fromtimestamp(start).strftime("%Y-%m-%d"), "has_history": False,
                "summary": None, "timeline": [], "hourly": [], "alerts": [], "breaks": []}
    try:
        history = History(settings.history_path, readonly=True)
    except PosecheckError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    with history:
        return {"date": datetime.fromtimestamp(start).strftime("%Y-%m-%d"), "has_history": True,
                "summary": history.summary(start, end),
                "timeline": [{"minute_ts": m["minute_ts"], "state": m["state"], "faults": m["faults"]}
                             for m in history.minutes(start, end)],
                "hourly": history.hourly(start, end), "alerts": history.alerts(start, end),
                "breaks": history.breaks(start, end)}
