"""`create_app(settings)`: the FastAPI app for the live coach. Nothing is built at
import time; tests build their own app on a temporary data folder."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ..models import user_data_dir

STATIC = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    source: str | None = None  # server-side camera index or file
    loop_source: bool = False
    model: str = "full"
    max_frame_bytes: int = 2_000_000
    data_dir: Path = field(default_factory=user_data_dir)
    history_db: Path | None = None  # posture monitor history (default: <data_dir>/history.sqlite)

    @property
    def history_path(self) -> Path:
        return self.history_db or self.data_dir / "history.sqlite"

    def allowed_origins(self) -> set[str]:
        hosts = {"127.0.0.1", "localhost", self.host}
        return {f"http://{h}:{self.port}" for h in hosts} | {f"https://{h}:{self.port}" for h in hosts}


class SessionStore:
    """Finished sessions in memory; `keep` writes one to `<data_dir>/sessions/<id>.json`
    (only when the user asks: nothing is stored by default)."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir / "sessions"
        self.reports: dict[str, dict] = {}
        self.kept: set[str] = set()

    def new_id(self) -> str:
        return uuid.uuid4().hex[:12]

    def add(self, session_id: str, report: dict) -> None:
        self.reports[session_id] = report

    def keep(self, session_id: str) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{session_id}.json"
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.reports[session_id], fh)
        os.replace(tmp, path)
        self.kept.add(session_id)
        return path


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def get_sessions(request: Request) -> SessionStore:
    return request.app.state.sessions


Settings = Annotated[ServerSettings, Depends(get_settings)]
Sessions = Annotated[SessionStore, Depends(get_sessions)]


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    from .. import __version__
    from .routes import exercises, live, monitor, profiles, sessions

    settings = settings or ServerSettings()
    app = FastAPI(title="posecheck live coach", version=__version__,
                  description="Local exercise form coach. REST for exercises, profiles and sessions; "
                              "WebSocket protocol documented in posecheck/server/schemas.py.")
    app.state.settings = settings
    app.state.sessions = SessionStore(settings.data_dir)
    for module in (exercises, profiles, sessions, live, monitor):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/monitor", include_in_schema=False)
    def monitor_page() -> FileResponse:
        return FileResponse(STATIC / "monitor.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
