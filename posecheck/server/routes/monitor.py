"""The posture monitor for the web page: today's timeline, per-hour chart, alerts, the
daily score and streak; alerts and the live preview pushed as server-sent events; pause
and resume through the running monitor's control channel.

The event streams share one poller (`_Feed`): one status query and one alert read a tick
for every open page, not one per page. Uvicorn waits for open responses to finish before it
runs the lifespan's shutdown, so the streams end on the stop signal itself (SIGTERM/SIGINT,
chained to the server's own handler at startup), or `serve` would wait for every tab."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
from collections import deque
from contextlib import asynccontextmanager
from datetime import datetime

from anyio import to_thread
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ...errors import PosecheckError
from ...monitor.control import MonitorNotRunning, parse_pause, send, socket_path
from ...sinks.history import History, daily_scores, day_bounds, streak
from ...training.progress import parse_day
from ..deps import Settings

PUSH_EVERY_S = 1.0
UNANSWERED_TICKS = 5  # a monitor that answers no status query this many ticks running is called stopped


@asynccontextmanager
async def _lifespan(app: FastAPI):
    feed = app.state.monitor_feed = _Feed(app.state.settings)
    loop = asyncio.get_running_loop()
    restore = _chain_stop_signals(lambda: loop.call_soon_threadsafe(feed.stop))
    try:
        yield
    finally:
        restore()
        feed.stop()


router = APIRouter(prefix="/api/monitor", tags=["monitor"], lifespan=_lifespan)


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duration: str | None = Field(None, max_length=20, description="30m, 1h, until-tomorrow; none: until resumed")


@router.get("/day")
def monitor_day(settings: Settings, date: str | None = None) -> dict:
    """`date` as YYYY-MM-DD (default today): summary, per-minute timeline, hourly totals,
    alerts and breaks, and the daily scores of the last 14 days with the current streak."""
    try:
        day = parse_day(date) if date else None
        start, end = day_bounds(day)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    except (OverflowError, OSError):  # past the platform's time range (e.g. 9999-12-31)
        raise HTTPException(status_code=400, detail=f"date {date[:24]} is out of range") from None
    if not settings.history_path.is_file():
        return {"date": datetime.fromtimestamp(start).date().isoformat(), "has_history": False,
                "summary": None, "timeline": [], "hourly": [], "alerts": [], "breaks": [], "days": [], "streak": 0}
    try:
        history = History(settings.history_path, readonly=True)
    except PosecheckError as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    with history:
        days = daily_scores(history, 14, day)
        return {"date": datetime.fromtimestamp(start).date().isoformat(), "has_history": True,
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


def _chain_stop_signals(on_stop):
    """Calls `on_stop` on SIGTERM/SIGINT, then the handler the server installed (uvicorn's
    sets its should_exit). Only where a server has its own handler, in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    chained = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        before = signal.getsignal(sig)
        if not callable(before):
            continue

        def handler(signum, frame, before=before):
            on_stop()
            before(signum, frame)

        signal.signal(sig, handler)
        chained[sig] = (handler, before)

    def restore() -> None:
        for sig, (handler, before) in chained.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, before)

    return restore


_UNKNOWN = object()  # the monitor did not answer in time: busy or slow, not stopped


def _status(settings) -> dict | None | object:
    try:
        return send(socket_path(settings.history_path), {"cmd": "status"}, timeout=1.0)
    except MonitorNotRunning:
        return None
    except PosecheckError:
        return _UNKNOWN


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


class _Feed:
    """What every open /monitor page is pushed, fetched once a tick while any page is open:
    the status line (as JSON) and the newest alerts."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.loop = asyncio.get_running_loop()
        self.stopping = False
        self.subscribers = 0
        self.task: asyncio.Task | None = None
        self.tick = asyncio.Event()  # set, and replaced, after each poll (and on stop)
        self._reset()

    def _reset(self) -> None:
        self.ready = False  # polled at least once since the first page opened
        self.status: str | None = None  # the status event's data, once known
        self.unanswered = 0
        self.alerts: deque[dict] = deque(maxlen=200)
        self.alert_id: int | None = None  # the newest alert read
        self.alert_floor: int | None = None  # where reading began: pages from then on get what follows

    def subscribe(self) -> None:
        self.subscribers += 1
        if self.task is None and not self.stopping:
            self._reset()
            self.task = self.loop.create_task(self._poll())

    def unsubscribe(self) -> None:
        self.subscribers -= 1

    def stop(self) -> None:
        self.stopping = True
        self._next_tick()
        if self.task is not None:
            self.task.cancel()

    def _next_tick(self) -> None:
        self.tick.set()
        self.tick = asyncio.Event()

    async def _poll(self) -> None:
        try:
            while self.subscribers > 0 and not self.stopping:
                try:
                    await self._refresh()
                except Exception as exc:  # noqa: BLE001 - the pages keep the last status; try again next tick
                    print(f"monitor page feed: {type(exc).__name__}: {exc}", file=sys.stderr)
                self.ready = True
                self._next_tick()
                await asyncio.sleep(PUSH_EVERY_S)
        finally:
            self.task = None
            self.ready = False

    async def _refresh(self) -> None:
        status = await to_thread.run_sync(_status, self.settings, abandon_on_cancel=True)
        self.unanswered = self.unanswered + 1 if status is _UNKNOWN else 0
        if status is _UNKNOWN and self.unanswered < UNANSWERED_TICKS:
            pass  # no answer now is not "stopped": the pages keep what they were told (nothing yet)
        else:
            status = None if status is _UNKNOWN else status
            self.status = json.dumps({"running": status is not None, **(status or {})}, sort_keys=True)
        found, self.alert_id = await to_thread.run_sync(_new_alerts, self.settings, self.alert_id,
                                                        abandon_on_cancel=True)
        if self.alert_floor is None:
            self.alert_floor = self.alert_id
        self.alerts.extend(found)


def _feed(app) -> _Feed:
    """The app's feed (made by the lifespan; here when the app runs without one)."""
    feed = getattr(app.state, "monitor_feed", None)
    if feed is None or feed.loop is not asyncio.get_running_loop():
        feed = app.state.monitor_feed = _Feed(app.state.settings)
    return feed


@router.get("/events")
async def events(request: Request) -> StreamingResponse:
    """Server-sent events: `status` (the monitor's state and live preview, values against
    the limits, when it changes; `running: false` without a monitor) and `alert` (each new
    alert, as it is written). Every stream ends when the server is told to stop."""
    feed = _feed(request.app)

    async def stream():
        feed.subscribe()
        try:
            yield "retry: 3000\n\n"
            last_status = None
            seen = feed.alert_id if feed.ready else None  # alerts from now on
            while not feed.stopping and not await request.is_disconnected():
                if feed.ready:
                    if feed.status is not None and feed.status != last_status:
                        last_status = feed.status
                        yield f"event: status\ndata: {last_status}\n\n"
                    if seen is None:
                        seen = feed.alert_floor
                    for alert in list(feed.alerts):
                        if seen is not None and alert["id"] > seen:
                            seen = alert["id"]
                            yield f"event: alert\ndata: {json.dumps(alert)}\n\n"
                await feed.tick.wait()
        finally:
            feed.unsubscribe()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
