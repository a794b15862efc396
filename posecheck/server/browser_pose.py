"""What a page needs to run the pose model itself: MediaPipe's web runtime (installed by
`posecheck models install web`) at /pose-web/, and the server's own verified `.task`
bundle at /pose-model.task. Both come from this server: the page fetches nothing from
anywhere else. When either is missing, /api/config says why and pages send frames."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ..errors import PosecheckError
from .settings import ServerSettings

RUNTIME_URL = "/pose-web"
MODEL_URL = "/pose-model.task"


@dataclass(frozen=True)
class BrowserPose:
    runtime: Path | None  # the verified runtime folder
    model: Path | None  # the verified .task bundle
    problem: str | None  # why pose cannot run in the browser

    @classmethod
    def find(cls, settings: ServerSettings) -> BrowserPose:
        """Looked up once at start, never built or written: a server told to run pose
        itself needs none of it; a missing piece is a reason, not a failed start."""
        from ..pose.models import bundle_variant, task_bundle, web_runtime

        if settings.pose == "server":
            return cls(None, None, "this server runs pose itself (posecheck serve --pose server)")
        try:
            runtime = web_runtime().folder
            if settings.model.endswith(".task"):
                model = Path(settings.model)
                bundle_variant(model)  # checked: the page is served only a bundle posecheck knows
            else:
                model = task_bundle(settings.model, build=False).path
        except (PosecheckError, OSError) as exc:
            return cls(None, None, str(exc))
        return cls(runtime, model, None)

    @property
    def available(self) -> bool:
        return self.problem is None

    def config(self) -> dict:
        return {"browser_runtime": f"{RUNTIME_URL}/vision_bundle.mjs" if self.available else None,
                "browser_model": MODEL_URL if self.available else None,
                "browser_problem": self.problem}


def mount_browser_pose(app: FastAPI, found: BrowserPose) -> None:
    if not found.available:
        return
    # The system's MIME table may lack these; a module script and streamed WASM need them.
    mimetypes.add_type("text/javascript", ".mjs")
    mimetypes.add_type("application/wasm", ".wasm")
    app.mount(RUNTIME_URL, StaticFiles(directory=found.runtime), name="pose-web")

    @app.get(MODEL_URL, include_in_schema=False)
    def pose_model() -> FileResponse:
        return FileResponse(found.model, media_type="application/octet-stream")

