"""A job whose worker died after storing its output is completed, not rendered again.

The worker is a real child process killed with SIGKILL at the one point that matters:
its outputs are stored and recorded, the job is not marked completed yet. Another
worker then takes the redelivered job (after the lease runs out, as with a Celery
redelivery or the polling queue) and must complete it from those outputs.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from pathlib import Path

import pytest

from reelvault.app.compose import open_runtime
from reelvault.config import Settings
from reelvault.engines.base import Engine
from reelvault.jobs import runner
from reelvault.jobs.queries import export_output, get_job
from reelvault.jobs.queue import DatabaseQueue
from reelvault.jobs.runner import scratch_path
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.testing import FakeClock, FakeEngine, registry_with_fake, settings_for
from reelvault.types import JobStatus

from .helpers import fake_request

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="needs fork and SIGKILL to kill a worker mid-job"
)


def _die_before_completing(settings: Settings) -> None:
    """A worker process that renders and stores the job, then is killed (SIGKILL)."""
    runtime = open_runtime(settings, registry=registry_with_fake(), clock=FakeClock())

    def killed(*_args: object, **_kwargs: object) -> bool:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    runner._complete = killed  # type: ignore[assignment]
    Worker(runtime, worker_id="dies-after-storing").run_once()


def _renders(engine: Engine) -> int:
    assert isinstance(engine, FakeEngine)
    return len(engine.received)


def test_a_redelivered_job_with_stored_output_completes_without_rendering(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    settings = settings_for(tmp_path)
    runtime = open_runtime(settings, registry=registry_with_fake(), clock=clock)
    try:
        job = submit_job(runtime, fake_request(width=96, height=64, fps=10, seconds=1.0))
        child = multiprocessing.get_context("fork").Process(
            target=_die_before_completing, args=(settings,)
        )
        child.start()
        child.join(timeout=120)
        assert child.exitcode == -signal.SIGKILL  # killed at the point under test
        stranded = get_job(runtime, job.id)
        assert stranded.status is JobStatus.IN_PROGRESS
        assert stranded.attempts == 1

        clock.advance(seconds=settings.lease_seconds + 1)  # the dead worker's lease ends
        engine = runtime.registry.get("fake")
        assert Worker(runtime, worker_id="second").run_once() == "completed"

        assert _renders(engine) == 0  # completed from the stored output, not rendered
        final = get_job(runtime, job.id)
        assert final.status is JobStatus.COMPLETED
        assert final.attempts == 2
        assert final.has_output and final.output_bytes
        assert (final.output_width, final.output_height, final.output_seconds) == (96, 64, 1.0)
        target = tmp_path / "out.mp4"
        assert export_output(runtime, job.id, target) == final.output_bytes
        assert target.read_bytes()[4:8] == b"ftyp"  # the dead worker's MP4, whole
        assert not scratch_path(runtime, job.id).exists()
    finally:
        runtime.close()


def test_a_job_whose_output_was_only_half_stored_is_rendered_again(tmp_path: Path) -> None:
    """Rows written, bytes not recorded (killed while storing): nothing is reused."""
    clock = FakeClock()
    settings = settings_for(tmp_path)
    runtime = open_runtime(settings, registry=registry_with_fake(), clock=clock)
    try:
        job = submit_job(runtime, fake_request())
        queue = DatabaseQueue(runtime)
        assert queue.claim("dead-worker") == job.id
        outputs_of_a_dead_attempt = runner.Outputs(
            video=tmp_path / "missing.mp4",
            video_type="video/mp4",
            thumbnail=b"",
            spritesheet=b"",
            frames=8,
            fps=8,
            width=64,
            height=48,
        )
        with pytest.raises(Exception):  # noqa: B017 - any failure to store will do
            runner._store_outputs(runtime, job.id, "dead-worker", outputs_of_a_dead_attempt)
        clock.advance(seconds=settings.lease_seconds + 1)
        engine = runtime.registry.get("fake")
        assert Worker(runtime, worker_id="second").run_once() == "completed"
        assert _renders(engine) == 1
        final = get_job(runtime, job.id)
        assert final.status is JobStatus.COMPLETED
        assert (final.output_width, final.output_height) == (64, 48)
        assert len(list(runtime.vault.object_ids())) == 3  # the new outputs, nothing else
    finally:
        runtime.close()
