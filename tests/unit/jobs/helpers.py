"""Helpers for the job tests: run the queue in this thread until a job ends."""

from __future__ import annotations

from reelvault.jobs.queries import get_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.jobs.views import JobView
from reelvault.jobs.worker import Worker
from reelvault.runtime import Runtime
from reelvault.types import Task


def fake_request(**overrides: object) -> JobRequest:
    values: dict[str, object] = {
        "prompt": "a quiet harbour at dawn",
        "task": Task.TEXT_TO_VIDEO,
        "engine": "fake",
        "width": 64,
        "height": 48,
        "fps": 8,
        "seconds": 1.0,
        "seed": 3,
    }
    values.update(overrides)
    return JobRequest(**values)  # type: ignore[arg-type]


def run_to_end(runtime: Runtime, request: JobRequest) -> JobView:
    job = submit_job(runtime, request)
    worker = Worker(runtime, worker_id="test-worker")
    for _ in range(10):
        if worker.run_once() is None:
            break
    return get_job(runtime, job.id)
