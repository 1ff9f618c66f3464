"""Progress reporting from a running job into its row, with cancellation and lease checks."""

from __future__ import annotations

import time

from sqlalchemy import select, update

from reelvault.db.models import Job
from reelvault.errors import JobCancelledError, LeaseLostError
from reelvault.runtime import Runtime
from reelvault.types import JobStatus

# Engine work maps into this band of the job's 0-100 progress; the rest is
# start-up (decrypting inputs) before and storing the output after.
ENGINE_START = 2
ENGINE_END = 95


class JobProgress:
    """Writes throttled progress and raises when the job should stop.

    Raises :class:`JobCancelledError` once the job was cancelled or deleted, and
    :class:`LeaseLostError` once another worker has taken the job over.
    """

    def __init__(
        self,
        runtime: Runtime,
        job_id: str,
        worker_id: str,
        *,
        min_interval: float = 0.2,
        lease_lost: bool = False,
    ) -> None:
        self.runtime = runtime
        self.job_id = job_id
        self.worker_id = worker_id
        self.min_interval = min_interval
        self.lease_lost = lease_lost
        self._last_written = -1
        self._last_time = 0.0

    def report(self, percent: int, stage: str, *, force: bool = False) -> None:
        if self.lease_lost:
            raise LeaseLostError("this worker's lease on the job expired")
        percent = max(0, min(100, percent))
        now = time.monotonic()
        # Only the time throttle skips a report: a job waiting at the same percentage
        # (a provider's queue) must still notice a cancellation promptly.
        if not force and now - self._last_time < self.min_interval:
            return
        self._last_time = now
        self._last_written = percent
        with self.runtime.session() as session:
            session.execute(
                update(Job)
                .where(
                    Job.id == self.job_id,
                    Job.lease_owner == self.worker_id,
                    Job.status == JobStatus.IN_PROGRESS.value,
                )
                .values(progress=percent, stage=stage, updated_at=self.runtime.clock())
                .execution_options(synchronize_session=False)
            )
            row = session.execute(
                select(Job.cancel_requested, Job.lease_owner).where(Job.id == self.job_id)
            ).one_or_none()
        if row is None:
            raise JobCancelledError("the job was deleted")
        cancel_requested, lease_owner = row
        if lease_owner != self.worker_id:
            self.lease_lost = True
            raise LeaseLostError("another worker took the job over")
        if cancel_requested:
            raise JobCancelledError("the job was cancelled")

    def engine(self, fraction: float, stage: str) -> None:
        """The :class:`~reelvault.engines.base.ProgressCallback` handed to engines."""
        fraction = max(0.0, min(1.0, fraction))
        self.report(round(ENGINE_START + fraction * (ENGINE_END - ENGINE_START)), stage)


__all__ = ["ENGINE_END", "ENGINE_START", "JobProgress"]
