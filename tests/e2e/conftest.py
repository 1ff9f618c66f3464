"""A live reelvault server on a free port (real engines, thread workers) and Chromium.

The browser is Debian's Chromium (``/usr/bin/chromium``): the Playwright browser
download does not work here. Without it the tests are skipped, unless ``CI`` is set,
where a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.app.server import server_config
from reelvault.runtime import Runtime
from reelvault.testing import settings_for

CHROMIUM = Path(os.environ.get("REELVAULT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
# Screenshots go to a scratch folder on every run, and refresh the README's copies in
# docs/screenshots only when asked (REELVAULT_SCREENSHOTS=1), so tests leave git clean.
SCREENSHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("REELVAULT_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "reelvault-screenshots"
)
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    runtime: Runtime

    def has(self, path: str) -> bool:
        """Whether the server has a route at ``path`` (404 only for unknown paths)."""
        return httpx.request("HEAD", self.url + path, timeout=10).status_code != 404


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("studio")) as server:
        yield server


@contextmanager
def serving(folder: Path, **overrides: Any) -> Iterator[LiveServer]:
    """A live server on a free port with thread workers; ``overrides`` for its settings."""
    # An SMTP server that is never reached (unless ``overrides`` name a real one): most
    # tests send no mail, but its presence turns notify-me and account e-mails on.
    defaults: dict[str, Any] = {
        "workers": 2,
        "smtp_host": "127.0.0.1",
        "smtp_port": _free_port(),
        "smtp_from": "studio@example.org",
        "public_base_url": "http://127.0.0.1",
    }
    settings = settings_for(folder, **{**defaults, **overrides})
    runtime = open_runtime(settings)
    app = create_app(settings, runtime=runtime, worker_mode="thread")
    port = _free_port()
    config = server_config(app, settings, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert server.started, "the live server did not start"
        yield LiveServer(f"http://127.0.0.1:{port}", runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        runtime.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _shorter_waits(launched)
        yield launched
        launched.close()


def _shorter_waits(browser: Any) -> None:
    """Every context's waits as long as REELVAULT_E2E_WAIT_MS says, where it is set.

    The privacy mutation run sets it: there a removed enforcement makes a page wait for
    what never comes, and Playwright's default is 30 s a wait. Set on the browser, so
    the contexts tests open themselves get it too."""
    wait_ms = os.environ.get("REELVAULT_E2E_WAIT_MS")
    if not wait_ms:
        return
    opener = browser.new_context

    def new_context(*args: Any, **kwargs: Any) -> Any:
        context = opener(*args, **kwargs)
        context.set_default_timeout(float(wait_ms))
        return context

    browser.new_context = new_context


class PageProblems:
    """Console errors and page errors seen, CSP violations among them."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page: Any) -> None:
        page.on(
            "console",
            lambda msg: self.messages.append(msg.text) if msg.type == "error" else None,
        )
        page.on("pageerror", lambda exc: self.messages.append(str(exc)))

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m]


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser profile (so a fresh pseudonymous session) at desktop size."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, accept_downloads=True, locale="en-GB"
    )
    # Nothing may leave for another origin: any attempt fails the test.
    outside: list[str] = []

    def route(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", route)
    yield ctx
    ctx.close()
    assert not outside, f"third-party requests: {outside}"


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    problems = PageProblems()
    opened = context.new_page()
    problems.watch(opened)
    opened.problems = problems
    yield opened
    assert not problems.csp_violations(), problems.csp_violations()


def open_studio(page: Any) -> None:
    page.goto("/")
    page.wait_for_selector("body[data-ready=true]", timeout=15000)


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
