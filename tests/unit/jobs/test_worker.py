"""Workers run jobs end to end: outputs, failures, cancellation, dead workers, scratch space."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import pytest

from reelvault.app.compose import open_runtime
from reelvault.jobs.lifecycle import cancel_job
from reelvault.jobs.queries import export_output, get_job
from reelvault.jobs.queue import DatabaseQueue
from reelvault.jobs.runner import scratch_path
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for
from reelvault.types import JobStatus

from .helpers import fake_request, run_to_end


def test_a_job_runs_to_a_playable_mp4(runtime: Runtime, tmp_path: Path) -> None:
    job = run_to_end(runtime, fake_request(width=96, height=64, fps=10, seconds=1.5))
    assert job.status is JobStatus.COMPLETED
    assert job.progress == 100
    assert job.attempts == 1
    assert job.has_output and job.output_bytes and job.output_bytes > 0
    # ephemeral: the service copy is downloadable for one hour after completion
    assert job.output_expires_at is not None and job.completed_at is not None
    assert (job.output_expires_at - job.completed_at).total_seconds() == 3600
    target = tmp_path / "out.mp4"
    assert export_output(runtime, job.id, target) == job.output_bytes
    with av.open(str(target)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        assert stream.codec_context.name == "h264"
        assert (stream.width, stream.height) == (96, 64)
    assert len(frames) == 15
    assert not scratch_path(runtime, job.id).exists()


def test_engine_error_fails_the_job_with_its_message(runtime: Runtime) -> None:
    job = run_to_end(runtime, fake_request(params={"fail": "engine_error", "fail_at_frame": 2}))
    assert job.status is JobStatus.FAILED
    assert job.error_code == "engine_error"
    assert job.error_message == "the fake engine failed on purpose"
    assert not job.has_output
    assert list(runtime.vault.object_ids()) == []  # prompt shredded, no output
    assert not scratch_path(runtime, job.id).exists()


def test_unexpected_crash_fails_cleanly_without_leaking_the_message(runtime: Runtime) -> None:
    job = run_to_end(runtime, fake_request(params={"fail": "crash", "fail_at_frame": 1}))
    assert job.status is JobStatus.FAILED
    assert job.error_code == "internal_error"
    assert job.error_message == "the job failed unexpectedly (RuntimeError)"
    assert not scratch_path(runtime, job.id).exists()


def test_cancel_while_running_stops_the_engine(runtime: Runtime) -> None:
    job = submit_job(runtime, fake_request(fps=20, seconds=3.0, params={"delay": 0.03}))
    worker = Worker(runtime, worker_id="w1")
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    deadline = time.monotonic() + 10
    while get_job(runtime, job.id).progress < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    running = get_job(runtime, job.id)
    assert running.status is JobStatus.IN_PROGRESS
    assert scratch_path(runtime, job.id).is_dir()
    cancel_job(runtime, job.id)
    thread.join(timeout=10)
    final = get_job(runtime, job.id)
    assert final.status is JobStatus.CANCELLED
    assert final.progress < 100
    assert not scratch_path(runtime, job.id).exists()
    assert list(runtime.vault.object_ids()) == []


def test_expired_lease_requeues_then_completes(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = open_runtime(settings_for(tmp_path), registry=registry_with_fake(), clock=clock)
    try:
        job = submit_job(runtime, fake_request())
        queue = DatabaseQueue(runtime)
        assert queue.claim("dead-worker") == job.id  # then the worker "dies"
        (scratch_path(runtime, job.id)).mkdir(parents=True)  # what it left behind
        assert queue.claim("other") is None  # leased: nobody else may take it
        clock.advance(seconds=runtime.settings.lease_seconds + 1)
        assert Worker(runtime, worker_id="w2").run_once() == "completed"
        final = get_job(runtime, job.id)
        assert final.status is JobStatus.COMPLETED
        assert final.attempts == 2
        assert not scratch_path(runtime, job.id).exists()
    finally:
        runtime.close()


def test_job_fails_after_its_last_attempt(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = open_runtime(
        settings_for(tmp_path, max_attempts=2), registry=registry_with_fake(), clock=clock
    )
    try:
        job = submit_job(runtime, fake_request())
        queue = DatabaseQueue(runtime)
        for attempt in range(2):
            assert queue.claim(f"dying-{attempt}") == job.id
            clock.advance(seconds=runtime.settings.lease_seconds + 1)
            queue.recover_expired()
        final = get_job(runtime, job.id)
        assert final.status is JobStatus.FAILED
        assert final.error_code == "worker_lost"
        assert "2 times" in (final.error_message or "")
        assert not final.prompt_kept
    finally:
        runtime.close()


def test_a_renewed_lease_is_not_taken_over(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = open_runtime(settings_for(tmp_path), registry=registry_with_fake(), clock=clock)
    try:
        job = submit_job(runtime, fake_request())
        queue = DatabaseQueue(runtime)
        assert queue.claim("alive") == job.id
        clock.advance(seconds=runtime.settings.lease_seconds - 1)
        assert queue.renew(job.id, "alive")
        clock.advance(seconds=runtime.settings.lease_seconds - 1)
        assert queue.recover_expired() == 0
        assert not queue.renew(job.id, "impostor")
    finally:
        runtime.close()


@pytest.mark.parametrize("workers", [3])
def test_concurrent_workers_never_run_a_job_twice(runtime: Runtime, workers: int) -> None:
    jobs = [submit_job(runtime, fake_request(seed=index)) for index in range(6)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def drain(name: str) -> None:
        worker = Worker(runtime, worker_id=name)
        while (outcome := worker.run_once()) is not None:
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == ["completed"] * len(jobs)
    assert {get_job(runtime, job.id).attempts for job in jobs} == {1}


def test_a_worker_limited_to_some_engines_leaves_the_others_queued(runtime: Runtime) -> None:
    procedural = submit_job(
        runtime, fake_request(engine="procedural", width=128, height=72, seconds=0.5)
    )
    fake = submit_job(runtime, fake_request())  # submitted later: not first in line
    only_fake = Worker(
        runtime, worker_id="gpu-node", queue=DatabaseQueue(runtime, engines={"fake"})
    )
    assert only_fake.run_once() == "completed"
    assert only_fake.run_once() is None  # the procedural job is not this worker's
    assert get_job(runtime, fake.id).status is JobStatus.COMPLETED
    assert get_job(runtime, procedural.id).status is JobStatus.QUEUED
    assert Worker(runtime, worker_id="cpu-node").run_once() == "completed"
    assert get_job(runtime, procedural.id).status is JobStatus.COMPLETED
