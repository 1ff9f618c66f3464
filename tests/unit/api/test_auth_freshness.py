"""How soon a new API key is enforced: at once in-process, within a bounded delay otherwise."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts import keys as owners
from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.testing import registry_with_fake

from .conftest import FAKE_JOB, make_client


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_key_created_in_process_is_enforced_at_once(api: TestClient) -> None:
    # Warm the in-memory answer "no key configured" (the fast path for anonymous callers).
    assert api.get("/v1/videos").status_code == 200
    assert api.get("/v1/videos").status_code == 200
    created = create_api_key(api.runtime, name="first")  # type: ignore[attr-defined]
    assert api.get("/v1/videos").status_code == 401
    assert api.post("/api/v1/jobs", json=FAKE_JOB).status_code == 401
    assert api.get("/v1/videos", headers=bearer(created.secret)).status_code == 200


def test_key_created_by_another_process_is_enforced_within_max_age(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    max_age = 0.2
    monkeypatch.setattr(owners, "KEYS_CONFIGURED_MAX_AGE_S", max_age)
    client, server_runtime = make_client(tmp_path)
    # A second Runtime on the same database stands in for ``reelvault keys create``.
    cli_runtime = open_runtime(server_runtime.settings, registry=registry_with_fake())
    try:
        with client:
            assert client.get("/v1/videos").status_code == 200  # no key yet: single-user mode
            assert client.get("/v1/videos").status_code == 200  # served from memory
            created = create_api_key(cli_runtime, name="from-the-cli")
            time.sleep(max_age * 1.5)
            assert client.get("/v1/videos").status_code == 401
            assert client.post("/api/v1/jobs", json=FAKE_JOB).status_code == 401
            assert client.get("/v1/videos", headers=bearer(created.secret)).status_code == 200
    finally:
        cli_runtime.close()
        server_runtime.close()
