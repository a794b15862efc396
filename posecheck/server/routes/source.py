"""The server-source WebSocket (`/ws/source`): the server reads its own camera or file
(`posecheck serve --source`), runs the session, and streams annotated pictures."""

from __future__ import annotations

import asyncio
import math
import threading
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from ...errors import PosecheckError
from ...training.live import LiveSession
from ..live_sessions import (
    CLOSE_POLICY,
    SessionRefused,
    close_session,
    finish_session,
    frame_message,
    open_session,
    origin_ok,
    refuse,
    send_error,
    send_message,
)
from ..schemas import ReadyMessage, StopMessage
from ..settings import ServerSettings

router = APIRouter(tags=["live"])
# pace 0 runs a file as fast as possible; otherwise a tenth of real time up to ten times
# it. Slower would leave a session asleep for minutes between frames.
PACE_RANGE = (0.1, 10.0)


def pace_problem(pace: float, every: int) -> str | None:
    if not math.isfinite(pace) or not (pace == 0 or PACE_RANGE[0] <= pace <= PACE_RANGE[1]):
        return f"pace must be 0 (as fast as possible) or between {PACE_RANGE[0]:g} and {PACE_RANGE[1]:g}"
    if not 1 <= every <= 1000:
        return "every must be between 1 and 1000"
    return None


class SourcePlayer:
    """Reads the server's source on its own thread, runs the session on each frame,
    paces a file like a camera, and hands (jpeg, update) items to the event loop.
    `stop` ends it within one frame's work, even mid-wait."""

    def __init__(self, settings: ServerSettings, session: LiveSession, pace: float, every: int,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.settings, self.session, self.pace, self.every = settings, session, pace, every
        self.loop = loop
        self.items: asyncio.Queue = asyncio.Queue(maxsize=8)
        self.stop = threading.Event()
        self.finished = loop.create_future()
        self._thread = threading.Thread(target=self._run, daemon=True, name="posecheck-source")

    def start(self) -> None:
        self._thread.start()

    def end_stream(self) -> None:
        """Stop reading and end the stream now: what is queued is dropped, the end marker
        goes in (this also frees a player blocked on a full queue)."""
        self.stop.set()
        while not self.items.empty():
            self.items.get_nowait()
        self.items.put_nowait(None)

    async def wind_down(self) -> None:
        """Stop, and return once the player no longer uses the session's model."""
        self.stop.set()
        if self._thread.is_alive():
            while not self.items.empty():
                self.items.get_nowait()
            await self.finished

    def _hand_over(self, item) -> bool:
        future = asyncio.run_coroutine_threadsafe(self.items.put(item), self.loop)
        while True:
            try:
                future.result(timeout=0.2)
                return True
            except TimeoutError:
                if self.stop.is_set():
                    future.cancel()
                    return False

    def _run(self) -> None:
        try:
            self._play()
        except PosecheckError as exc:
            self._hand_over(exc)
        except Exception as exc:  # noqa: BLE001 - reported to the page, not lost in a thread
            self._hand_over(PosecheckError(f"source stopped: {type(exc).__name__}: {exc}"))
        finally:
            if not self.stop.is_set():
                self._hand_over(None)
            self.loop.call_soon_threadsafe(lambda: self.finished.done() or self.finished.set_result(None))

    def _play(self) -> None:
        import cv2

        from ...pose.sources import open_source
        from ...sinks.overlay import SkeletonAnnotator

        annotator = SkeletonAnnotator()
        while not self.stop.is_set():
            source = open_source(self.settings.source, max_side=1280)
            wall0, t0 = time.monotonic(), None
            try:
                for frame in source:
                    if self.stop.is_set():
                        return
                    update = self.session.process(frame)
                    t0 = frame.timestamp_ms if t0 is None else t0
                    if self.pace > 0:  # play a file like a camera
                        delay = (frame.timestamp_ms - t0) / 1000 / self.pace - (time.monotonic() - wall0)
                        if delay > 0 and self.stop.wait(delay):
                            return
                    jpeg = None
                    if frame.index % self.every == 0:
                        picture = annotator.annotate(frame.image.copy(), update.pose_frame.pose,
                                                     highlight=update.highlight)
                        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR),
                                               [cv2.IMWRITE_JPEG_QUALITY, 75])
                        jpeg = buf.tobytes() if ok else None
                    if not self._hand_over((jpeg, update)):
                        return
            finally:
                source.close()
            if not self.settings.loop_source:
                return


@router.websocket("/ws/source")
async def live_server_source(ws: WebSocket, pace: float = 1.0, every: int = 1) -> None:
    """Reads the server's own source (`posecheck serve --source`), paced in real time
    (`pace=0`: as fast as possible), and streams annotated JPEGs plus feedback until the
    source ends, the client sends stop (then the summary) or goes away."""
    settings: ServerSettings = ws.app.state.settings
    if not origin_ok(ws):
        await ws.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    await ws.accept()
    problem = pace_problem(pace, every)
    if problem or settings.source is None:
        await refuse(ws, SessionRefused("bad_request", problem, CLOSE_POLICY) if problem else
                      SessionRefused("no_source", "this server was started without --source", CLOSE_POLICY))
        return
    first = await ws.receive()
    if first["type"] == "websocket.disconnect":
        return
    try:
        session, start = await open_session(ws, first.get("text"), landmarks_allowed=False)
    except SessionRefused as refused:
        refused.close_code = refused.close_code or CLOSE_POLICY
        await refuse(ws, refused)
        return
    session_id = ws.app.state.sessions.new_id()
    player = SourcePlayer(settings, session, pace, every, asyncio.get_running_loop())
    gone = asyncio.Event()
    pain = False

    async def watch_client() -> None:
        """Stop on the client's stop message; notice at once when it goes away."""
        nonlocal pain
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                gone.set()
                break
            if message.get("text") is not None:
                try:
                    pain = StopMessage.model_validate_json(message["text"]).reason == "pain"
                    break
                except ValidationError:
                    await send_error(ws, "bad_message", "expected {\"type\": \"stop\"}")
        player.end_stream()

    watcher = None
    try:
        await send_message(ws, ReadyMessage(session_id=session_id, exercise=start.exercise, mode=start.mode,
                                     max_frame_bytes=settings.max_frame_bytes,
                                     max_frame_pixels=settings.max_frame_pixels))
        player.start()
        watcher = asyncio.create_task(watch_client())
        seq = 0
        while True:
            item = await player.items.get()
            if item is None:
                break
            if isinstance(item, PosecheckError):
                await send_error(ws, "source_error", str(item))
                continue
            jpeg, update = item
            if jpeg is not None:
                await ws.send_bytes(jpeg)
            await send_message(ws, frame_message(seq, update))
            seq += 1
        await player.wind_down()  # the model is no longer in use
        if not gone.is_set():
            await finish_session(ws, session, session_id, start, pain=pain)
            await ws.close()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if watcher is not None:
            watcher.cancel()
        await player.wind_down()
        close_session(ws, session)
