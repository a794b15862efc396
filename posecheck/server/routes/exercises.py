from __future__ import annotations

from fastapi import APIRouter, HTTPException

from ...errors import SpecError
from ...spec import ExerciseSpec, all_specs, get_spec
from ..schemas import ExerciseDetail, ExerciseSummary, FaultInfo

router = APIRouter(prefix="/api/exercises", tags=["exercises"])


def _summary(spec: ExerciseSpec) -> dict:
    info = spec.exercise
    return {"name": info.name, "title": info.title, "summary": info.summary, "camera": info.camera,
            "views": list(info.views), "mode": info.mode,
            "hold_target_s": tuple(spec.hold.target_s) if spec.hold else None,
            "calibratable": bool(spec.calibration)}


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
