"""A broker restarted under load, its messages lost: every job still reaches an end.

A private ``redis-server`` (free port, no persistence) so the restart disturbs no other
test. The jobs whose messages vanished with it are published again by the republish
pass; the ones running finish and are acknowledged on the new connection.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelvault.app.compose import open_runtime
from reelvault.db.models import Job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import prepare_job, store_jobs
from reelvault.types import TERMINAL_STATUSES, JobStatus
from tests.integration.celery_nodes import celery_settings, start_node, stop_node, wait_for
from tests.services import free_port, require_program

JOBS = 200


class PrivateRedis:
    def __init__(self) -> None:
        self.program = require_program("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.program, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        wait_for(lambda: _answers(client), 10, "redis-server to start")
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def _answers(client: object) -> bool:
    try:
        return bool(client.ping())  # type: ignore[attr-defined]
    except Exception:
        return False


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.mark.slow
def test_every_job_ends_when_the_broker_restarts_under_load(
    tmp_path: Path, private_redis: PrivateRedis
) -> None:
    settings = celery_settings(
        tmp_path, private_redis.url, lease_seconds=5.0, celery_republish_after_seconds=2.0
    )
    runtime = open_runtime(settings)
    node = start_node(settings, "procedural", concurrency=2, log=tmp_path / "node.log")
    try:
        request = JobRequest(prompt="a kite over a beach", width=320, height=180, fps=12, seconds=1)
        for _ in range(JOBS // 20):  # batches, as the intake stores them
            store_jobs(runtime, [prepare_job(runtime, request) for _ in range(20)])

        def count(*statuses: JobStatus) -> int:
            with runtime.session() as session:
                return int(
                    session.scalar(
                        select(func.count())
                        .select_from(Job)
                        .where(Job.status.in_([status.value for status in statuses]))
                    )
                    or 0
                )

        wait_for(lambda: count(*TERMINAL_STATUSES) >= JOBS // 4, 60, "a quarter of the jobs")
        private_redis.kill()  # every queued message is gone with it (no persistence)
        time.sleep(1)
        private_redis.start()
        wait_for(lambda: count(*TERMINAL_STATUSES) == JOBS, 80, "every job to end")
        assert count(JobStatus.COMPLETED) == JOBS
    finally:
        stop_node(node)
        runtime.close()
