"""The posture monitor's history for the web page: today's timeline, per-hour chart, alerts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException

from ...sinks.history import History, day_bounds
from ..app import Settings

router = APIRouter(prefix="/api/monitor", tags=["monitor"])


@router.get("/day")
def monitor_day(settings: Settings, date: str | None = None) -> dict:
    """`date` as YYYY-MM-DD (default today): summary, per-minute timeline, hourly totals,
    alerts and breaks."""
    try:
        day = datetime.strptime(date, "%Y-%m-%d") if date else None
    except ValueError:
        raise HTTPException(status_code=400, detail="date must be YYYY-MM-DD") from None
    start, end = day_bounds(day)
    if not settings.history_path.is_file():
        return {"date": datetime.fromtimestamp(start).strftime("%Y-%m-%d"), "has_history": False,
                "summary": None, "timeline": [], "hourly": [], "alerts": [], "breaks": []}
    with History(settings.history_path) as history:
        return {"date": datetime.fromtimestamp(start).strftime("%Y-%m-%d"), "has_history": True,
                "summary": history.summary(start, end),
                "timeline": [{"minute_ts": m["minute_ts"], "state": m["state"], "faults": m["faults"]}
                             for m in history.minutes(start, end)],
                "hourly": history.hourly(start, end), "alerts": history.alerts(start, end),
                "breaks": history.breaks(start, end)}
