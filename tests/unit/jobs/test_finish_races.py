"""Two parties ending one job at the same moment: the first to commit wins, the other sees it.

A cancel and a worker's own ending (failed, completed) both read the job and then write
its status. Without a lock on the row, PostgreSQL lets the later writer overwrite the
earlier one: a job the user saw cancelled turned "failed" a moment later (seen in CI).
Runs on SQLite and PostgreSQL (the ``runtime`` fixture).
"""

from __future__ import annotations

import threading

from reelvault.jobs import runner
from reelvault.jobs.lifecycle import finish_job
from reelvault.jobs.queries import get_job, load_job
from reelvault.jobs.queue import DatabaseQueue
from reelvault.jobs.submission import submit_job
from reelvault.runtime import Runtime
from reelvault.types import JobStatus

from .helpers import fake_request


def test_a_worker_ending_a_job_waits_for_a_cancel_being_committed_and_keeps_it(
    runtime: Runtime,
) -> None:
    job = submit_job(runtime, fake_request())
    assert DatabaseQueue(runtime).claim("w1") == job.id
    outcome: list[bool] = []

    def worker_fails_the_job() -> None:
        outcome.append(
            runner._finish_unless_taken(
                runtime, job.id, "w1", JobStatus.FAILED, error_code="engine_error"
            )
        )

    worker = threading.Thread(target=worker_fails_the_job)
    with runtime.session() as session:  # the cancel, read and written in one transaction
        cancelled = load_job(session, job.id, None, lock=True)
        finish_job(runtime, session, cancelled, JobStatus.CANCELLED, stage="cancelled")
        session.flush()
        worker.start()
        worker.join(0.5)
        assert worker.is_alive()  # the worker waits for the cancel to commit
    worker.join(10)
    assert outcome == [False]  # it saw the job was no longer its own to end
    assert get_job(runtime, job.id).status is JobStatus.CANCELLED
