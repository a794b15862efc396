"""Live sessions over WebSockets: browser camera (`/ws/live`) and server source (`/ws/source`).

Every session borrows a model from the app's `EstimatorPool` (busy when none is free)
and gives it back when it ends, however it ends."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import threading
import time

import numpy as np
from anyio import to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from ... import __version__
from ...errors import PosecheckError
from ...estimator_pool import EstimatorPool, PoolBusy
from ...live import LiveSession, LiveUpdate
from ...profiles import load_profile, save_profile
from ...spec import get_spec
from ...types import Frame
from ..app import ServerSettings, Settings, same_origin
from ..memory import release_free_memory
from ..schemas import (
    DroppedMessage,
    ErrorMessage,
    EventOut,
    FrameMessage,
    ReadyMessage,
    ServerConfig,
    StartMessage,
    StopMessage,
    SummaryMessage,
)

router = APIRouter(tags=["live"])
_HEADER = struct.Struct("<d")
# /ws/source pace: 0 runs a file as fast as possible; otherwise a tenth of real time up
# to ten times it. Slower would leave a session asleep for minutes between frames.
PACE_RANGE = (0.1, 10.0)
CLOSE_POLICY, CLOSE_TRY_AGAIN = 1008, 1013


@router.get("/api/config", response_model=ServerConfig)
def config(settings: Settings) -> dict:
    return {"version": __version__, "source": settings.source, "max_frame_bytes": settings.max_frame_bytes,
            "max_frame_pixels": settings.max_frame_pixels, "max_sessions": settings.max_sessions}


def _origin_ok(ws: WebSocket) -> bool:
    return same_origin(ws.headers.get("origin"), ws.headers.get("host"))


def frame_message(seq: int, update: LiveUpdate, dropped: int = 0) -> FrameMessage:
    r, pose = update.result, update.pose_frame.pose
    landmarks = None
    if pose is not None:
        arr = np.column_stack([pose.xyz_norm[:, :2], pose.visibility]).round(4)
        landmarks = arr.tolist()
    return FrameMessage(seq=seq, t_ms=update.pose_frame.timestamp_ms, landmarks=landmarks, view=r.view,
                        position=r.position, phase=r.phase, judged=r.judged, rep_count=r.rep_count,
                        active_faults=list(r.active_faults), highlight=update.highlight, hold=update.hold,
                        posture_state=r.posture_state, events=[EventOut(**e.to_dict()) for e in r.events],
                        process_ms=round(update.process_ms, 2), dropped=dropped)


async def _send(ws: WebSocket, message) -> None:
    await ws.send_text(message.model_dump_json())


async def _error(ws: WebSocket, code: str, message: str) -> None:
    await _send(ws, ErrorMessage(code=code, message=message))


def checked_image_size(data: bytes, max_pixels: int) -> tuple[int, int]:
    """Width and height from the image header alone (nothing is decoded yet); a frame
    over `max_pixels` is refused here, before it can take memory."""
    from PIL import Image, UnidentifiedImageError

    too_large = ValueError(f"frame is over the {max_pixels}-pixel limit; send at most 1280 px a side")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise ValueError(f"frame is a {image.format} image; send JPEG or PNG")
            w, h = image.size
    except Image.DecompressionBombError:  # Pillow's own, far higher, limit
        raise too_large from None
    except (UnidentifiedImageError, OSError):
        raise ValueError("frame is not a JPEG/PNG image") from None
    if w * h > max_pixels:
        raise ValueError(f"frame of {w}x{h} pixels is over the {max_pixels}-pixel limit; "
                         "send at most 1280 px a side")
    return w, h


def decode_frame(data: bytes, index: int, max_pixels: int) -> Frame:
    """8-byte timestamp + JPEG/PNG -> Frame; the pixel count is checked before decoding."""
    import cv2

    (t_ms,) = _HEADER.unpack_from(data, 0)
    if not math.isfinite(t_ms):
        raise ValueError("the frame's timestamp is not a finite number")
    image = data[_HEADER.size:]
    checked_image_size(image, max_pixels)
    bgr = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("frame is not a JPEG/PNG image")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    return Frame(image=rgb, timestamp_ms=float(t_ms), index=index, resolution_wh=(w, h))


class SessionRefused(Exception):
    def __init__(self, code: str, message: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.close_code = code, message, close_code


async def _open_session(ws: WebSocket, text: str | None) -> tuple[LiveSession, StartMessage]:
    """A start message -> a session holding a pooled model. Exercise names come from the
    loaded specs only (never a path), user names from the profile name rules."""
    settings: ServerSettings = ws.app.state.settings
    pool: EstimatorPool = ws.app.state.estimators
    if text is None:
        raise SessionRefused("not_started", "send a start message before frames")
    try:
        start = StartMessage.model_validate_json(text)
        spec = get_spec(start.exercise)
        profile = load_profile(start.user)
    except ValidationError as exc:
        raise SessionRefused("bad_message", f"expected a start message: {exc.errors()[0]['msg']}") from None
    except PosecheckError as exc:
        raise SessionRefused("bad_start", str(exc)) from None
    try:
        estimator = await to_thread.run_sync(pool.acquire)
    except PoolBusy as exc:
        raise SessionRefused("busy", f"server busy: {exc}; try again when one ends", CLOSE_TRY_AGAIN) from None
    except PosecheckError as exc:  # the model cannot load
        raise SessionRefused("model_error", str(exc), CLOSE_TRY_AGAIN) from None
    return LiveSession(spec, profile, mode=start.mode, model=settings.model, estimator=estimator), start


def _close_session(ws: WebSocket, session: LiveSession) -> None:
    session.close()
    ws.app.state.estimators.release(session.estimator)
    release_free_memory()


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


async def _refuse(ws: WebSocket, refused: SessionRefused) -> None:
    await _error(ws, refused.code, refused.message)
    if refused.close_code:
        await ws.close(code=refused.close_code, reason=refused.code)


@router.websocket("/ws/live")
async def live_browser_camera(ws: WebSocket) -> None:
    """Browser camera. A reader task takes messages and decodes frames while a worker
    task runs the model, so a client that keeps two frames in flight gets the model's
    full rate. A third frame waiting replaces the one before it (that one gets a
    `dropped` reply): latency stays at about two frames however fast a client sends."""
    settings: ServerSettings = ws.app.state.settings
    if not _origin_ok(ws):
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
            await _send(ws, message)

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
                    holder["session"], holder["start"] = await _open_session(ws, text)
                except SessionRefused as refused:
                    await _refuse(ws, refused)
                    if refused.close_code:
                        return
                    continue
                start = holder["start"]
                await send(ReadyMessage(session_id=session_id, exercise=start.exercise, mode=start.mode,
                                        max_frame_bytes=settings.max_frame_bytes,
                                        max_frame_pixels=settings.max_frame_pixels))
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
                frame = await to_thread.run_sync(decode_frame, data, seq, settings.max_frame_pixels)
            except ValueError as exc:
                await error("bad_frame", str(exc))
                continue
            seq += 1
            if waiting.full():  # the model is behind: the newer frame replaces the waiting one
                stale = waiting.get_nowait()
                dropped += 1
                await send(DroppedMessage(seq=stale.index, dropped=dropped))
            waiting.put_nowait(frame)

    async def worker() -> None:
        while True:
            frame = await waiting.get()
            if frame is None:
                return
            update = await to_thread.run_sync(holder["session"].process, frame)
            try:
                await send(frame_message(frame.index, update, dropped))
            except (WebSocketDisconnect, RuntimeError):  # the page went away mid-set
                holder["gone"] = True

    work = asyncio.create_task(worker())
    try:
        await reader()
    except WebSocketDisconnect:
        pass
    finally:
        if waiting.full() and holder.get("gone", False):
            waiting.get_nowait()
        await waiting.put(None)  # the worker finishes what it was given, in order
        await work
        session = holder.get("session")
        if session is not None:
            try:
                if holder.get("stop") and not holder.get("gone"):
                    try:
                        await _finish(ws, session, session_id, holder["start"])
                    except (WebSocketDisconnect, RuntimeError):
                        pass
                elif session.results and holder["start"].mode == "check":
                    store.add(session_id, await to_thread.run_sync(session.finish))
            finally:
                _close_session(ws, session)


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

        from ...sinks.overlay import SkeletonAnnotator
        from ...sources import open_source

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
    if not _origin_ok(ws):
        await ws.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    await ws.accept()
    problem = pace_problem(pace, every)
    if problem or settings.source is None:
        await _refuse(ws, SessionRefused("bad_request", problem, CLOSE_POLICY) if problem else
                      SessionRefused("no_source", "this server was started without --source", CLOSE_POLICY))
        return
    first = await ws.receive()
    if first["type"] == "websocket.disconnect":
        return
    try:
        session, start = await _open_session(ws, first.get("text"))
    except SessionRefused as refused:
        refused.close_code = refused.close_code or CLOSE_POLICY
        await _refuse(ws, refused)
        return
    session_id = ws.app.state.sessions.new_id()
    player = SourcePlayer(settings, session, pace, every, asyncio.get_running_loop())
    gone = asyncio.Event()

    async def watch_client() -> None:
        """Stop on the client's stop message; notice at once when it goes away."""
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                gone.set()
                break
            if message.get("text") is not None:
                try:
                    StopMessage.model_validate_json(message["text"])
                    break
                except ValidationError:
                    await _error(ws, "bad_message", "expected {\"type\": \"stop\"}")
        player.stop.set()
        while not player.items.empty():  # unblock the player, then end the stream
            player.items.get_nowait()
        player.items.put_nowait(None)

    try:
        await _send(ws, ReadyMessage(session_id=session_id, exercise=start.exercise, mode=start.mode,
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
                await _error(ws, "source_error", str(item))
                continue
            jpeg, update = item
            if jpeg is not None:
                await ws.send_bytes(jpeg)
            await _send(ws, frame_message(seq, update))
            seq += 1
        player.stop.set()
        await player.finished  # the model is no longer in use
        if not gone.is_set():
            await _finish(ws, session, session_id, start)
            await ws.close()
        watcher.cancel()
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        player.stop.set()
        if player._thread.is_alive():
            while not player.items.empty():
                player.items.get_nowait()
            await player.finished
        _close_session(ws, session)
