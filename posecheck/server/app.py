"""`create_app(settings)`: the FastAPI app for the live coach. Nothing is built at
import time; tests build their own app on a temporary data folder.

Local by default: only loopback host names (and `--host`, `--allow-host`) are served,
which stops DNS-rebinding pages; browsers may only reach the WebSockets and the
state-changing endpoints from the coach's own pages; at most `max_sessions` models run."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..pose.estimator_pool import EstimatorPool
from .browser_pose import BrowserPose, mount_browser_pose as _mount_browser_pose
from .deps import SessionStore
from .live_sessions import LandmarkSlots
from .settings import ServerSettings, same_origin

STATIC = Path(__file__).resolve().parent / "static"
SWAGGER_UI = STATIC / "vendor" / "swagger-ui"  # swagger-ui-dist 5, see VENDORED.md there

__all__ = ["ServerSettings", "create_app"]  # the settings too: callers build one to make an app

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CONNECT_ONLY_HERE = "connect-src 'self'"


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
    app.state.landmark_slots = LandmarkSlots(settings.max_landmark_sessions)
    app.state.browser_pose = BrowserPose.find(settings)
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

    @app.middleware("http")
    async def connect_only_here(request: Request, call_next):
        # Added last, so outermost: on every answer, the host check's refusals too. The
        # pages may connect (fetch, WebSocket, beacons) to this server only. MediaPipe's
        # web runtime posts usage metrics to Google (its README's privacy notice); this
        # header makes the browser refuse that, and anything else that would leave.
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONNECT_ONLY_HERE)
        return response

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
    _mount_browser_pose(app, app.state.browser_pose)
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
