"""Apps for the authentication and session tests: in-process, fake engine, loopback bind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from reelvault.app.factory import create_app
from reelvault.jobs.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for

FAKE_JOB = {"engine": "fake", "prompt": "a lantern", "size": "64x48", "fps": 8, "seconds": 1}


@contextmanager
def auth_app(
    tmp_path: Path,
    *,
    base_url: str = "http://127.0.0.1:8000",
    client: tuple[str, int] = ("127.0.0.1", 50000),
    **overrides: Any,
) -> Iterator[tuple[TestClient, Runtime]]:
    """The app with no workers (jobs stay queued), and a client speaking from ``client``."""
    settings = settings_for(tmp_path, **overrides)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="none")
    try:
        with TestClient(app, base_url=base_url, client=client) as test_client:
            yield test_client, runtime
    finally:
        runtime.close()


def browser(app_client: TestClient, *, address: str = "127.0.0.1") -> TestClient:
    """Another browser (its own cookie jar) on the same app, from ``address``."""
    other = TestClient(app_client.app, base_url=str(app_client.base_url), client=(address, 50001))
    return other


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def csrf_header(client: TestClient, name: str = "rv_csrf") -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get(name) or ""}
