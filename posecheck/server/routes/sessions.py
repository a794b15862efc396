from __future__ import annotations

from fastapi import APIRouter, HTTPException

from ..deps import Sessions
from ..schemas import SessionSummary

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


def _summary(store, session_id: str) -> dict:
    r = store.reports[session_id]
    return {"id": session_id, "exercise": r["exercise"], "user": r["user"], "started_at": r["started_at"],
            "duration_s": r["duration_s"], "rep_count": r["summary"]["rep_count"],
            "hold_count": r["summary"]["hold_count"], "kept": session_id in store.kept}


@router.get("", response_model=list[SessionSummary])
def list_sessions(store: Sessions) -> list[dict]:
    return [_summary(store, sid) for sid in store.reports]


@router.get("/{session_id}")
def session_report(session_id: str, store: Sessions) -> dict:
    if session_id not in store.reports:
        raise HTTPException(status_code=404, detail=f"no session {session_id}")
    return store.reports[session_id]


@router.post("/{session_id}/keep", response_model=SessionSummary)
def keep_session(session_id: str, store: Sessions) -> dict:
    if session_id not in store.reports:
        raise HTTPException(status_code=404, detail=f"no session {session_id}")
    store.keep(session_id)
    return _summary(store, session_id)
