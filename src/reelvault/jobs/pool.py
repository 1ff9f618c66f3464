"""Worker processes, supervised: a worker that dies is replaced, its job requeued at once.

Workers are spawned processes, so a crash or a SIGKILL takes nothing else down. The
supervisor (a thread of the process that started them: ``reelvault serve`` or
``reelvault worker --processes N``) notices a dead one within a second, logs how it
ended (exit code or signal, nothing else), requeues the job it held without waiting
for the lease to run out, removes the scratch folders no live worker uses, and starts
a replacement after a backoff that doubles while replacements keep dying (1 s up to
30 s) and starts again from 1 s once one has lived a minute.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import signal
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from reelvault import metrics
from reelvault.config import Settings
from reelvault.jobs.queue import DatabaseQueue
from reelvault.jobs.worker import clean_stale_scratch, worker_process_main
from reelvault.runtime import Runtime, RuntimeFactory

log = logging.getLogger(__name__)

FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0
SUPERVISE_EVERY_S = 0.5


@dataclass
class _Slot:
    index: int
    process: BaseProcess | None = None
    worker_id: str = ""
    started_at: float = 0.0
    backoff: float = 0.0
    restart_at: float = 0.0


def how_it_ended(exitcode: int | None) -> str:
    """``killed by SIGKILL`` or ``exit code 1``: what the log says of a dead worker."""
    if exitcode is None:
        return "unknown"
    if exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
        return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class WorkerPool:
    """N supervised worker processes. Stopping sends SIGTERM: a worker finishes its
    current step and exits; one that does not within ``timeout`` is killed."""

    def __init__(
        self,
        settings: Settings,
        processes: int,
        open_runtime: RuntimeFactory,
        *,
        runtime: Runtime | None = None,
        engines: Collection[str] | None = None,
    ) -> None:
        self.settings = settings
        self.count = processes
        self.open_runtime = open_runtime
        self.engines = tuple(sorted(engines)) if engines is not None else None
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")
        self._slots = [_Slot(index) for index in range(processes)]
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        # Used to requeue a dead worker's job; opened on first need when not given.
        self._runtime = runtime
        self._owns_runtime = runtime is None
        # The workers' metrics files (prometheus_client multiprocess mode): made before
        # the first worker starts, read by whoever serves /metrics in this process.
        self.metrics_dir: Path | None = None

    @property
    def processes(self) -> list[BaseProcess]:
        return [slot.process for slot in self._slots if slot.process is not None]

    def start(self) -> None:
        self._stopping.clear()
        if self.metrics_dir is None:
            self.metrics_dir = metrics.prepare_multiprocess_dir(self.settings.data_dir)
        for slot in self._slots:
            self._spawn(slot)
        self._supervisor = threading.Thread(
            target=self._supervise, name="reelvault-supervisor", daemon=True
        )
        self._supervisor.start()

    def members(self) -> dict[str, BaseProcess]:
        """The worker id each live slot's process claims jobs under."""
        return {slot.worker_id: slot.process for slot in self._slots if slot.process is not None}

    def alive(self) -> int:
        return sum(1 for process in self.processes if process.is_alive())

    def supervise_once(self) -> int:
        """Bury dead workers and start the replacements that are due; returns the dead."""
        now = time.monotonic()
        dead = 0
        for slot in self._slots:
            if self._stopping.is_set():
                break
            if slot.process is not None and not slot.process.is_alive():
                dead += 1
                self._bury(slot, now)
            if slot.process is None and now >= slot.restart_at:
                self._spawn(slot)
                self.restarts += 1
        return dead

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            # A pass in progress may be burying a worker (opening a runtime, folding its
            # metrics file): let it end before the folder it writes into is removed.
            self._supervisor.join(timeout=timeout)
            self._supervisor = None
        processes = self.processes
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for slot in self._slots:
            slot.process = None
        if self.metrics_dir is not None:
            metrics.remove_multiprocess_dir(self.metrics_dir)
            self.metrics_dir = None
        if self._owns_runtime and self._runtime is not None:
            self._runtime.close()
            self._runtime = None

    def _supervise(self) -> None:
        while not self._stopping.wait(SUPERVISE_EVERY_S):
            try:
                self.supervise_once()
            except Exception as exc:  # keep supervising; the next pass tries again
                log.error("worker supervisor error: %s", type(exc).__name__)

    def _spawn(self, slot: _Slot) -> None:
        slot.worker_id = f"pool-{os.getpid()}-{slot.index}-{secrets.token_hex(3)}"
        process = self._context.Process(
            target=worker_process_main,
            args=(self.settings, self.open_runtime),
            kwargs={
                "worker_id": slot.worker_id,
                "engines": self.engines,
                "metrics_dir": self.metrics_dir,
            },
            name=f"reelvault-worker-{slot.index}",
            daemon=False,
        )
        process.start()
        slot.process = process
        slot.started_at = time.monotonic()

    def _bury(self, slot: _Slot, now: float) -> None:
        process = slot.process
        assert process is not None
        process.join(0)
        lived = now - slot.started_at
        slot.backoff = (
            FIRST_BACKOFF_S
            if lived >= STABLE_AFTER_S or slot.backoff == 0
            else min(MAX_BACKOFF_S, slot.backoff * 2)
        )
        slot.restart_at = now + slot.backoff
        slot.process = None
        # Its counters stay in the totals; gauges it kept alive (none today) would go.
        metrics.process_died(process.pid, self.metrics_dir)
        runtime = self._runtime_for_recovery()
        requeued = DatabaseQueue(runtime).release(slot.worker_id)
        clean_stale_scratch(runtime)
        log.warning(
            "worker %d died (%s) after %.0f s; %d job(s) back in the queue; replacing it in %.0f s",
            slot.index,
            how_it_ended(process.exitcode),
            lived,
            requeued,
            slot.backoff,
            extra={"worker": slot.index, "duration_s": round(lived, 1)},
        )

    def _runtime_for_recovery(self) -> Runtime:
        if self._runtime is None:
            self._runtime = self.open_runtime(self.settings)
        return self._runtime


__all__ = ["WorkerPool", "how_it_ended"]
