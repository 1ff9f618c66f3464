"""Finding 7 (issue 15): /docs and /redoc loaded Swagger UI from a public CDN, with no
integrity hash and no CSP, on the origin whose cookies the studio uses.

Now the page and every asset come from this server, under the studio's strict policy,
with no inline script; ReDoc is gone; ``docs_enabled`` turns the docs off.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from reelvault.app.factory import create_app
from reelvault.app.server import server_config
from reelvault.jobs.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from reelvault.web.headers import CONTENT_SECURITY_POLICY
from tests.security.live import free_port

CHROMIUM = Path(os.environ.get("REELVAULT_CHROMIUM", "/usr/bin/chromium"))


class _Refs(HTMLParser):
    """Every URL the page loads, and whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(str(values[name]))
        self._in_script_without_src = tag == "script" and not values.get("src")
        if any(name.startswith("on") for name in values):
            self.inline_scripts += 1  # event-handler attributes are inline script too

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script_without_src = False


def _client(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    settings = settings_for(tmp_path, **overrides)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    with TestClient(create_app(settings, runtime=runtime, worker_mode="none")) as client:
        yield client
    runtime.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path)


def test_the_docs_page_loads_nothing_from_another_origin(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    refs = _Refs()
    refs.feed(page.text)
    assert refs.urls, "the page names its assets"
    assert all(url.startswith("/") and not url.startswith("//") for url in refs.urls), refs.urls
    assert refs.inline_scripts == 0
    assert "cdn" not in page.text.lower() and "style=" not in page.text


def test_its_assets_are_served_with_the_right_types(client: TestClient) -> None:
    refs = _Refs()
    refs.feed(client.get("/docs").text)
    kinds = {".js": "javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for url in refs.urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        expected = next(kind for suffix, kind in kinds.items() if url.endswith(suffix))
        assert expected in asset.headers["content-type"], url
    assert "SwaggerUIBundle" in client.get("/static/swagger-ui/swagger-ui-bundle.js").text
    licence = client.get("/static/swagger-ui/LICENSE")
    assert licence.status_code == 200 and "Apache License" in licence.text


def test_the_schema_is_served_and_redoc_is_gone(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert client.get("/redoc").status_code == 404


def test_docs_can_be_turned_off(tmp_path: Path) -> None:
    for client in _client(tmp_path, docs_enabled=False):
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/api/v1/jobs").status_code == 200  # the API itself is unchanged


def test_swagger_ui_renders_under_the_policy_in_a_browser(tmp_path: Path) -> None:
    """Swagger UI really works under the CSP: no violation, the operations are listed."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    settings = settings_for(tmp_path)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    port = free_port()
    app = create_app(settings, runtime=runtime, worker_mode="none")
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    problems: list[str] = []
    requested: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        counted: list[int] = []

        def browse() -> None:
            # Playwright's sync API refuses a thread whose event loop earlier tests left
            # running (pytest runs every test on the main thread): a thread of its own.
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
                )
                page = browser.new_page()
                page.on(
                    "console",
                    lambda message: (
                        problems.append(message.text) if message.type == "error" else None
                    ),
                )
                page.on("pageerror", lambda error: problems.append(str(error)))
                page.on("request", lambda request: requested.append(request.url))
                page.goto(f"http://127.0.0.1:{port}/docs")
                page.wait_for_selector(".opblock", timeout=20_000)
                counted.append(page.locator(".opblock").count())
                browser.close()

        browsing = threading.Thread(target=browse)
        browsing.start()
        browsing.join(timeout=120)
        (operations,) = counted
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        runtime.close()
    assert operations > 10
    assert problems == []
    origin = f"http://127.0.0.1:{port}/"
    assert all(url.startswith((origin, "data:")) for url in requested), requested
