"""`create_app(settings)`: the FastAPI app for the live coach. Nothing is built at
import time; tests build their own app on a temporary data folder.

Local by default: only loopback host names (and `--host`, `--allow-host`) are served,
which stops DNS-rebinding pages; browsers may only reach the WebSockets and the
state-changing endpoints from the coach's own pages; at most `max_sessions` models run."""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..files import atomic_write, private_dir, user_data_dir
from ..pose.estimator_pool import EstimatorPool

STATIC = Path(__file__).resolve().parent / "static"
SWAGGER_UI = STATIC / "vendor" / "swagger-ui"  # swagger-ui-dist 5, see VENDORED.md there
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    source: str | None = None  # server-side camera index or file
    loop_source: bool = False
    model: str = "full"
    max_frame_bytes: int = 2_000_000
    # A JPEG's bytes say little about its decoded size (a 1 MB file can hold 16000x16000
    # pixels, 768 MB decoded): the header is read and anything over 4K UHD is refused.
    max_frame_pixels: int = 3840 * 2160
    # Each session runs its own model (~19 ms a frame, ~100 MB): on a 2-core machine four
    # at once keep every one of them near 15 fps; the rest are told the server is busy.
    max_sessions: int = 4
    extra_hosts: tuple[str, ...] = ()  # --allow-host; "*" turns the Host check off
    data_dir: Path = field(default_factory=user_data_dir)
    history_db: Path | None = None  # posture monitor history (default: <data_dir>/history.sqlite)

    @property
    def history_path(self) -> Path:
        return self.history_db or self.data_dir / "history.sqlite"

    def allowed_hosts(self) -> list[str]:
        hosts = [*LOOPBACK_NAMES, *self.extra_hosts]
        if self.host not in WILDCARD_BINDS:
            hosts.append(self.host)
        return list(dict.fromkeys(h.lower().strip("[]") for h in hosts))


def same_origin(origin: str | None, host_header: str | None) -> bool:
    """A browser's Origin matches the Host it asked for (no Origin: not a browser page).
    The Host itself has already passed the trusted-host check."""
    if origin is None:
        return True
    return bool(host_header) and urlsplit(origin).netloc.lower() == host_header.lower()


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

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    from .. import __version__
    from ..pose.estimator import create_estimator
    from .guided_runs import GuidedRuns
    from .routes import exercises, guided, live, monitor, profiles, sessions, source

    settings = settings or ServerSettings()
    pool = EstimatorPool(settings.max_sessions, lambda: create_estimator(model=settings.model))

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        pool.close()

    app = FastAPI(title="posecheck live coach", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # /docs below serves Swagger UI from this package
                  description="Local exercise form coach. REST for exercises, profiles and sessions; "
                              "WebSocket protocol documented in posecheck/server/schemas.py.")
    app.state.settings = settings
    app.state.sessions = SessionStore(settings.data_dir)
    app.state.estimators = pool
    app.state.guided = GuidedRuns(settings.history_path)
    for module in (exercises, profiles, sessions, live, source, monitor, guided):
        app.include_router(module.router)

    @app.exception_handler(RecursionError)
    async def too_deeply_nested(_request: Request, _exc: RecursionError):
        # A JSON body nested a few hundred levels deep exhausts the parser's recursion: the
        # client's fault, said in one line, not a 500 and a traceback.
        return JSONResponse({"detail": "request body nested too deeply"}, status_code=400)

    @app.middleware("http")
    async def refuse_cross_site_changes(request: Request, call_next):
        # A page elsewhere can send a "simple" POST without asking first; only the
        # coach's own pages may change anything.
        if request.method in UNSAFE_METHODS and not same_origin(request.headers.get("origin"),
                                                                 request.headers.get("host")):
            return PlainTextResponse("cross-origin request refused", status_code=403)
        return await call_next(request)

    allowed = settings.allowed_hosts()
    if "*" not in allowed:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/session", include_in_schema=False)
    def session_page() -> FileResponse:
        return FileResponse(STATIC / "session.html")

    @app.get("/monitor", include_in_schema=False)
    def monitor_page() -> FileResponse:
        return FileResponse(STATIC / "monitor.html")

    _mount_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI 5 (reads OpenAPI 3.1) from the copy in static/vendor/swagger-ui: works
    offline, reaches no CDN; no validator badge (it would call validator.swagger.io)."""
    app.mount("/docs-assets", StaticFiles(directory=SWAGGER_UI), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png",
                                   swagger_ui_parameters={"validatorUrl": None})
