"""Workers: claim jobs from the queue, keep the lease alive, run them.

A :class:`Worker` runs in a thread or a process (:mod:`reelvault.jobs.pool` starts
and supervises worker processes); a killed worker's job returns to the queue when its
lease expires, or at once when its supervisor saw it die.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Collection
from pathlib import Path
from types import FrameType

from sqlalchemy import select

from reelvault.config import Settings
from reelvault.db.models import Job
from reelvault.jobs.progress import JobProgress
from reelvault.jobs.queue import DatabaseQueue, JobQueue
from reelvault.jobs.runner import run_job
from reelvault.jobs.screening import SCREENING_PREFIX
from reelvault.logs import configure_logging
from reelvault.metrics import join_multiprocess
from reelvault.runtime import Runtime, RuntimeFactory
from reelvault.types import JobId, JobStatus

log = logging.getLogger(__name__)


class _LeaseKeeper(threading.Thread):
    """Renews a job's lease every heartbeat until stopped; flags a lost lease."""

    def __init__(
        self, queue: JobQueue, job_id: JobId, worker_id: str, interval: float, progress: JobProgress
    ) -> None:
        super().__init__(name=f"lease-{job_id}", daemon=True)
        self.queue = queue
        self.job_id = job_id
        self.worker_id = worker_id
        self.interval = interval
        self.progress = progress
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                renewed = self.queue.renew(self.job_id, self.worker_id)
            except Exception as exc:  # a busy database: try again next beat
                log.warning("lease renewal failed: %s", type(exc).__name__)
                continue
            if not renewed:
                self.progress.lease_lost = True
                return


def run_claimed(runtime: Runtime, queue: JobQueue, job_id: JobId, worker_id: str) -> str:
    """Run a job ``worker_id`` has just claimed, renewing its lease while it runs."""
    progress = JobProgress(runtime, job_id, worker_id)
    keeper = _LeaseKeeper(queue, job_id, worker_id, runtime.settings.heartbeat_seconds, progress)
    keeper.start()
    try:
        return run_job(runtime, job_id, worker_id=worker_id, progress=progress)
    finally:
        keeper.stopped.set()
        keeper.join()


class Worker:
    def __init__(
        self, runtime: Runtime, *, worker_id: str | None = None, queue: JobQueue | None = None
    ) -> None:
        self.runtime = runtime
        self.worker_id = worker_id or f"w-{os.getpid()}-{secrets.token_hex(4)}"
        self.queue: JobQueue = queue if queue is not None else DatabaseQueue(runtime)
        self._last_recovery = 0.0

    def run_once(self) -> str | None:
        """Recover stale leases, then claim and run at most one job; returns its outcome."""
        now = time.monotonic()
        if now - self._last_recovery >= min(self.runtime.settings.lease_seconds, 5.0):
            self._last_recovery = now
            self.queue.recover_expired()
        job_id = self.queue.claim(self.worker_id)
        if job_id is None:
            return None
        return run_claimed(self.runtime, self.queue, job_id, self.worker_id)

    def run_forever(self, stop: threading.Event) -> None:
        clean_stale_scratch(self.runtime)
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception as exc:  # keep serving; the job's lease brings it back
                log.error("worker loop error: %s", type(exc).__name__)
                ran = None
            if ran is None:
                stop.wait(self.runtime.settings.poll_seconds)


def clean_stale_scratch(runtime: Runtime) -> int:
    """Remove scratch directories of jobs that no live worker is running."""
    root = runtime.settings.scratch_dir
    if not root.is_dir():
        return 0
    now = runtime.clock()
    with runtime.session() as session:
        live = set(
            session.scalars(
                select(Job.id).where(
                    Job.status == JobStatus.IN_PROGRESS.value,
                    Job.lease_expires_at.is_not(None),
                    Job.lease_expires_at >= now,
                )
            )
        )
    removed = 0
    for entry in root.iterdir():
        if entry.name not in live and not _screening_now(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


SCREENING_GRACE_S = 600.0


def _screening_now(entry: Path) -> bool:
    """A folder where a request's uploads are being looked at (jobs/screening.py) right
    now: it goes with the check; one left by a dead process goes after the grace period."""
    if not entry.name.startswith(SCREENING_PREFIX):
        return False
    try:
        return time.time() - entry.stat().st_mtime < SCREENING_GRACE_S
    except OSError:
        return False


def worker_process_main(
    settings: Settings,
    open_runtime: RuntimeFactory,
    stop: threading.Event | None = None,
    worker_id: str | None = None,
    engines: Collection[str] | None = None,
    metrics_dir: Path | None = None,
) -> None:
    """Entry point of a worker process: runs until SIGTERM/SIGINT or ``stop`` is set.

    ``open_runtime`` is the composition root's (a module-level function, so that a
    spawned process can be handed it). ``metrics_dir``: the supervisor's folder for its
    workers' metrics files (None: metrics stay in this process's memory).
    """
    # A spawned process starts with nothing configured: the guard and the handler first.
    configure_logging(settings.log_level, settings.log_format)
    if metrics_dir is not None:
        join_multiprocess(metrics_dir)  # before the runtime creates its metrics
    stop_event = stop if stop is not None else threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runtime = open_runtime(settings)
    try:
        queue = DatabaseQueue(runtime, engines=engines)
        Worker(runtime, worker_id=worker_id, queue=queue).run_forever(stop_event)
    finally:
        runtime.close()


__all__ = ["Worker", "clean_stale_scratch", "run_claimed", "worker_process_main"]
