"""A studio on a server with API keys: the key panel, pasted once, opens a session."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.testing import settings_for
from tests.e2e.conftest import DESKTOP, PageProblems, _free_port, run_axe


@dataclass
class KeyedServer:
    url: str
    secret: str


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyedServer]:
    settings = settings_for(tmp_path_factory.mktemp("keyed"), workers=1)
    runtime = open_runtime(settings)
    secret = create_api_key(runtime, name="studio user").secret
    app = create_app(settings, runtime=runtime, worker_mode="none")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            log_config=None,  # uvicorn's default config would detach its loggers from ours
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the keyed server did not start"
    yield KeyedServer(f"http://127.0.0.1:{port}", secret)
    server.should_exit = True
    thread.join(timeout=30)
    runtime.close()


@pytest.mark.parametrize("path", ["/", "/privacy-centre"])
def test_the_key_panel_asks_for_a_key_and_opens_a_session(
    browser: Any, keyed_server: KeyedServer, path: str
) -> None:
    context = browser.new_context(base_url=keyed_server.url, viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    problems = PageProblems()
    problems.watch(page)
    try:
        page.goto(path)
        page.wait_for_selector("#key-panel:not([hidden])", timeout=15000)
        assert page.evaluate("document.activeElement.id") == "api-key"
        assert not [c for c in context.cookies() if c["name"] == "rv_session"]
        assert run_axe(page) == []
        # Where accounts are on, signing in is offered instead of a key.
        page.wait_for_selector("#key-sign-in:not([hidden])")
        assert page.get_attribute("#key-sign-in a", "href") == "/account/login"
        # A wrong key is refused, with the server's words, and nothing is set.
        page.fill("#api-key", "rv-not-the-key")
        page.click("#key-submit")
        page.wait_for_function("() => document.getElementById('key-error').textContent !== ''")
        assert "not valid" in page.text_content("#key-error")
        assert page.get_attribute("#api-key", "aria-invalid") == "true"
        # The right key becomes a session cookie (HttpOnly; the key is in no cookie).
        page.fill("#api-key", keyed_server.secret)
        with page.expect_navigation():
            page.click("#key-submit")
        page.wait_for_selector("body[data-ready=true]", timeout=15000)
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["rv_session"]["httpOnly"] is True
        assert all(keyed_server.secret not in c["value"] for c in cookies.values())
        assert page.is_hidden("#key-panel")
        assert not problems.csp_violations(), problems.csp_violations()
    finally:
        context.close()
