"""Wire schemas: every REST body and WebSocket message, as pydantic models.

WebSocket protocol (`/ws/live`, browser camera). Version 1: the page sends camera frames and
the server runs the pose model; version 2 adds landmark messages: the page runs the model
itself (MediaPipe's web runtime) and sends no pixels. `start.protocol` says which a client
speaks, `start.pose` where the model runs; `ready` repeats both.
  client -> {"type": "start", "exercise": "squat", "user": "default", "mode": "check"|"calibrate",
             "protocol": 1|2, "pose": "server"|"browser"}
  server -> ready
  pose "server": client -> binary frame: 8 bytes little-endian float64 timestamp in ms, then a JPEG image
  pose "browser": client -> {"type": "landmarks", "t_ms": 1234.5, "image_wh": [640, 480],
             "landmarks": 33 x [x, y, z, visibility, presence?] | null (nobody found),
             "world": 33 x [x, y, z] in metres | null}
  server -> frame (one per received frame or landmark message, in order), or dropped when a
            newer one replaced it before the checker got to it (more than two in flight)
  client -> {"type": "stop"}            server -> summary (and, when calibrating, saves the profile)
  any problem -> error {code, message}; the session and its counts carry on, except
            busy (every model slot, or every landmark session, in use) and model_error,
            which close with 1013. A bad landmark message (bad_landmarks: wrong length, not
            a finite number, out of range, time going back) or one over the rate limit
            (too_fast) is answered with an error and skipped.
`/ws/source?pace=1&every=1` (server source): client sends start; the server streams, per
frame, a binary JPEG of the annotated picture followed by a frame message; at the end of
the source or on the client's stop, a summary. pace is 0 (as fast as possible) or 0.1-10.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExerciseSummary(_Wire):
    name: str
    title: str
    summary: str
    camera: str
    views: list[str]
    mode: str
    hold_target_s: tuple[float, float] | None = None
    calibratable: bool
    calibration_help: str = ""
    view_cue: str = Field("", description="What to say when the person is not seen from one of `views`.")
    framing: list[dict[str, Any]] = Field(default_factory=list,
                                          description="Body parts that must be in the picture: name, landmarks.")
    counts: Literal["reps", "holds"] = Field("reps", description="What a set counts toward its target.")
    per_side: bool = False


class FaultInfo(_Wire):
    code: str
    views: list[str]
    severity: int
    cue: str
    evidence: str


class ExerciseDetail(ExerciseSummary):
    faults: list[FaultInfo]


class ProfileOut(_Wire):
    user: str
    values: dict[str, float]
    calibrated_at: dict[str, str]


class SessionSummary(_Wire):
    id: str
    exercise: str
    user: str
    started_at: float
    duration_s: float
    rep_count: int
    hold_count: int
    kept: bool


class ServerConfig(_Wire):
    version: str
    source: str | None = Field(None, description="The server-side source, when one was given.")
    max_frame_bytes: int
    max_frame_pixels: int
    max_sessions: int = Field(description="Sessions sending frames (each runs a model on the server).")
    protocols: list[int] = Field(description="WebSocket protocol versions this server speaks.")
    pose: Literal["auto", "browser", "server"] = Field(
        description="Where pose runs: auto (the page measures itself), or as the server was told.")
    browser_runtime: str | None = Field(None, description="URL of the in-browser runtime, when installed.")
    browser_model: str | None = Field(None, description="URL of the .task bundle the page loads.")
    browser_problem: str | None = Field(None, description="Why pose cannot run in the browser, if it cannot.")
    max_landmark_sessions: int = Field(description="Sessions sending landmarks (pose in the browser).")
    max_landmarks_per_s: int = Field(description="Landmark messages a session may send per second.")


class GuidedRef(_Wire):
    run: str = Field(max_length=40, description="run_id from POST /api/guided")
    set: int = Field(ge=0, le=200, description="The set's index in the run's plan")


class StartMessage(_Wire):
    type: Literal["start"]
    exercise: str = Field(max_length=64, description="One of GET /api/exercises' names.")
    user: str = Field("default", max_length=64)
    mode: Literal["check", "calibrate", "preview"] = Field(
        "check", description="preview: framing before a set; nothing is counted, kept or stored.")
    guided: GuidedRef | None = Field(None, description="This set is a set of a guided session.")
    protocol: Literal[1, 2] = Field(1, description="1: camera frames only; 2: landmark messages too.")
    pose: Literal["server", "browser"] = Field(
        "server", description="server: the client sends frames; browser: it runs the model and sends landmarks "
        "(protocol 2).")

    @model_validator(mode="after")
    def _landmarks_need_protocol_2(self) -> StartMessage:
        if self.pose == "browser" and self.protocol < 2:
            raise ValueError("pose in the browser sends landmark messages: protocol 2")
        return self


Coordinate = Annotated[list[float], Field(min_length=3, max_length=5)]
PictureSide = Annotated[int, Field(ge=16, le=8192)]  # px: a camera picture, not a thumbnail or a poster


class LandmarksMessage(_Wire):
    """One camera frame's pose, found in the page (protocol 2). Shapes and finiteness are
    checked here; ranges in server/landmark_frames.py."""
    # Strict: numbers are JSON numbers (no "640" or true for 640), and finite.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)
    type: Literal["landmarks"]
    t_ms: float = Field(ge=0, description="Time of the frame in ms since the set started; increasing, "
                                          "at least 1 ms apart.")
    image_wh: tuple[PictureSide, PictureSide] = Field(
        description="Width and height (16-8192 px) of the picture the landmarks were found in.")
    landmarks: list[Coordinate] | None = Field(
        None, min_length=33, max_length=33,
        description="33 x [x, y, z, visibility, presence?]; x, y normalised to the picture; null: nobody found")
    world: list[Coordinate] | None = Field(None, min_length=33, max_length=33,
                                           description="33 x [x, y, z] in metres, origin between the hips")


class StopMessage(_Wire):
    type: Literal["stop"]
    reason: Literal["done", "pain"] = Field("done", description="pain: the person pressed Stop: pain")


class EventOut(_Wire):
    t_s: float
    kind: str
    code: str
    message: str
    severity: int


class ReadyMessage(_Wire):
    type: Literal["ready"] = "ready"
    session_id: str
    exercise: str
    mode: str
    max_frame_bytes: int
    max_frame_pixels: int
    protocol: int = 1
    pose: Literal["server", "browser"] = "server"


class FrameMessage(_Wire):
    type: Literal["frame"] = "frame"
    seq: int
    t_ms: float
    landmarks: list[list[float]] | None = Field(None, description="33 x [x, y, visibility], x/y normalised")
    view: str
    position: str
    phase: str
    judged: bool
    rep_count: int
    active_faults: list[str]
    highlight: list[int]
    hold: dict[str, Any] | None
    posture_state: str | None
    events: list[EventOut]
    process_ms: float
    dropped: int = Field(0, description="Frames dropped so far because newer ones arrived while the model was busy.")
    hold_count: int = Field(0, description="Holds toward the set's target (per side: the fewest of either side).")
    tracked_switch: bool = Field(False, description="The tracker just jumped to another person (or the video "
                                 "cut): the skeleton is not drawn for a moment.")


class DroppedMessage(_Wire):
    """A frame replaced by a newer one before the model reached it (the client sent faster
    than the model runs); it gets no frame message."""
    type: Literal["dropped"] = "dropped"
    seq: int
    dropped: int


class SummaryMessage(_Wire):
    type: Literal["summary"] = "summary"
    session_id: str
    report: dict[str, Any]
    calibration_saved: bool = False
    words: str | None = Field(None, description="The set in words, against its target (check mode).")
    fault_labels: dict[str, str] = Field(default_factory=dict, description="Fault code -> what a person reads.")
    outcome: dict[str, Any] | None = Field(None, description="The set's outcome: the counts every screen shows.")
    calibration_words: list[str] = Field(default_factory=list, description="The calibration in words.")


class RoutineOut(_Wire):
    name: str
    title: str
    summary: str
    safety: list[str]
    advice: list[str] = Field(default_factory=list, description="Reassurance, shown apart from the red flags.")
    sets: list[dict[str, Any]]


class GuidedStart(_Wire):
    routine: str = Field(max_length=64)
    user: str = Field("default", max_length=64)


class GuidedRunOut(RoutineOut):
    run_id: str
    user: str
    stored: bool


class GuidedFinish(_Wire):
    pain: bool = False


class GuidedSummaryOut(_Wire):
    lines: list[str]
    pain_stop: bool
    sets: list[dict[str, Any]]


class ErrorMessage(_Wire):
    type: Literal["error"] = "error"
    code: str
    message: str
