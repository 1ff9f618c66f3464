"""A supervised worker process that dies is replaced, and its job runs again at once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from reelvault.app.compose import open_runtime
from reelvault.db.models import Job
from reelvault.jobs.pool import WorkerPool, how_it_ended
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.testing import settings_for
from reelvault.types import JobStatus

# Longer than the test may take: a requeue can only come from the supervisor.
LEASE_SECONDS = 300


def _wait(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_job_requeued_without_the_lease(
    tmp_path: Path,
) -> None:
    settings = settings_for(
        tmp_path, lease_seconds=LEASE_SECONDS, heartbeat_seconds=0.3, poll_seconds=0.1
    )
    runtime = open_runtime(settings)
    jobs = [
        submit_job(
            runtime,
            JobRequest(prompt=f"birds over mountains {n}", width=320, height=180, seconds=6),
        ).id
        for n in range(3)
    ]
    pool = WorkerPool(settings, 2, open_runtime, runtime=runtime)
    pool.start()
    try:
        running: dict[str, str] = {}

        def a_job_is_under_way() -> bool:
            with runtime.session() as session:
                job = session.scalars(
                    select(Job).where(Job.status == JobStatus.IN_PROGRESS.value, Job.progress >= 5)
                ).first()
                if job is not None and job.lease_owner:
                    running.update(job=job.id, worker=job.lease_owner)
            return bool(running)

        _wait(a_job_is_under_way, 120)
        victim = pool.members()[running["worker"]]
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)

        def all_done() -> bool:
            with runtime.session() as session:
                statuses = set(session.scalars(select(Job.status)))
            return statuses == {JobStatus.COMPLETED.value}

        _wait(all_done, 150)  # well inside the lease: the supervisor requeued the job
        with runtime.session() as session:
            killed = session.get(Job, running["job"])
            assert killed is not None and killed.attempts == 2
            assert set(session.scalars(select(Job.id))) == set(jobs)
        _wait(lambda: pool.alive() == 2, 10)
        assert pool.restarts == 1
        assert running["worker"] not in pool.members()  # the replacement has its own id
        scratch = settings.scratch_dir
        # A worker removes a job's scratch just after marking it completed: on a loaded
        # machine that can be a moment later. The dead worker's is gone at once.
        _wait(lambda: not scratch.exists() or not any(scratch.iterdir()), 10)
    finally:
        pool.stop()
        runtime.close()


def test_the_log_says_how_a_worker_ended() -> None:
    assert how_it_ended(-signal.SIGKILL) == "killed by SIGKILL"
    assert how_it_ended(1) == "exit code 1"
    assert how_it_ended(None) == "unknown"
