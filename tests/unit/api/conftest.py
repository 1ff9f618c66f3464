"""An app on tmp_path with thread workers and the fake engine, called in-process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelvault.app.factory import create_app
from reelvault.jobs.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for


def make_client(tmp_path: Path, **overrides: Any) -> tuple[TestClient, Runtime]:
    settings = settings_for(tmp_path, **overrides)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="thread")
    return TestClient(app), runtime


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    client, runtime = make_client(tmp_path)
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client
    runtime.close()


FAKE_JOB = {
    "engine": "fake",
    "prompt": "a lantern in the fog",
    "size": "64x48",
    "fps": 8,
    "seconds": 1,
    "seed": 5,
}


def wait_for(
    client: TestClient, job_id: str, *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("completed", "failed", "cancelled", "expired"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")
