"""MediaPipe's web runtime (`@mediapipe/tasks-vision`, Apache-2.0): what the coach's pages
load to run the pose model in the browser. It does not ship inside posecheck (26 MB of
WASM); `posecheck models install web` fetches the package once from the npm registry (or
takes a downloaded tarball), checks the tarball against the registry's published SHA-512,
and keeps only the files the pages load, each checked again by its SHA-256 whenever the
server starts. Nothing is ever fetched by the page itself."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ...errors import ModelError
from ...files import sha256_of, user_data_dir

PACKAGE = "@mediapipe/tasks-vision"
VERSION = "1.1.0"
TARBALL = f"tasks-vision-{VERSION}.tgz"
# The registry's own `dist.integrity` of that tarball (npm view @mediapipe/tasks-vision@1.1.0 dist.integrity).
TARBALL_SHA512 = "ZJqh0wMKOINorfSffvDAxzyO1//c+FiG3IkzOdNDnLqvBB3DbMfj0bB/tys2SNf9S914sgoIbIpF4HTOi336cg=="
FILES_SHA256 = {  # what the pages load: the ES module and both WASM builds (SIMD, and without)
    "vision_bundle.mjs": "9d5fc9ef74b22329cf9aa88dc543956d192b8c254210b187271614713eb5b10c",
    "wasm/vision_wasm_internal.js": "7c652617b5bef832f42878ce8c5f752b0724bca6054e4bc1013a37d4b1949723",
    "wasm/vision_wasm_internal.wasm": "782eda3ec1f414fdb4f1d66a8b59093eb4d5ab437e06117796abf05962d68eef",
    "wasm/vision_wasm_nosimd_internal.js": "510fc70a170eb8b46767a7abab2af89a7a8341fa5b3ebfb8a5de41a79b7fa9df",
    "wasm/vision_wasm_nosimd_internal.wasm": "b802041d105876865d6a0806f2ff7c4419a7f1b80bc01340fe36e759c2030011",
    "package.json": "1b6bd640d09f7233cb8b9f8c5381ed706743ce97eb970db267db975089ab7663",  # its licence
}
DEFAULT_REGISTRY = "https://registry.npmjs.org"
DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class WebRuntime:
    folder: Path
    version: str = VERSION


def install_dir() -> Path:
    return user_data_dir() / "models" / "web" / f"tasks-vision-{VERSION}"


def tarball_url() -> str:
    # npm's own setting, so a mirror configured for npm serves here too.
    registry = os.environ.get("npm_config_registry") or DEFAULT_REGISTRY
    return f"{registry.rstrip('/')}/{PACKAGE}/-/{TARBALL}"


def find_web_runtime() -> WebRuntime:
    """The installed runtime, every file checked; ModelError says what is wrong and how to fix it."""
    folder = install_dir()
    fix = "run `posecheck models install web`"
    if not folder.is_dir():
        raise ModelError(f"the in-browser pose runtime is not installed; {fix}")
    for name, digest in FILES_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"the in-browser pose runtime is incomplete ({name} is missing); {fix}")
        if sha256_of(path) != digest:
            raise ModelError(f"the in-browser pose runtime's {name} does not match its checksum; {fix}")
    return WebRuntime(folder)


def _sri_sha512(data: bytes) -> str:
    return base64.b64encode(hashlib.sha512(data).digest()).decode()


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:  # noqa: S310 - https URL built above
            return response.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelError(f"could not download {url}: {reason}; on a machine without the registry, "
                         f"download {TARBALL} elsewhere and pass it: posecheck models install web FILE") from None


def install_web_runtime(tarball: Path | None = None) -> tuple[Path, bool]:
    """Install from `tarball` (a downloaded `tasks-vision-1.1.0.tgz`) or the registry.
    Returns the folder and whether anything was installed (False: already there, checked)."""
    try:
        find_web_runtime()
        return install_dir(), False
    except ModelError:
        pass
    if tarball is not None:
        if not tarball.is_file():
            raise ModelError(f"{tarball}: no such file")
        data = tarball.read_bytes()
        origin = str(tarball)
    else:
        origin = tarball_url()
        data = _download(origin)
    if _sri_sha512(data) != TARBALL_SHA512:
        raise ModelError(f"{origin}: not {PACKAGE} {VERSION} (its SHA-512 differs from the registry's)")
    target = install_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unpacked beside the target, then moved into place: never a half-installed runtime.
    staging = Path(tempfile.mkdtemp(prefix=".tasks-vision-", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for name, digest in FILES_SHA256.items():
                member = archive.extractfile(f"package/{name}")  # by name: no path from the archive is used
                if member is None:
                    raise ModelError(f"{origin}: {name} is missing from the package")
                content = member.read()
                if hashlib.sha256(content).hexdigest() != digest:
                    raise ModelError(f"{origin}: {name} does not match its checksum")
                out = staging / name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(content)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except (tarfile.TarError, KeyError) as exc:
        raise ModelError(f"{origin}: not a readable npm package ({exc})") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target, True
