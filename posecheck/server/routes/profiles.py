from __future__ import annotations

from fastapi import APIRouter, HTTPException

from ...engine.profiles import load_profile, profile_exists, save_profile
from ...errors import PosecheckError
from ..schemas import ProfileOut

router = APIRouter(prefix="/api/profiles", tags=["profiles"])


def _load(user: str):
    try:
        return load_profile(user)
    except PosecheckError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


@router.get("/{user}", response_model=ProfileOut)
def read_profile(user: str) -> dict:
    p = _load(user)
    return {"user": p.user, "values": p.values, "calibrated_at": p.calibrated_at}


@router.delete("/{user}", response_model=ProfileOut)
def reset_profile(user: str, exercise: str | None = None) -> dict:
    p = _load(user)
    if not profile_exists(user):  # nothing to forget: no file is made for a name never used
        raise HTTPException(status_code=404, detail=f"no profile for user '{user}'")
    p.reset(exercise)
    save_profile(p)
    return {"user": p.user, "values": p.values, "calibrated_at": p.calibrated_at}
