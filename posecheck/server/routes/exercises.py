from __future__ import annotations

from fastapi import APIRouter, HTTPException

from ...engine.spec import ExerciseSpec, all_specs, get_spec
from ...errors import SpecError
from ...training.routines import counts_holds
from ..schemas import ExerciseDetail, ExerciseSummary, FaultInfo

router = APIRouter(prefix="/api/exercises", tags=["exercises"])


# Body parts the page checks are in the picture before a set (MediaPipe pose landmark
# indices): the joints the exercise's checks measure. Side-on, the far limb is often
# hidden: one of each pair is enough. A squat judges the heels, so it needs the feet; a
# bridge and a bird-dog measure shoulder, hip and knee angles (their feet may leave the frame).
PARTS = {"head": [0, 7, 8], "shoulders": [11, 12], "hips": [23, 24], "knees": [25, 26], "feet": [27, 28]}
NEEDED = {"standing": ["shoulders", "hips", "knees", "feet"], "lying": ["shoulders", "hips", "knees"],
          "all_fours": ["shoulders", "hips", "knees"], "sitting": ["head", "shoulders", "hips"]}


def _summary(spec: ExerciseSpec) -> dict:
    info = spec.exercise
    views = " or ".join(info.views)
    return {"name": info.name, "title": info.title, "summary": info.summary, "camera": info.camera,
            "views": list(info.views), "mode": info.mode,
            "hold_target_s": tuple(spec.hold.target_s) if spec.hold else None,
            "calibratable": bool(spec.calibration), "calibration_help": info.calibration_help,
            "view_cue": spec.view_cues.get("oblique") or f"Place the camera so it sees you from the {views}",
            "framing": [{"name": part, "landmarks": PARTS[part]} for part in NEEDED[info.position]],
            "counts": "holds" if counts_holds(spec) else "reps",
            "per_side": bool(spec.hold and spec.hold.per_side and counts_holds(spec))}


@router.get("", response_model=list[ExerciseSummary])
def list_exercises() -> list[dict]:
    return [_summary(spec) for spec in all_specs()]


@router.get("/{name}", response_model=ExerciseDetail)
def exercise_detail(name: str) -> dict:
    try:
        spec = get_spec(name)
    except SpecError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    faults = [FaultInfo(code=f.code, views=list(f.views), severity=f.severity, cue=f.cue, evidence=f.evidence)
              for f in spec.faults]
    return {**_summary(spec), "faults": faults}
