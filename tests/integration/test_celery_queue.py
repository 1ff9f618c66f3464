"""queue=celery against the machine's Redis and RabbitMQ: real worker nodes (subprocesses
running ``reelvault worker``), an API node in this process, one queue per engine.

Proven by removal (see docs/queue-celery.md): a task that carries the prompt makes the
broker scan fail; a claim that does not check the job is still queued makes the
redelivery test run the job again; a progress report that ignores the cancel flag makes
the cancellation test fail.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.db.models import Job, StoredObject
from reelvault.jobs import objects
from reelvault.runtime import Runtime
from tests.integration.celery_nodes import (
    celery_settings,
    delete_queues,
    kill_node,
    redis_contents,
    start_node,
    stop_node,
    wait_for,
)
from tests.services import AMQP_URL, REDIS_URL, require_tcp
from tests.storage_backends import PostgresDatabases

IMAGE = Path(__file__).parent.parent / "data" / "fullbody_yoga_beach.jpg"
ENGINES = ["procedural", "livephoto", "puppet"]


def _broker(name: str) -> str:
    if name == "redis":
        require_tcp("Redis", REDIS_URL, 6379)
        return REDIS_URL
    require_tcp("RabbitMQ", AMQP_URL, 5672)
    return AMQP_URL


@pytest.fixture(params=["redis", "amqp", "redis-postgresql"])
def setup(request: pytest.FixtureRequest) -> Iterator[tuple[str, str | None]]:
    """(broker URL, database URL or None for SQLite): both brokers, and PostgreSQL."""
    broker, _, database = str(request.param).partition("-")
    if not database:
        yield _broker(broker), None
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name, url = databases.new()
    try:
        yield _broker(broker), url
    finally:
        databases.drop(name)


@pytest.fixture
def redis_url() -> str:
    require_tcp("Redis", REDIS_URL, 6379)
    return REDIS_URL


class Deployment:
    """An API node (in this process, no workers) and the worker nodes a test starts."""

    def __init__(
        self, tmp_path: Path, broker_url: str, database_url: str | None = None, **overrides: Any
    ) -> None:
        self.tmp_path = tmp_path
        extra = {"database_url": database_url} if database_url else {}
        self.settings = celery_settings(tmp_path, broker_url, **extra, **overrides)
        self.runtime: Runtime = open_runtime(self.settings)
        self.client = TestClient(create_app(self.settings, runtime=self.runtime))
        self.client.__enter__()
        self.nodes: list[object] = []

    def node(self, engines: str, concurrency: int = 1):  # type: ignore[no-untyped-def]
        node = start_node(
            self.settings,
            engines,
            concurrency=concurrency,
            log=self.tmp_path / f"node-{len(self.nodes)}.log",
        )
        self.nodes.append(node)
        return node

    def job(self, job_id: str) -> Job:
        with self.runtime.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            session.expunge(job)
            return job

    def status(self, job_id: str) -> str:
        return self.job(job_id).status

    def submit(self, prompt: str, **body: object) -> str:
        payload = {"engine": "procedural", "prompt": prompt, "size": "320x180", "seconds": 1}
        created = self.client.post("/api/v1/jobs", json={**payload, **body})
        assert created.status_code == 201, created.text
        job_id: str = created.json()["id"]
        return job_id

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.tmp_path.glob("node-*.log"))
        )

    def close(self) -> None:
        for node in self.nodes:
            stop_node(node)  # type: ignore[arg-type]
        self.client.__exit__(None, None, None)
        delete_queues(self.settings, ENGINES)
        self.runtime.close()


@pytest.fixture
def deployment(tmp_path: Path, setup: tuple[str, str | None]) -> Iterator[Deployment]:
    opened = Deployment(tmp_path, *setup)
    try:
        yield opened
    finally:
        opened.close()


def _events(client: TestClient, job_id: str) -> list[tuple[str, dict[str, object]]]:
    """Every Server-Sent Event of the job until its ``done``."""
    events: list[tuple[str, dict[str, object]]] = []
    name = ""
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events") as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
                if name == "done":
                    break
    return events


@pytest.mark.slow
def test_a_job_goes_from_the_api_through_the_broker_to_a_worker_node(
    deployment: Deployment,
) -> None:
    """API submit → message → `reelvault worker` in another process → MP4; the API
    node's SSE stream shows the worker's progress (it reads the shared database)."""
    job_id = deployment.submit("a red fox crossing a snowy field at dawn", seconds=3)
    deployment.node("procedural")
    events = _events(deployment.client, job_id)
    names = [name for name, _data in events]
    assert names[-1] == "done" and events[-1][1]["status"] == "completed", deployment.logs()
    progress = [int(data["progress"]) for name, data in events if name == "progress"]  # type: ignore[call-overload]
    assert any(0 < value < 100 for value in progress), progress  # seen while it ran
    assert progress == sorted(progress)
    video = deployment.client.get(f"/api/v1/jobs/{job_id}/content")
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4" and video.content[4:8] == b"ftyp"
    assert deployment.job(job_id).attempts == 1


@pytest.mark.slow
def test_nothing_personal_reaches_the_broker(tmp_path: Path, redis_url: str) -> None:
    """After a run, and with a message still waiting, no key or value in Redis holds
    the prompt or any part of an upload (message bodies decoded)."""
    deployment = Deployment(tmp_path, redis_url)
    try:
        prompt = "a lighthouse keeper named " + secrets.token_hex(8)
        done = deployment.submit(prompt)
        upload = IMAGE.read_bytes()
        waiting = deployment.client.post(
            "/api/v1/jobs",
            data={"task": "image_to_video", "engine": "livephoto", "prompt": prompt},
            files={"image": ("me.jpg", upload, "image/jpeg")},
        )
        assert waiting.status_code == 201, waiting.text
        deployment.node("procedural")  # nobody consumes livephoto: its message stays
        wait_for(lambda: deployment.status(done) == "completed", 60, "the job")
        assert deployment.status(waiting.json()["id"]) == "queued"
        contents = redis_contents(redis_url)
        assert any(
            deployment.settings.celery_queue_prefix.encode() in value for value in contents
        ), "the scan found this test's messages"
        pieces = [prompt.encode(), prompt.split()[-1].encode()]
        pieces += [upload[offset : offset + 24] for offset in range(0, len(upload) - 24, 4096)]
        leaked = [piece for piece in pieces if any(piece in value for value in contents)]
        assert not leaked
    finally:
        deployment.close()


@pytest.mark.slow
def test_a_node_takes_only_the_jobs_of_its_engines(tmp_path: Path, redis_url: str) -> None:
    deployment = Deployment(tmp_path, redis_url)
    try:
        job_id = deployment.submit("boats in a harbour")
        deployment.node("puppet,livephoto", concurrency=2)
        time.sleep(8)  # the node is up, and the job was republished several times meanwhile
        assert deployment.status(job_id) == "queued"
        assert deployment.job(job_id).attempts == 0
        deployment.node("procedural")
        wait_for(lambda: deployment.status(job_id) == "completed", 60, "the job")
    finally:
        deployment.close()


@pytest.mark.slow
def test_cancelling_reaches_a_job_running_on_another_machine(deployment: Deployment) -> None:
    job_id = deployment.submit("a slow drift over dunes", size="960x540", seconds=20)
    deployment.node("procedural")
    wait_for(
        lambda: deployment.status(job_id) == "in_progress" and deployment.job(job_id).progress >= 5,
        60,
        "the job to start",
    )
    assert deployment.client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
    # Within a few progress reports, not at the end of the render (tens of seconds).
    wait_for(lambda: deployment.status(job_id) == "cancelled", 4, "the cancellation")
    assert deployment.job(job_id).progress < 50
    scratch = deployment.settings.scratch_dir / job_id
    wait_for(lambda: not scratch.exists(), 10, "the scratch removal")


def _outputs(runtime: Runtime, job_id: str) -> int:
    with runtime.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(StoredObject)
                .where(StoredObject.job_id == job_id, StoredObject.kind == objects.OUTPUT_VIDEO)
            )
            or 0
        )


@pytest.mark.slow
def test_a_node_killed_mid_job_loses_nothing_and_runs_nothing_twice(
    deployment: Deployment,
) -> None:
    job_id = deployment.submit("herons over a marsh", size="640x360", seconds=8)
    first = deployment.node("procedural")
    wait_for(
        lambda: deployment.status(job_id) == "in_progress" and deployment.job(job_id).progress >= 5,
        60,
        "the job to start",
    )
    scratch = deployment.settings.scratch_dir / job_id
    assert scratch.is_dir()
    kill_node(first)  # the node and its pool child: a machine gone
    deployment.node("procedural")
    wait_for(lambda: deployment.status(job_id) == "completed", 90, "the job on the other node")
    job = deployment.job(job_id)
    assert job.attempts == 2
    assert _outputs(deployment.runtime, job_id) == 1
    assert not scratch.exists()
    # The killed node's message comes back (RabbitMQ at once, Redis after the visibility
    # timeout), and the job was republished: every extra delivery is a no-op.
    dispatch = deployment.runtime.hooks.dispatch
    assert dispatch is not None
    assert dispatch.publish([(job_id, "procedural")] * 3) == 3
    time.sleep(4)
    job = deployment.job(job_id)
    assert (job.status, job.attempts) == ("completed", 2)
    assert _outputs(deployment.runtime, job_id) == 1
    assert "message dropped" in deployment.logs()
