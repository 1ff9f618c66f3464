"""Group commit for job creation: jobs that arrive together are stored together.

Accepting a job means a few small encrypted writes to the vault, each made durable with
fsyncs, and a few rows in the database. Done one job at a time those fsyncs queue up in
the filesystem's journal, and every job pays a trip through the web server's thread
pool. The intake has one writer thread instead: jobs submitted while it writes a batch
wait and go into the next one, which it makes durable with one round of fsyncs and one
transaction (the group commit of databases). Idle, a job is written at once, alone; under
load the batches grow with it. The writer stops after a moment without work and starts
again with the next job, so an idle app holds no thread.

Jobs arrive prepared (checked, their rows built): the writer does only what must be
serial, so the next batch is prepared while this one waits for the disk.

On a server database (PostgreSQL) a batch mostly waits on network round trips and the
server's commit, not on this process: there two writers take turns, so one batch's
vault writes overlap the other's commit. SQLite writes one transaction at a time
whatever the number of writers, so it keeps one.

Durability is unchanged: :meth:`JobIntake.store` returns only after its job's batch is
stored. An event loop waiting on several jobs of a batch is woken once for all of them,
not once per job.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from dataclasses import dataclass

from reelvault.jobs.submission import PreparedJob, admit_and_store
from reelvault.jobs.views import JobView
from reelvault.runtime import Runtime

IDLE_EXIT_S = 2.0
MAX_BATCH = 64


Outcome = JobView | Exception


@dataclass
class _Submission:
    prepared: PreparedJob
    waiter: asyncio.Future[JobView]  # settled on the loop of the coroutine that waits


class JobIntake:
    """One writer thread per runtime that stores submitted jobs in batches."""

    def __init__(
        self, runtime: Runtime, *, max_batch: int = MAX_BATCH, writers: int | None = None
    ) -> None:
        self._runtime = runtime
        self._max_batch = max_batch
        self._max_writers = writers if writers is not None else writers_for(runtime)
        self._queue: queue.SimpleQueue[_Submission] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._writers: set[threading.Thread] = set()

    @property
    def writers(self) -> frozenset[threading.Thread]:
        """The writer threads running now (none while idle)."""
        with self._lock:
            return frozenset(self._writers)

    async def store(self, prepared: PreparedJob) -> JobView:
        """Queue a job and wait: its view once stored, or the error that refused it.

        If the caller is cancelled (its client went away) the job is still stored.
        """
        waiter: asyncio.Future[JobView] = asyncio.get_running_loop().create_future()
        submission = _Submission(prepared, waiter)
        with self._lock:
            self._queue.put(submission)
            if len(self._writers) < self._max_writers:
                writer = threading.Thread(
                    target=self._write_batches, name="reelvault-intake", daemon=True
                )
                self._writers.add(writer)
                writer.start()
        return await waiter

    def _write_batches(self) -> None:
        try:
            self._run()
        finally:
            with self._lock:  # stopped or died: the next job starts another
                self._writers.discard(threading.current_thread())

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_EXIT_S)
            except queue.Empty:
                with self._lock:
                    # Checked under the lock that ``submit`` holds while queueing, so no
                    # job is left behind by a writer that is about to stop.
                    if self._queue.empty():
                        self._writers.discard(threading.current_thread())
                        return
                continue
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(batch)

    def _write(self, batch: list[_Submission]) -> None:
        # A job whose caller went away meanwhile is still stored, as it would have been
        # by a thread of the pool: its uploads are in the vault and must end up owned by
        # a job or shredded.
        outcomes: list[Outcome]
        try:
            outcomes = admit_and_store(self._runtime, [item.prepared for item in batch])
        except Exception as exc:  # storage or database failure: every job of the batch
            outcomes = [exc] * len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[JobView], Outcome]]]
        by_loop = {}
        for submission, outcome in zip(batch, outcomes, strict=True):
            loop = submission.waiter.get_loop()
            by_loop.setdefault(loop, []).append((submission.waiter, outcome))
        for loop, settled in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
                loop.call_soon_threadsafe(_settle_all, settled)


def writers_for(runtime: Runtime) -> int:
    """Two writers on a server database, one on SQLite (see the module's docstring)."""
    return 1 if runtime.db.dialect.name == "sqlite" else 2


def _settle_all(settled: list[tuple[asyncio.Future[JobView], Outcome]]) -> None:
    """Runs on the waiters' loop: one wake-up for every job of the batch it waits on."""
    for waiter, outcome in settled:
        if waiter.done():  # a cancelled caller
            continue
        if isinstance(outcome, Exception):  # that owner's refusal, or the batch's failure
            waiter.set_exception(outcome)
        else:
            waiter.set_result(outcome)


__all__ = ["IDLE_EXIT_S", "MAX_BATCH", "JobIntake", "writers_for"]
