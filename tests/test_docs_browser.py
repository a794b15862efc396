"""The API docs (/docs) in a real browser, offline: Debian's chromium driven by Playwright
against a real `posecheck serve` on 127.0.0.1. Swagger UI must read the OpenAPI 3.1 schema
FastAPI serves, and load everything it needs from the coach itself (no CDN, no validator
badge, no remote favicon). Needs no clips and no camera."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

pytest.importorskip("playwright")

from .test_browser import ARTIFACTS, CHROMIUM, start_server, stop_server  # noqa: E402

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_local(url: str) -> bool:
    """On this machine: the coach itself, or inline data (data:, blob:)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="module")
def docs_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("docs-data")
    proc, url = start_server({"POSECHECK_PROFILE_DIR": str(data / "profiles"), "XDG_DATA_HOME": str(data)})
    yield url
    stop_server(proc)


def test_api_docs_render_offline_in_a_real_browser(docs_server):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    console: list[str] = []
    page_errors: list[str] = []
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            # Anything that tries to leave this machine is recorded above and then refused,
            # as it would be for a user with no internet.
            page.route("**/*", lambda route: route.continue_() if is_local(route.request.url)
                       else route.abort())
            page.goto(f"{docs_server}/docs")
            try:
                page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
                page.wait_for_selector(".opblock", timeout=20000)
            except PlaywrightTimeout:
                page.screenshot(path=str(ARTIFACTS / "api-docs-failed.png"))
                pytest.fail(f"Swagger UI listed no operations. Page: {page.inner_text('body')[:500]!r} "
                            f"console: {console} errors: {page_errors}")
            page.wait_for_load_state("networkidle")
            title = page.inner_text(".swagger-ui .info .title")
            paths = page.locator(".opblock .opblock-summary-path").all_inner_texts()
            body = page.inner_text("body")
            page.screenshot(path=str(ARTIFACTS / "api-docs.png"), full_page=False)
        finally:
            browser.close()

    assert "posecheck live coach" in title
    # 3.1 is the version FastAPI serves and the one the old bundle could not read.
    assert "OAS 3.1" in title, title
    assert "/api/config" in [path.replace("\u200b", "") for path in paths], paths
    assert "Unable to render this definition" not in body
    assert "does not specify a valid version" not in body
    schema_errors = [m for m in console + page_errors
                     if "version" in m.lower() and ("openapi" in m.lower() or "swagger" in m.lower())]
    assert not schema_errors, schema_errors
    assert not [m for m in console if m.startswith("error:")], console
    assert not page_errors, page_errors
    assert requests, "the page made no requests at all"
    remote = [url for url in requests if not is_local(url)]
    assert not remote, remote
    # The page's own assets and the schema all came from the coach.
    assert any(urlsplit(url).path == "/openapi.json" for url in requests), requests
    assert any(urlsplit(url).path.endswith("/swagger-ui-bundle.js") for url in requests), requests
    # No ReDoc page either (FastAPI's would load its script from a CDN).
    assert httpx.get(f"{docs_server}/redoc").status_code == 404
