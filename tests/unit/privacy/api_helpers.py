"""An app on tmp_path with a fake clock, thread workers and the fake engine, in-process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from reelvault.app.factory import create_app
from reelvault.jobs.owners import create_api_key
from reelvault.jobs.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for

DATA = Path(__file__).parents[2] / "data"
IMAGE = DATA / "fullbody_yoga_beach.jpg"


@contextmanager
def privacy_app(
    tmp_path: Path, *, policy: str, clock: FakeClock, workers: bool = True, **overrides: Any
) -> Iterator[tuple[TestClient, Runtime]]:
    settings = settings_for(tmp_path, policy=policy, rate_limit_per_minute=0, **overrides)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings), clock=clock)
    app = create_app(settings, runtime=runtime, worker_mode="thread" if workers else "none")
    try:
        with TestClient(app) as client:
            yield client, runtime
    finally:
        runtime.close()


def bearer(runtime: Runtime, name: str = "tester") -> tuple[dict[str, str], str]:
    key = create_api_key(runtime, name=name)
    return {"Authorization": f"Bearer {key.secret}"}, key.owner_id


def declare_adult(client: TestClient, headers: dict[str, str]) -> None:
    """Answer the age question as old enough (asked before anything only adults may do)."""
    answer = client.post("/api/v1/privacy/age", json={"over_minimum_age": True}, headers=headers)
    assert answer.status_code == 200, answer.text


def text_job(client: TestClient, headers: dict[str, str], prompt: str) -> dict[str, Any]:
    body = {"engine": "fake", "prompt": prompt, "size": "64x48", "fps": 8, "seconds": 1}
    response = client.post("/api/v1/jobs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


def image_job(client: TestClient, headers: dict[str, str], prompt: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/jobs",
        data={
            "task": "image_to_video",
            "engine": "fake",
            "prompt": prompt,
            "size": "64x48",
            "fps": "8",
            "seconds": "1",
        },
        files={"image": ("photo.jpg", IMAGE.read_bytes(), "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


def wait_done(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("completed", "failed", "cancelled", "expired"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def files_containing(root: Path, needles: list[bytes]) -> list[str]:
    """Files under ``root`` holding any needle (byte-level, case-sensitive)."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(root)}" for needle in needles if needle in data]
    return found
