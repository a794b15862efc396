"""What the routes get from the app, as FastAPI dependencies: the settings (`Settings`)
and the finished sessions (`Sessions`, a `SessionStore`). The app puts both on
`app.state`; routes never import the app."""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from ..files import atomic_write, private_dir
from .settings import ServerSettings


class SessionStore:
    """Finished sessions in memory (the newest `limit`); `keep` writes one to
    `<data_dir>/sessions/<id>.json` (only when the user asks: nothing is stored by default)."""

    def __init__(self, data_dir: Path, limit: int = 100) -> None:
        self.dir = data_dir / "sessions"
        self.limit = limit
        self.reports: OrderedDict[str, dict] = OrderedDict()
        self.kept: set[str] = set()

    def new_id(self) -> str:
        return uuid.uuid4().hex[:12]

    def add(self, session_id: str, report: dict) -> None:
        self.reports[session_id] = report
        while len(self.reports) > self.limit:
            old, _ = self.reports.popitem(last=False)
            self.kept.discard(old)

    def keep(self, session_id: str) -> Path:
        private_dir(self.dir)
        path = self.dir / f"{session_id}.json"
        with atomic_write(path) as fh:
            json.dump(self.reports[session_id], fh)
        self.kept.add(session_id)
        return path


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def get_sessions(request: Request) -> SessionStore:
    return request.app.state.sessions


Settings = Annotated[ServerSettings, Depends(get_settings)]
Sessions = Annotated[SessionStore, Depends(get_sessions)]
