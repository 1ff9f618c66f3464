"""The database side of queue=celery: claiming one given job, and the republish pass.

Runs on SQLite and PostgreSQL. The broker is a recording stand-in here; the real
brokers are in tests/integration/test_celery_queue.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reelvault.app.compose import open_runtime
from reelvault.jobs.queries import get_job
from reelvault.jobs.queue import DatabaseQueue
from reelvault.jobs.queue.celery_queue import republish_stale
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.privacy.restrict import set_restricted
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for
from reelvault.types import JobId, JobStatus

from .helpers import fake_request


class RecordingBroker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.backlog: dict[str, int] = {}

    def publish(self, jobs: Sequence[tuple[str, str]]) -> int:
        self.sent.extend(jobs)
        return len(jobs)

    def waiting(self, engine: str) -> int | None:
        return self.backlog.get(engine, 0)

    def close(self) -> None:
        pass


def _open(tmp_path: Path, clock: FakeClock) -> Runtime:
    settings = settings_for(tmp_path, celery_republish_after_seconds=60)
    return open_runtime(settings, registry=registry_with_fake(), clock=clock)


def test_claim_job_takes_a_waiting_job_once(runtime: Runtime) -> None:
    job = JobId(submit_job(runtime, fake_request()).id)
    queue = DatabaseQueue(runtime)
    assert queue.claim_job(job, "node-a")
    assert not queue.claim_job(job, "node-b")  # a redelivered message: a no-op
    assert get_job(runtime, job).status is JobStatus.IN_PROGRESS


def test_claim_job_refuses_an_ended_job_and_other_engines(runtime: Runtime) -> None:
    done = JobId(submit_job(runtime, fake_request()).id)
    Worker(runtime, worker_id="w").run_once()
    assert get_job(runtime, done).status is JobStatus.COMPLETED
    assert not DatabaseQueue(runtime).claim_job(done, "node-a")
    waiting = JobId(submit_job(runtime, fake_request()).id)
    assert not DatabaseQueue(runtime, engines={"puppet"}).claim_job(waiting, "node-a")
    assert get_job(runtime, waiting).status is JobStatus.QUEUED


def test_stale_jobs_are_republished_once_their_queue_is_empty(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = _open(tmp_path, clock)
    broker = RecordingBroker()
    try:
        job = submit_job(runtime, fake_request()).id
        assert republish_stale(runtime, broker) == 0  # its first message is recent
        clock.advance(seconds=61)
        broker.backlog["fake"] = 5  # its message may be among those still waiting
        assert republish_stale(runtime, broker) == 0
        broker.backlog["fake"] = 0  # drained, and the job is still queued: lost
        assert republish_stale(runtime, broker) == 1
        assert broker.sent == [(job, "fake")]
        assert republish_stale(runtime, broker) == 0  # the next pass waits again
        clock.advance(seconds=61)
        assert republish_stale(runtime, broker) == 1
    finally:
        runtime.close()


def test_a_restricted_owners_jobs_are_not_republished(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = _open(tmp_path, clock)
    broker = RecordingBroker()
    try:
        view = submit_job(runtime, fake_request())
        set_restricted(runtime, view.owner_id, True)
        clock.advance(seconds=61)
        assert republish_stale(runtime, broker) == 0
    finally:
        runtime.close()
