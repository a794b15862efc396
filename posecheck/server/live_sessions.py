"""What both live WebSockets share: opening a session on a pooled model (or saying why
not), decoding a browser frame safely, the messages sent, and the end-of-set summary."""

from __future__ import annotations

import io
import math
import struct

import numpy as np
from anyio import to_thread
from fastapi import WebSocket
from pydantic import ValidationError

from ..engine.profiles import load_profile, save_profile
from ..engine.spec import get_spec
from ..errors import PosecheckError
from ..pose.estimator_pool import EstimatorPool, PoolBusy
from ..pose.types import Frame
from ..training.live import LiveSession, LiveUpdate
from .memory import release_free_memory
from .schemas import ErrorMessage, EventOut, FrameMessage, StartMessage, SummaryMessage
from .settings import ServerSettings, same_origin

FRAME_HEADER = struct.Struct("<d")  # little-endian float64 timestamp (ms) before the image
CLOSE_POLICY, CLOSE_TRY_AGAIN = 1008, 1013


def origin_ok(ws: WebSocket) -> bool:
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
                        process_ms=round(update.process_ms, 2), dropped=dropped, hold_count=update.holds_done,
                        tracked_switch=update.tracked_switch)


async def send_message(ws: WebSocket, message) -> None:
    await ws.send_text(message.model_dump_json())


async def send_error(ws: WebSocket, code: str, message: str) -> None:
    await send_message(ws, ErrorMessage(code=code, message=message))


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

    (t_ms,) = FRAME_HEADER.unpack_from(data, 0)
    if not math.isfinite(t_ms):
        raise ValueError("the frame's timestamp is not a finite number")
    image = data[FRAME_HEADER.size:]
    checked_image_size(image, max_pixels)
    bgr = cv2.imdecode(np.frombuffer(image, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("frame is not a JPEG/PNG image")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    return Frame(image=rgb, timestamp_ms=float(t_ms), index=index, resolution_wh=(w, h))


class LandmarkSlots:
    """Sessions whose pose runs in the browser hold no model, only a checker: they are
    counted apart from the model pool, against their own, higher cap."""

    def __init__(self, limit: int) -> None:
        self.limit, self.in_use = limit, 0

    def acquire(self) -> None:
        if self.in_use >= self.limit:
            raise PoolBusy(f"all {self.limit} landmark sessions are in use")
        self.in_use += 1

    def release(self) -> None:
        self.in_use = max(0, self.in_use - 1)


class SessionRefused(Exception):
    def __init__(self, code: str, message: str, close_code: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.close_code = code, message, close_code


async def open_session(ws: WebSocket, text: str | None, *,
                       landmarks_allowed: bool = True) -> tuple[LiveSession, StartMessage]:
    """A start message -> a session holding a pooled model, or (pose in the browser) a
    landmark slot. Exercise names come from the loaded specs only (never a path), user
    names from the profile name rules."""
    settings: ServerSettings = ws.app.state.settings
    pool: EstimatorPool = ws.app.state.estimators
    if text is None:
        raise SessionRefused("not_started", "send a start message before frames")
    try:
        start = StartMessage.model_validate_json(text)
        spec = get_spec(start.exercise)
        profile = load_profile(start.user)
        if start.guided is not None:
            plan = ws.app.state.guided.plan(start.guided.run, start.guided.set)
            if plan.exercise != spec.name:
                raise PosecheckError(f"set {start.guided.set} of this session is {plan.exercise}, not {spec.name}")
    except ValidationError as exc:
        raise SessionRefused("bad_message", f"expected a start message: {exc.errors()[0]['msg']}") from None
    except PosecheckError as exc:
        raise SessionRefused("bad_start", str(exc)) from None
    where_refused = pose_site_refused(settings, start.pose, landmarks_allowed)
    if where_refused:
        raise SessionRefused("pose_site", where_refused)
    if start.pose == "browser":
        try:
            ws.app.state.landmark_slots.acquire()
        except PoolBusy as exc:
            raise SessionRefused("busy", f"server busy: {exc}; try again when one ends", CLOSE_TRY_AGAIN) from None
        return LiveSession(spec, profile, mode=start.mode, model=settings.model, pose_in_browser=True), start
    try:
        estimator = await to_thread.run_sync(pool.acquire)
    except PoolBusy as exc:
        raise SessionRefused("busy", f"server busy: {exc}; try again when one ends", CLOSE_TRY_AGAIN) from None
    except PosecheckError as exc:  # the model cannot load
        raise SessionRefused("model_error", str(exc), CLOSE_TRY_AGAIN) from None
    try:
        return LiveSession(spec, profile, mode=start.mode, model=settings.model, estimator=estimator), start
    except BaseException:
        pool.release(estimator)  # a slot is never lost
        raise


def pose_site_refused(settings: ServerSettings, pose: str, landmarks_allowed: bool) -> str | None:
    """Why a session may not run pose where it asks to, or None."""
    if not landmarks_allowed:  # the server source: its frames never come from a page
        return "the server source runs pose on the server: start it without pose \"browser\"" \
            if pose == "browser" else None
    if pose == "browser" and settings.pose == "server":
        return "this server runs pose itself (posecheck serve --pose server): send camera frames"
    if pose == "server" and settings.pose == "browser":
        return ("this server only checks landmarks (posecheck serve --pose browser): "
                "run pose in the browser (protocol 2)")
    return None


def close_session(ws: WebSocket, session: LiveSession) -> None:
    session.close()
    if session.estimator is None:  # pose ran in the browser
        ws.app.state.landmark_slots.release()
        return
    ws.app.state.estimators.release(session.estimator)
    release_free_memory()


async def finish_session(ws: WebSocket, session: LiveSession, session_id: str, start: StartMessage, *,
                         pain: bool = False) -> None:
    """The set's summary. A checked set also becomes an outcome in words: of its guided
    session's set when it is one, else a free set; either goes into the history."""
    store = ws.app.state.sessions
    saved = False
    words, labels, outcome = None, {}, None
    try:
        report = await to_thread.run_sync(session.finish)
    except PosecheckError as exc:  # calibration found nothing usable
        await send_error(ws, "calibration_failed", str(exc))
        session.checker.finish()
        report = None
    calibration_words: list[str] = []
    if report is not None and start.mode == "preview":  # framing only: nothing is kept
        return
    if report is not None:
        if start.mode == "calibrate":
            profile = load_profile(start.user)
            profile.update(start.exercise, report["calibration"])
            save_profile(profile)
            saved = True
            calibration_words = session.spec.calibration_sentences(report["calibration"])
        else:
            try:
                done = await to_thread.run_sync(record_set, ws, session, start, report, pain)
            except PosecheckError as exc:  # the run ended or the history cannot be written
                await send_error(ws, "not_recorded", str(exc))
            else:
                outcome = done.to_dict()  # the one record of the set's counts, for every screen
                words = outcome["words"]
                labels = {code: session.spec.fault_label(code) for code in session.spec.fault_codes()}
        store.add(session_id, report)
        await send_message(ws, SummaryMessage(session_id=session_id, report=report, calibration_saved=saved,
                                              words=words, fault_labels=labels, outcome=outcome,
                                              calibration_words=calibration_words))


def record_set(ws: WebSocket, session: LiveSession, start: StartMessage, report: dict, pain: bool):
    from .guided_runs import store_free_set

    if start.guided is not None:
        return ws.app.state.guided.record(start.guided.run, start.guided.set, report, pain=pain)
    return store_free_set(ws.app.state.settings.history_path, session.spec, start.user, report)


async def refuse(ws: WebSocket, refused: SessionRefused) -> None:
    await send_error(ws, refused.code, refused.message)
    if refused.close_code:
        await ws.close(code=refused.close_code, reason=refused.code)


