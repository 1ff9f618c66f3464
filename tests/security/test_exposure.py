"""Finding 11 (issue 15): /metrics and /readyz details were anyone's, and the server
named itself (``Server: uvicorn``).

Once API keys exist, the details need the ``metrics_token`` (Bearer) or a client on
this machine; keyless single-user mode is unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from reelvault.app.factory import create_app
from reelvault.app.server import server_config
from reelvault.jobs.owners import create_api_key
from reelvault.jobs.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from tests.security.live import free_port, serve

TOKEN = "metrics-" + "s3cr3t" * 4


def _app(tmp_path: Path, *, keys: bool, **overrides: Any) -> tuple[Any, Runtime]:
    settings = settings_for(tmp_path, **overrides)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    if keys:
        create_api_key(runtime, name="owner")
    return create_app(settings, runtime=runtime, worker_mode="none"), runtime


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[tuple[Any, Runtime]]:
    app, runtime = _app(tmp_path, keys=True, metrics_token=TOKEN)
    yield app, runtime
    runtime.close()


def test_an_outsider_sees_no_metrics_and_no_readiness_details(keyed: tuple[Any, Runtime]) -> None:
    app, _ = keyed
    with TestClient(app, client=("203.0.113.7", 40000)) as outsider:
        metrics = outsider.get("/metrics")
        assert metrics.status_code == 401
        assert metrics.json()["error"]["code"] == "unauthorized"
        assert "reelvault_jobs" not in metrics.text
        wrong = outsider.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ready = outsider.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}


def test_the_metrics_token_opens_both(keyed: tuple[Any, Runtime]) -> None:
    app, _ = keyed
    with TestClient(app, client=("203.0.113.7", 40000)) as scraper:
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        metrics = scraper.get("/metrics", headers=bearer)
        assert metrics.status_code == 200 and "reelvault_queue_depth" in metrics.text
        assert "checks" in scraper.get("/readyz", headers=bearer).json()


def test_a_loopback_client_sees_them_without_a_token(keyed: tuple[Any, Runtime]) -> None:
    app, _ = keyed
    with TestClient(app, client=("127.0.0.1", 40000)) as local:
        assert local.get("/metrics").status_code == 200
        assert "checks" in local.get("/readyz").json()
        # ...but not when a proxy on this machine relays someone else's request.
        relayed = {"X-Forwarded-For": "203.0.113.7"}
        assert local.get("/metrics", headers=relayed).status_code == 401


def test_a_trusted_local_proxy_is_believed(tmp_path: Path) -> None:
    app, runtime = _app(tmp_path, keys=True, trusted_proxies=["127.0.0.1"])
    with TestClient(app, client=("127.0.0.1", 40000)) as proxy:
        assert proxy.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 401
        assert proxy.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    runtime.close()


def test_keyless_single_user_mode_is_unchanged(tmp_path: Path) -> None:
    app, runtime = _app(tmp_path, keys=False)
    with TestClient(app) as local:
        assert local.get("/metrics").status_code == 200
        assert "checks" in local.get("/readyz").json()
    runtime.close()


def test_a_configured_token_is_required_even_before_keys_exist(tmp_path: Path) -> None:
    app, runtime = _app(tmp_path, keys=False, metrics_token=TOKEN)
    with TestClient(app, client=("203.0.113.7", 40000)) as outsider:
        assert outsider.get("/metrics").status_code == 401
    runtime.close()


def test_a_live_server_does_not_name_itself(tmp_path: Path) -> None:
    """The shared server configuration (e2e and contract tests use it too)."""
    app, runtime = _app(tmp_path, keys=False)
    port = free_port()
    settings = runtime.settings
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        response = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 200
        assert "server" not in response.headers
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        runtime.close()


def test_reelvault_serve_does_not_name_itself(tmp_path: Path) -> None:
    with serve(tmp_path) as (base, _port):
        for path in ("/healthz", "/api/v1/jobs", "/nowhere"):
            assert "server" not in httpx.get(base + path).headers
