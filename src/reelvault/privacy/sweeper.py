"""The retention sweeper: deletes (crypto-shreds) everything past its policy expiry.

Idempotent and batched: each batch commits on its own, so an interrupted sweep
loses nothing and the next one carries on. Run periodically in-process by the
server and workers, and on demand with ``reelvault privacy sweep``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update

from reelvault.db.models import BrowserSession, Job, StoredObject
from reelvault.jobs import objects
from reelvault.jobs.runtime import Runtime
from reelvault.jobs.states import can_transition
from reelvault.jobs.worker import clean_stale_scratch
from reelvault.privacy import audit, dsr
from reelvault.privacy.housekeeping import sweep_privacy_records
from reelvault.types import TERMINAL_STATUSES, JobStatus, ObjectId

log = logging.getLogger(__name__)

BATCH_SIZE = 5000
SHRED_THREADS = 8
_TERMINAL = [status.value for status in TERMINAL_STATUSES]
# Jobs whose output may expire (completed ones), from the state machine's table.
_EXPIRABLE = [status.value for status in JobStatus if can_transition(status, JobStatus.EXPIRED)]


@dataclass
class SweepReport:
    """Counts only: a sweep report never names what it deleted."""

    objects_shredded: int = 0
    jobs_expired: int = 0
    jobs_deleted: int = 0
    scratch_removed: int = 0
    requests_deleted: int = 0
    sessions_deleted: int = 0

    @property
    def total(self) -> int:
        return (
            self.objects_shredded
            + self.jobs_deleted
            + self.scratch_removed
            + self.requests_deleted
            + self.sessions_deleted
        )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class _Shredder:
    """Crypto-shreds a batch of objects, several at a time.

    Each shred waits on fsyncs (the zeroed key file, the directories); they release the
    GIL, so a few threads overlap the waits. Keys are destroyed before the rows go, so a
    sweep interrupted between the two only leaves rows the next pass shreds again.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.vault = runtime.vault
        self.pool: ThreadPoolExecutor | None = None

    def __call__(self, object_ids: Sequence[str]) -> None:
        if len(object_ids) < 16:
            for object_id in object_ids:
                self.vault.shred(ObjectId(object_id))
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(SHRED_THREADS, thread_name_prefix="shred")
        # One task per thread, not per object: submitting costs more than a missing file.
        parts = [object_ids[index::SHRED_THREADS] for index in range(SHRED_THREADS)]
        for _ in self.pool.map(self._shred_all, parts):
            pass

    def _shred_all(self, object_ids: Sequence[str]) -> None:
        for object_id in object_ids:
            self.vault.shred(ObjectId(object_id))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _sweep_expired_objects(runtime: Runtime, report: SweepReport, shred: _Shredder) -> None:
    now = runtime.clock()
    while True:
        with runtime.session() as session:
            rows = session.execute(
                select(StoredObject.id, StoredObject.kind, StoredObject.job_id)
                .where(StoredObject.expires_at.is_not(None), StoredObject.expires_at <= now)
                .limit(BATCH_SIZE)
            ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        shred(ids)
        outputs = [row.job_id for row in rows if row.kind == objects.OUTPUT_VIDEO and row.job_id]
        with runtime.session() as session:
            if outputs:
                report.jobs_expired += _rowcount(
                    session.execute(
                        update(Job)
                        .where(
                            Job.id.in_(outputs),
                            Job.status.in_(_EXPIRABLE),
                            # A job whose own row expires too is deleted below: skip the write.
                            or_(Job.expires_at.is_(None), Job.expires_at > now),
                        )
                        .values(status=JobStatus.EXPIRED.value, stage="expired", updated_at=now)
                        .execution_options(synchronize_session=False)
                    )
                )
            session.execute(
                delete(StoredObject)
                .where(StoredObject.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        report.objects_shredded += len(ids)


def _sweep_job_scoped_leftovers(runtime: Runtime, report: SweepReport, shred: _Shredder) -> None:
    """Objects whose retention ends with the job, of jobs that have ended (after a crash)."""
    while True:
        with runtime.session() as session:
            ids = list(
                session.scalars(
                    select(StoredObject.id)
                    .join(Job, StoredObject.job_id == Job.id)
                    .where(StoredObject.expires_with_job.is_(True), Job.status.in_(_TERMINAL))
                    .limit(BATCH_SIZE)
                )
            )
        if not ids:
            return
        shred(ids)
        with runtime.session() as session:
            session.execute(
                delete(StoredObject)
                .where(StoredObject.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        report.objects_shredded += len(ids)


def _sweep_expired_jobs(runtime: Runtime, report: SweepReport, shred: _Shredder) -> None:
    now = runtime.clock()
    while True:
        with runtime.session() as session:
            job_ids = list(
                session.scalars(
                    select(Job.id)
                    .where(
                        Job.status.in_(_TERMINAL),
                        Job.expires_at.is_not(None),
                        Job.expires_at <= now,
                    )
                    .limit(BATCH_SIZE)
                )
            )
            object_ids = (
                list(
                    session.scalars(select(StoredObject.id).where(StoredObject.job_id.in_(job_ids)))
                )
                if job_ids
                else []
            )
        if not job_ids:
            return
        shred(object_ids)
        with runtime.session() as session:
            session.execute(
                delete(StoredObject)
                .where(StoredObject.job_id.in_(job_ids))
                .execution_options(synchronize_session=False)
            )
            # Webhook deliveries go with their job (ON DELETE CASCADE).
            session.execute(
                delete(Job).where(Job.id.in_(job_ids)).execution_options(synchronize_session=False)
            )
        report.objects_shredded += len(object_ids)
        report.jobs_deleted += len(job_ids)


def _sweep_expired_sessions(runtime: Runtime) -> int:
    """Browser sessions past their lifetime: the cookie no longer works, so the row goes."""
    now = runtime.clock()
    with runtime.session() as session:
        return _rowcount(
            session.execute(delete(BrowserSession).where(BrowserSession.expires_at <= now))
        )


def sweep(runtime: Runtime) -> SweepReport:
    """One full pass. Safe to run at any time, from any number of processes."""
    report = SweepReport()
    shred = _Shredder(runtime)
    try:
        _sweep_expired_objects(runtime, report, shred)
        _sweep_job_scoped_leftovers(runtime, report, shred)
        _sweep_expired_jobs(runtime, report, shred)
    finally:
        shred.close()
    report.scratch_removed = clean_stale_scratch(runtime)
    report.requests_deleted = dsr.delete_expired(runtime)
    report.sessions_deleted = _sweep_expired_sessions(runtime)
    privacy_report = sweep_privacy_records(runtime)
    if report.total or privacy_report.total:
        # Counts only: the audit trail proves retention ran without saying what it removed.
        counts: dict[str, Any] = {
            "objects_shredded": report.objects_shredded,
            "jobs_expired": report.jobs_expired,
            "jobs_deleted": report.jobs_deleted,
            "scratch_removed": report.scratch_removed,
            "requests_deleted": report.requests_deleted,
            "sessions_deleted": report.sessions_deleted,
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
