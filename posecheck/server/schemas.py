"""Wire schemas: every REST body and WebSocket message, as pydantic models.

WebSocket protocol (`/ws/live`, browser camera):
  client -> {"type": "start", "exercise": "squat", "user": "default", "mode": "check"|"calibrate"}
  server -> ready
  client -> binary frame: 8 bytes little-endian float64 timestamp in ms, then a JPEG image
  server -> frame (one per received frame, in order), or dropped when a newer frame
            replaced it before the model got to it (more than two frames in flight)
  client -> {"type": "stop"}            server -> summary (and, when calibrating, saves the profile)
  any problem -> error {code, message}; the session and its counts carry on, except
            busy (every model slot in use) and model_error, which close with 1013.
`/ws/source?pace=1&every=1` (server source): client sends start; the server streams, per
frame, a binary JPEG of the annotated picture followed by a frame message; at the end of
the source or on the client's stop, a summary. pace is 0 (as fast as possible) or 0.1-10.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    max_sessions: int


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
