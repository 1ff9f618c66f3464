"""The retention sweeper: deletes (crypto-shreds) everything past its policy expiry.

Idempotent and batched: each batch commits on its own, so an interrupted sweep
loses nothing and the next one carries on. Run periodically in-process by the
server and workers, and on demand with ``reelvault privacy sweep``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from reelvault.db.models import Job, StoredObject
from reelvault.jobs import objects
from reelvault.jobs.runtime import Runtime
from reelvault.jobs.states import can_transition
from reelvault.jobs.worker import clean_stale_scratch
from reelvault.privacy import audit
from reelvault.privacy.housekeeping import sweep_privacy_records
from reelvault.types import TERMINAL_STATUSES, JobStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 500
_TERMINAL = [status.value for status in TERMINAL_STATUSES]


@dataclass
class SweepReport:
    """Counts only: a sweep report never names what it deleted."""

    objects_shredded: int = 0
    jobs_expired: int = 0
    jobs_deleted: int = 0
    scratch_removed: int = 0

    @property
    def total(self) -> int:
        return self.objects_shredded + self.jobs_deleted + self.scratch_removed


def _sweep_expired_objects(runtime: Runtime, report: SweepReport) -> None:
    now = runtime.clock()
    while True:
        with runtime.session() as session:
            rows = session.scalars(
                select(StoredObject)
                .where(StoredObject.expires_at.is_not(None), StoredObject.expires_at <= now)
                .limit(BATCH_SIZE)
            ).all()
            if not rows:
                return
            for row in rows:
                job = row.job
                if (
                    row.kind == objects.OUTPUT_VIDEO
                    and job is not None
                    and can_transition(JobStatus(job.status), JobStatus.EXPIRED)
                ):
                    job.status = JobStatus.EXPIRED.value
                    job.stage = "expired"
                    job.updated_at = now
                    report.jobs_expired += 1
            report.objects_shredded += objects.shred_rows(runtime.vault, session, rows)


def _sweep_job_scoped_leftovers(runtime: Runtime, report: SweepReport) -> None:
    """Objects whose retention ends with the job, of jobs that have ended (after a crash)."""
    while True:
        with runtime.session() as session:
            rows = session.scalars(
                select(StoredObject)
                .join(Job, StoredObject.job_id == Job.id)
                .where(StoredObject.expires_with_job.is_(True), Job.status.in_(_TERMINAL))
                .limit(BATCH_SIZE)
            ).all()
            if not rows:
                return
            report.objects_shredded += objects.shred_rows(runtime.vault, session, rows)


def _sweep_expired_jobs(runtime: Runtime, report: SweepReport) -> None:
    now = runtime.clock()
    while True:
        with runtime.session() as session:
            jobs = session.scalars(
                select(Job)
                .where(
                    Job.status.in_(_TERMINAL), Job.expires_at.is_not(None), Job.expires_at <= now
                )
                .limit(BATCH_SIZE)
            ).all()
            if not jobs:
                return
            for job in jobs:
                report.objects_shredded += objects.shred_rows(
                    runtime.vault, session, list(job.objects)
                )
                session.delete(job)
                report.jobs_deleted += 1


def sweep(runtime: Runtime) -> SweepReport:
    """One full pass. Safe to run at any time, from any number of processes."""
    report = SweepReport()
    _sweep_expired_objects(runtime, report)
    _sweep_job_scoped_leftovers(runtime, report)
    _sweep_expired_jobs(runtime, report)
    report.scratch_removed = clean_stale_scratch(runtime)
    privacy_report = sweep_privacy_records(runtime)
    if report.total or privacy_report.total:
        # Counts only: the audit trail proves retention ran without saying what it removed.
        counts: dict[str, Any] = {
            "objects_shredded": report.objects_shredded,
            "jobs_expired": report.jobs_expired,
            "jobs_deleted": report.jobs_deleted,
            "scratch_removed": report.scratch_removed,
            **privacy_report.as_fields(),
        }
        audit.record(runtime, "retention.sweep", **counts)
    if report.total:
        log.info(
            "retention sweep: %d object(s) shredded, %d job(s) expired, %d job row(s) deleted",
            report.objects_shredded,
            report.jobs_expired,
            report.jobs_deleted,
        )
    return report


class PeriodicSweeper(threading.Thread):
    """Runs :func:`sweep` every ``interval`` seconds until stopped."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        super().__init__(name="retention-sweeper", daemon=True)
        self.runtime = runtime
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                sweep(self.runtime)
            except Exception as exc:  # the next pass retries; never crash the process
                log.error("retention sweep failed: %s", type(exc).__name__)

    def stop(self) -> None:
        self.stopped.set()


__all__ = ["PeriodicSweeper", "SweepReport", "sweep"]
