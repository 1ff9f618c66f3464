"""Two API nodes on one database: two runtimes and two apps, as ``reelvault serve
--no-workers`` on two machines would be. Each has its own process state (rate limiters,
caches); only the database and the vault's folder are shared."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for


@contextlib.contextmanager
def two_nodes(
    tmp_path: Path, **overrides: Any
) -> Iterator[tuple[tuple[TestClient, TestClient], tuple[Runtime, Runtime]]]:
    """Two apps over one database (SQLite in ``tmp_path`` unless ``database_url`` is given)."""
    settings = settings_for(tmp_path, **overrides)
    runtimes = [open_runtime(settings, registry=registry_with_fake(settings)) for _ in range(2)]
    create_api_key(runtimes[0], name="operator")  # keyless single-user mode is over
    clients = [
        TestClient(create_app(settings, runtime=runtime, worker_mode="none"))
        for runtime in runtimes
    ]
    try:
        with clients[0], clients[1]:
            yield (clients[0], clients[1]), (runtimes[0], runtimes[1])
    finally:
        for runtime in runtimes:
            runtime.close()


def login(client: TestClient, email: str, password: str, *, ip: str = "203.0.113.7") -> int:
    browser = TestClient(client.app, client=(ip, 40000))
    return browser.post(
        "/api/v1/account/login", json={"email": email, "password": password}
    ).status_code


def signup(client: TestClient, email: str, password: str, *, ip: str = "203.0.113.7") -> int:
    browser = TestClient(client.app, client=(ip, 40000))
    return browser.post(
        "/api/v1/account/signup",
        json={"email": email, "password": password, "age_confirmed": True},
    ).status_code
