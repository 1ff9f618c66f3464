"""Workers: claim jobs from the queue, keep the lease alive, run them.

A :class:`Worker` runs in a thread or a process. :class:`WorkerPool` starts workers
as separate processes (spawned, so a crash or a SIGKILL takes nothing else down);
a killed worker's job returns to the queue when its lease expires.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import shutil
import signal
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

from sqlalchemy import select

from reelvault.config import Settings
from reelvault.db.models import Job
from reelvault.jobs.progress import JobProgress
from reelvault.jobs.queue import DatabaseQueue, JobQueue
from reelvault.jobs.runner import run_job
from reelvault.logs import configure_logging
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
        progress = JobProgress(self.runtime, job_id, self.worker_id)
        keeper = _LeaseKeeper(
            self.queue, job_id, self.worker_id, self.runtime.settings.heartbeat_seconds, progress
        )
        keeper.start()
        try:
            return run_job(self.runtime, job_id, worker_id=self.worker_id, progress=progress)
        finally:
            keeper.stopped.set()
            keeper.join()

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
        if entry.name not in live:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def worker_process_main(
    settings: Settings, open_runtime: RuntimeFactory, stop: threading.Event | None = None
) -> None:
    """Entry point of a worker process: runs until SIGTERM/SIGINT or ``stop`` is set.

    ``open_runtime`` is the composition root's (a module-level function, so that a
    spawned process can be handed it).
    """
    # A spawned process starts with nothing configured: the guard and the handler first.
    configure_logging(settings.log_level)
    stop_event = stop if stop is not None else threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runtime = open_runtime(settings)
    try:
        Worker(runtime).run_forever(stop_event)
    finally:
        runtime.close()


class WorkerPool:
    """N worker processes. Stopping sends SIGTERM: a running job finishes its frame
    loop at the next progress report only if cancelled; otherwise its lease expires
    and another worker picks it up."""

    def __init__(self, settings: Settings, processes: int, open_runtime: RuntimeFactory) -> None:
        self.settings = settings
        self.open_runtime = open_runtime
        self.count = processes
        self._context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []

    def start(self) -> None:
        for index in range(self.count):
            process = self._context.Process(
                target=worker_process_main,
                args=(self.settings, self.open_runtime),
                name=f"reelvault-worker-{index}",
                daemon=False,
            )
            process.start()
            self.processes.append(process)

    def alive(self) -> int:
        return sum(1 for process in self.processes if process.is_alive())

    def stop(self, timeout: float = 30.0) -> None:
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        self.processes.clear()


__all__ = ["Worker", "WorkerPool", "clean_stale_scratch", "worker_process_main"]
