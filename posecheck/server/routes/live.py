"""The browser-camera WebSocket (`/ws/live`) and the server's limits (`/api/config`)."""

from __future__ import annotations

import asyncio

from anyio import to_thread
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from typing import Annotated, Union

from pydantic import Field, TypeAdapter, ValidationError

from ... import __version__
from ..deps import Settings
from ..live_sessions import (
    CLOSE_POLICY,
    FRAME_HEADER,
    SessionRefused,
    close_session,
    decode_frame,
    finish_session,
    frame_message,
    open_session,
    origin_ok,
    refuse,
    send_message,
)
from ...pose.types import Frame
from ...training.live import LiveSession, LiveUpdate
from ..landmark_frames import BadLandmarks, LandmarkClock, PoseIn, pose_from_landmarks
from ..schemas import (
    DroppedMessage,
    ErrorMessage,
    LandmarksMessage,
    ReadyMessage,
    ServerConfig,
    StopMessage,
)
from ..settings import ServerSettings

router = APIRouter(tags=["live"])
PROTOCOLS = (1, 2)  # 1: camera frames; 2: landmark messages too (schemas.py)
# A landmark message is about 5 kB (33 x 8 numbers); twenty times that is refused unread.
MAX_TEXT_CHARS = 100_000
CLIENT_TEXT = TypeAdapter(Annotated[Union[StopMessage, LandmarksMessage], Field(discriminator="type")])


def first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"][1:])  # without the message type's own name
    return f"{where}: {err['msg']}" if where else err["msg"]


def process_item(session: LiveSession, item: Frame | PoseIn) -> LiveUpdate:
    if isinstance(item, PoseIn):
        return session.process_pose(item.pose, item.t_ms, item.index)
    return session.process(item)


@router.get("/api/config", response_model=ServerConfig)
def config(settings: Settings, request: Request) -> dict:
    return {"version": __version__, "source": settings.source, "max_frame_bytes": settings.max_frame_bytes,
            "max_frame_pixels": settings.max_frame_pixels, "max_sessions": settings.max_sessions,
            "protocols": list(PROTOCOLS), "pose": settings.pose,
            "max_landmark_sessions": settings.max_landmark_sessions,
            "max_landmarks_per_s": settings.max_landmarks_per_s, **request.app.state.browser_pose.config()}


@router.websocket("/ws/live")
async def live_browser_camera(ws: WebSocket) -> None:
    """Browser camera. A reader task takes messages and decodes frames (or checks landmark
    messages) while a worker task runs the model and the checker, so a client that keeps
    two frames in flight gets the model's full rate. A third frame waiting replaces the
    one before it (that one gets a `dropped` reply): latency stays at about two frames
    however fast a client sends."""
    settings: ServerSettings = ws.app.state.settings
    if not origin_ok(ws):
        await ws.close(code=CLOSE_POLICY, reason="origin not allowed")  # HTTP 403 at the handshake
        return
    await ws.accept()
    store = ws.app.state.sessions
    session_id = store.new_id()
    holder: dict = {}  # "session", "start" once started
    waiting: asyncio.Queue = asyncio.Queue(maxsize=1)
    send_lock = asyncio.Lock()
    dropped = 0

    async def send(message) -> None:
        async with send_lock:
            await send_message(ws, message)

    async def error(code: str, message: str) -> None:
        await send(ErrorMessage(code=code, message=message))

    async def reader() -> None:
        nonlocal dropped
        seq = 0
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            data, text = message.get("bytes"), message.get("text")
            if "session" not in holder:
                try:
                    holder["session"], holder["start"] = await open_session(ws, text)
                except SessionRefused as refused:
                    await refuse(ws, refused)
                    if refused.close_code:
                        return
                    continue
                start = holder["start"]
                holder["clock"] = LandmarkClock(settings.max_landmarks_per_s)
                await send(ReadyMessage(session_id=session_id, exercise=start.exercise, mode=start.mode,
                                        max_frame_bytes=settings.max_frame_bytes,
                                        max_frame_pixels=settings.max_frame_pixels,
                                        protocol=start.protocol, pose=start.pose))
                continue
            landmark_mode = holder["start"].pose == "browser"
            if text is not None:
                if len(text) > MAX_TEXT_CHARS:
                    await error("bad_message", f"a text message of {len(text)} characters is over the "
                                               f"{MAX_TEXT_CHARS}-character limit")
                    continue
                try:
                    incoming = CLIENT_TEXT.validate_json(text)
                except ValidationError as exc:
                    if landmark_mode and '"landmarks"' in text:
                        await error("bad_landmarks", f"landmark message refused: {first_error(exc)}")
                    else:
                        await error("bad_message", "expected " + ("a landmark message" if landmark_mode
                                                                  else "a binary frame") + ' or {"type": "stop"}')
                    continue
                if isinstance(incoming, StopMessage):
                    holder["stop"] = True
                    holder["pain"] = incoming.reason == "pain"
                    break
                if not landmark_mode:
                    await error("bad_message", "this session sends camera frames; landmark messages need "
                                               'a start with "protocol": 2, "pose": "browser"')
                    continue
                clock: LandmarkClock = holder["clock"]
                if clock.too_fast():
                    await error("too_fast", f"more than {clock.per_second} landmark messages a second: "
                                            "this one was skipped")
                    continue
                try:
                    clock.check_time(incoming.t_ms)
                    item = PoseIn(pose_from_landmarks(incoming, seq, settings.max_frame_pixels), incoming.t_ms, seq)
                except BadLandmarks as exc:
                    await error("bad_landmarks", f"landmark message refused: {exc}")
                    continue
                clock.accept_time(incoming.t_ms)
            elif landmark_mode:
                await error("bad_message", "this session sends landmarks (pose runs in the browser), not frames")
                continue
            else:
                if len(data) > settings.max_frame_bytes:
                    await error("frame_too_large",
                                f"frame of {len(data)} bytes is over the {settings.max_frame_bytes}-byte limit")
                    continue
                if len(data) <= FRAME_HEADER.size:
                    await error("bad_frame", "a frame is an 8-byte timestamp followed by a JPEG")
                    continue
                try:
                    item = await to_thread.run_sync(decode_frame, data, seq, settings.max_frame_pixels)
                except ValueError as exc:
                    await error("bad_frame", str(exc))
                    continue
            seq += 1
            if waiting.full():  # the model is behind: the newer frame replaces the waiting one
                stale = waiting.get_nowait()
                dropped += 1
                await send(DroppedMessage(seq=stale.index, dropped=dropped))
            waiting.put_nowait(item)

    async def worker() -> None:
        while True:
            item = await waiting.get()
            if item is None:
                return
            if isinstance(item, PoseIn):  # the checker alone (about half a ms): no thread hop
                update = process_item(holder["session"], item)
            else:
                update = await to_thread.run_sync(process_item, holder["session"], item)
            try:
                await send(frame_message(item.index, update, dropped))
            except (WebSocketDisconnect, RuntimeError):  # the page went away mid-set
                holder["gone"] = True

    work = asyncio.create_task(worker())
    try:
        await reader()
    except WebSocketDisconnect:
        pass
    finally:
        if waiting.full() and holder.get("gone", False):
            waiting.get_nowait()  # nobody is left to answer: skip the frame still waiting
        await waiting.put(None)  # the worker finishes what it was given, in order
        await work
        session = holder.get("session")
        if session is not None:
            try:
                if holder.get("stop") and not holder.get("gone"):
                    try:
                        await finish_session(ws, session, session_id, holder["start"],
                                             pain=holder.get("pain", False))
                    except (WebSocketDisconnect, RuntimeError):
                        pass
                elif session.results and holder["start"].mode == "check":
                    store.add(session_id, await to_thread.run_sync(session.finish))
            finally:
                close_session(ws, session)
