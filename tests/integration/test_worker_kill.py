"""A worker process killed with SIGKILL mid-job loses nothing: the job completes on retry."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest

from reelvault.app.compose import open_runtime
from reelvault.jobs.queries import export_output, get_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.runner import scratch_path
from reelvault.jobs.submission import submit_job
from reelvault.testing import settings_for
from reelvault.types import JobStatus

WORKER_ENV = {
    "REELVAULT_LEASE_SECONDS": "2",
    "REELVAULT_HEARTBEAT_SECONDS": "0.3",
    "REELVAULT_POLL_SECONDS": "0.1",
}


def _start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELVAULT_")}
    env.update(WORKER_ENV, REELVAULT_DATA_DIR=str(data_dir))
    return subprocess.Popen(
        [sys.executable, "-m", "reelvault.cli.main", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_sigkill_mid_job_then_retry_completes(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, lease_seconds=2, heartbeat_seconds=0.3)
    runtime = open_runtime(settings)
    try:
        job = submit_job(
            runtime,
            JobRequest(
                prompt="birds flying over mountains", width=640, height=360, fps=24, seconds=8
            ),
        )
        first = _start_worker(settings.data_dir)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            view = get_job(runtime, job.id)
            if view.status is JobStatus.IN_PROGRESS and view.progress >= 10:
                break
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            time.sleep(0.05)
        else:
            pytest.fail("the worker never got going")
        assert scratch_path(runtime, job.id).is_dir()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert get_job(runtime, job.id).status is JobStatus.IN_PROGRESS  # nobody knows yet

        second = _start_worker(settings.data_dir)
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                view = get_job(runtime, job.id)
                if view.status.is_terminal:
                    break
                time.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=60)
        assert view.status is JobStatus.COMPLETED, view.error_message
        assert view.attempts == 2
        assert not scratch_path(runtime, job.id).exists()
        target = tmp_path / "out.mp4"
        export_output(runtime, job.id, target)
        with av.open(str(target)) as container:
            assert container.streams.video[0].frames == 192
        # exactly the outputs (video, thumbnail, sprite sheet): nothing of the killed attempt
        assert len(list(runtime.vault.object_ids())) == 3
    finally:
        runtime.close()
