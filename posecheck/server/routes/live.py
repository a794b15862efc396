"""Live sessions over WebSockets: browser camera (`/ws/live`) and server source (`/ws/source`)."""

from __future__ import annotations

import asyncio
import struct
import time

import numpy as np
from anyio import to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from ... import __version__
from ...errors import PosecheckError
from ...live import LiveSession, LiveUpdate
from ...profiles import load_profile, save_profile
from ...spec import get_spec
from ...types import Frame
from ..app import Settings, ServerSettings
from ..schemas import (
    ErrorMessage, EventOut, FrameMessage, ReadyMessage, ServerConfig, StartMessage, StopMessage, SummaryMessage,
)

router = APIRouter(tags=["live"])
_HEADER = struct.Struct("<d")


@router.get("/api/config", response_model=ServerConfig)
def config(settings: Settings) -> dict:
    return {"version": __version__, "source": settings.source, "max_frame_bytes": settings.max_frame_bytes}


def _origin_ok(ws: WebSocket, settings: ServerSettings) -> bool:
    origin = ws.headers.get("origin")
    return origin is None or origin in settings.allowed_origins()


def frame_message(seq: int, update: LiveUpdate) -> FrameMessage:
    r, pose = update.result, update.pose_frame.pose
    landmarks = None
    if pose is not None:
        arr = np.column_stack([pose.xyz_norm[:, :2], pose.visibility]).round(4)
        landmarks = arr.tolist()
    return FrameMessage(seq=seq, t_ms=update.pose_frame.timestamp_ms, landmarks=landmarks, view=r.view,
                        position=r.position, phase=r.phase, judged=r.judged, rep_count=r.rep_count,
                        active_faults=list(r.active_faults), highlight=update.highlight, hold=update.hold,
                        posture_state=r.posture_state, events=[EventOut(**e.to_dict()) for e in r.events],
                        process_ms=round(update.process_ms, 2))


async def _send(ws: WebSocket, message) -> None:
    await ws.send_text(message.model_dump_json())


async def _error(ws: WebSocket, code: str, message: str) -> None:
    await _send(ws, ErrorMessage(code=code, message=message))


def _decode_frame(data: bytes, index: int) -> Frame:
    import cv2

    (t_ms,) = _HEADER.unpack_from(data, 0)
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8, offset=_HEADER.size), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("frame is not a JPEG/PNG image")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    return Frame(image=rgb, timestamp_ms=float(t_ms), index=index, resolution_wh=(w, h))


async def _start(ws: WebSocket, settings: ServerSettings, text: str) -> tuple[LiveSession, StartMessage] | None:
    try:
        start = StartMessage.model_validate_json(text)
        spec = get_spec(start.exercise)
        profile = load_profile(start.user)
        session = await to_thread.run_sync(lambda: LiveSession(spec, profile, mode=start.mode,
                                                               model=settings.model))
        return session, start
    except ValidationError as exc:
        await _error(ws, "bad_message", f"expected a start message: {exc.errors()[0]['msg']}")
    except PosecheckError as exc:
        await _error(ws, "bad_start", str(exc))
    return None


async def _finish(ws: WebSocket, session: LiveSession, session_id: str, start: StartMessage) -> None:
    store = ws.app.state.sessions
    saved = False
    try:
        report = await to_thread.run_sync(session.finish)
    except PosecheckError as exc:  # calibration found nothing usable
        await _error(ws, "calibration_failed", str(exc))
        session.checker.finish()
        report = None
    if report is not None:
        if start.mode == "calibrate":
            profile = load_profile(start.user)
            profile.update(start.exercise, report["calibration"])
            save_profile(profile)
            saved = True
        store.add(session_id, report)
        await _send(ws, SummaryMessage(session_id=session_id, report=report, calibration_saved=saved))


@router.websocket("/ws/live")
async def live_browser_camera(ws: WebSocket) -> None:
    """Browser camera. A reader task takes messages and decodes JPEGs while a worker
    task runs the model on the previous frame, so a client that keeps two frames in
    flight gets the model's full rate; with one in flight, the lowest latency."""
    settings: ServerSettings = ws.app.state.settings
    if not _origin_ok(ws, settings):
        await ws.close(code=1008, reason="origin not allowed")
        return
    await ws.accept()
    store = ws.app.state.sessions
    session_id = store.new_id()
    holder: dict = {}  # "session", "start" once started
    frames: asyncio.Queue = asyncio.Queue(maxsize=2)
    send_lock = asyncio.Lock()

    async def send(message) -> None:
        async with send_lock:
            await _send(ws, message)

    async def error(code: str, message: str) -> None:
        await send(ErrorMessage(code=code, message=message))

    async def reader() -> None:
        seq = 0
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            data, text = message.get("bytes"), message.get("text")
            if "session" not in holder:
                if text is None:
                    await error("not_started", "send a start message before frames")
                    continue
                started = await _start(ws, settings, text)
                if started:
                    holder["session"], holder["start"] = started
                    await send(ReadyMessage(session_id=session_id, exercise=started[1].exercise,
                                            mode=started[1].mode, max_frame_bytes=settings.max_frame_bytes))
                continue
            if text is not None:
                try:
                    StopMessage.model_validate_json(text)
                except ValidationError:
                    await error("bad_message", "expected a binary frame or {\"type\": \"stop\"}")
                    continue
                holder["stop"] = True
                break
            if len(data) > settings.max_frame_bytes:
                await error("frame_too_large",
                            f"frame of {len(data)} bytes is over the {settings.max_frame_bytes}-byte limit")
                continue
            if len(data) <= _HEADER.size:
                await error("bad_frame", "a frame is an 8-byte timestamp followed by a JPEG")
                continue
            try:
                frame = await to_thread.run_sync(_decode_frame, data, seq)
            except ValueError as exc:
                await error("bad_frame", str(exc))
                continue
            await frames.put(frame)
            seq += 1

    async def worker() -> None:
        while True:
            frame = await frames.get()
            if frame is None:
                return
            update = await to_thread.run_sync(holder["session"].process, frame)
            try:
                await send(frame_message(frame.index, update))
            except (WebSocketDisconnect, RuntimeError):  # the page went away mid-set
                holder["gone"] = True

    work = asyncio.create_task(worker())
    try:
        await reader()
    except WebSocketDisconnect:
        pass
    finally:
        await frames.put(None)  # the worker finishes what it was given, in order
        await work
        session = holder.get("session")
        if session is not None:
            if holder.get("stop") and not holder.get("gone"):
                try:
                    await _finish(ws, session, session_id, holder["start"])
                except (WebSocketDisconnect, RuntimeError):
                    pass
            elif session.results and holder["start"].mode == "check":
                store.add(session_id, await to_thread.run_sync(session.finish))
            session.close()


@router.websocket("/ws/source")
async def live_server_source(ws: WebSocket, pace: float = 1.0, every: int = 1) -> None:
    """Reads the server's own source (`posecheck serve --source`), paced in real time
    (`pace=0`: as fast as possible), and streams annotated JPEGs plus feedback."""
    settings: ServerSettings = ws.app.state.settings
    if not _origin_ok(ws, settings):
        await ws.close(code=1008, reason="origin not allowed")
        return
    await ws.accept()
    if settings.source is None:
        await _error(ws, "no_source", "this server was started without --source")
        await ws.close()
        return
    started = await _start(ws, settings, await ws.receive_text())
    if not started:
        await ws.close()
        return
    session, start = started
    session_id = ws.app.state.sessions.new_id()
    await _send(ws, ReadyMessage(session_id=session_id, exercise=start.exercise, mode=start.mode,
                                 max_frame_bytes=settings.max_frame_bytes))
    queue: asyncio.Queue = asyncio.Queue(maxsize=8)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def produce() -> None:
        import cv2

        from ...sinks.overlay import SkeletonAnnotator
        from ...sources import open_source

        annotator = SkeletonAnnotator()
        try:
            while True:
                source = open_source(settings.source, max_side=1280)
                wall0, t0 = time.monotonic(), None
                for frame in source:
                    if stop.is_set():
                        return
                    update = session.process(frame)
                    if t0 is None:
                        t0 = frame.timestamp_ms
                    if pace > 0:  # play a file like a camera
                        delay = (frame.timestamp_ms - t0) / 1000 / pace - (time.monotonic() - wall0)
                        if delay > 0:
                            time.sleep(delay)
                    jpeg = None
                    if frame.index % max(1, every) == 0:
                        picture = annotator.annotate(frame.image.copy(), update.pose_frame.pose,
                                                     highlight=update.highlight)
                        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR),
                                               [cv2.IMWRITE_JPEG_QUALITY, 75])
                        jpeg = buf.tobytes() if ok else None
                    asyncio.run_coroutine_threadsafe(queue.put((jpeg, update)), loop).result()
                if not settings.loop_source:
                    break
        except PosecheckError as exc:
            asyncio.run_coroutine_threadsafe(queue.put(exc), loop).result()
        finally:
            asyncio.run_coroutine_threadsafe(queue.put(None), loop).result()

    producer = loop.run_in_executor(None, produce)
    seq = 0
    try:
        while True:
            item = await queue.get()
            if item is None:
                break
            if isinstance(item, PosecheckError):
                await _error(ws, "source_error", str(item))
                continue
            jpeg, update = item
            if jpeg is not None:
                await ws.send_bytes(jpeg)
            await _send(ws, frame_message(seq, update))
            seq += 1
        await _finish(ws, session, session_id, start)
    except WebSocketDisconnect:
        pass
    finally:
        stop.set()
        while not producer.done():  # let the reader finish its current frame
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                await asyncio.sleep(0.01)
        session.close()
