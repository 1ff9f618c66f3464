"""The retention sweeper: deletes (crypto-shreds) everything past its policy expiry.

Idempotent and batched: each batch commits on its own, so an interrupted sweep
loses nothing and the next one carries on. Run periodically in-process by the
server and workers, and on demand with ``reelvault privacy sweep``; one process of the
deployment at a time (:mod:`reelvault.privacy.sweep_lock`), the others skip that round.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from reelvault.db.models import AccountToken, BrowserSession, Job, StoredObject
from reelvault.db.oidc_models import OidcLogin
from reelvault.db.references import vault_references
from reelvault.db.session import truncate_wal
from reelvault.jobs import characters, objects
from reelvault.jobs.states import can_transition
from reelvault.jobs.worker import clean_stale_scratch
from reelvault.privacy import abuse_reports, audit_log, dsr
from reelvault.privacy.housekeeping import sweep_privacy_records
from reelvault.privacy.idle_owners import sweep_idle_owners
from reelvault.privacy.restrict import not_held_by_restriction, restricted_owner_ids
from reelvault.privacy.sweep_lock import sweep_lock
from reelvault.runtime import Runtime
from reelvault.types import TERMINAL_STATUSES, JobStatus, ObjectId

log = logging.getLogger(__name__)

BATCH_SIZE = 20_000
CACHE_KIB = 65_536
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
    orphans_shredded: int = 0
    owners_deleted: int = 0
    owner_rows_removed: int = 0  # their flags, consents, keys (revoked ones too), links
    reports_deleted: int = 0  # abuse reports past their window
    characters_deleted: int = 0  # saved likenesses past the policy's retention
    skipped: bool = False  # another process held the sweep lock: nothing was done

    @property
    def total(self) -> int:
        return (
            self.objects_shredded
            + self.jobs_deleted
            + self.scratch_removed
            + self.requests_deleted
            + self.sessions_deleted
            + self.orphans_shredded
            + self.owners_deleted
            + self.owner_rows_removed
            + self.reports_deleted
            + self.characters_deleted
        )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _in_ids(
    session: Session, column: ColumnElement[str] | Any, ids: Sequence[str]
) -> ColumnElement[bool]:
    """``column IN ids`` as one parameter, whatever the number of ids.

    SQLite: a JSON array read with ``json_each``; PostgreSQL: ``= ANY(array)``. Thousands
    of bound parameters (one per id) cost more to render, send and plan than the
    statement costs to run, and SQLite caps how many a statement may have.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        each = func.json_each(json.dumps(list(ids))).table_valued("value")
        return column.in_(select(each.c.value))
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(String())))
    return column.in_(ids)


def _not_indexed(column: ColumnElement[str] | Any) -> ColumnElement[str]:
    """``column`` in a form no index matches, so the planner looks rows up by primary key.

    Without statistics SQLite prefers an index on ``status`` over the primary key for
    ``id IN (...) AND status IN (...)``: every batch then walks all completed jobs, and a
    sweep of N jobs costs N squared (1M records: 23 s of 100 in this one statement).
    """
    result: ColumnElement[str] = column.concat("")
    return result


def _widen_cache(session: Session) -> None:
    """Give this connection a page cache that holds a whole batch's index pages.

    The rows of a batch sit at random places in the primary-key indexes; with SQLite's
    default 2 MiB cache the pages spill to the WAL several times per batch, which makes a
    sweep of millions of rows superlinear. Harmless to leave set on the pooled connection.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size = -{CACHE_KIB}"))


class _Shredder:
    """Crypto-shreds a batch of objects, several at a time.

    Each key shred waits on an fsync (the zeroed key file); they release the GIL, so a few
    threads overlap the waits. :meth:`Vault.shred_many` syncs each directory once per part.
    Keys are destroyed before the rows go, so a sweep interrupted between the two only
    leaves rows the next pass shreds again.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.vault = runtime.vault
        self.pool: ThreadPoolExecutor | None = None

    def __call__(self, object_ids: Sequence[str]) -> None:
        # Ids with nothing on disk are dropped here, in this thread: a backlog after an
        # outage is mostly such ids, and eight threads taking turns on the GIL for one
        # ``access`` call each cost more than one thread doing them all.
        ids = self.vault.stored_locally([ObjectId(object_id) for object_id in object_ids])
        if len(ids) < 64:
            self.vault.shred_many(ids)
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(SHRED_THREADS, thread_name_prefix="shred")
        # One task per thread, not per object: submitting costs more than a missing file.
        parts = [ids[index::SHRED_THREADS] for index in range(SHRED_THREADS)]
        for _ in self.pool.map(self.vault.shred_many, parts):
            pass

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def _sweep_expired_objects(runtime: Runtime, report: SweepReport, shred: _Shredder) -> None:
    now = runtime.clock()
    while True:
        with runtime.session() as session:
            _widen_cache(session)
            rows = (
                session.connection()
                .execute(
                    select(StoredObject.id, StoredObject.kind, StoredObject.job_id)
                    .where(
                        StoredObject.expires_at.is_not(None),
                        StoredObject.expires_at <= now,
                        not_held_by_restriction(StoredObject.job_id),
                        # An open abuse report keeps the video for review, for its window.
                        abuse_reports.not_held_for_abuse_review(StoredObject.job_id, now),
                    )
                    .limit(BATCH_SIZE)
                )
                .all()
            )
        if not rows:
            return
        ids = [row.id for row in rows]
        shred(ids)
        outputs = [row.job_id for row in rows if row.kind == objects.OUTPUT_VIDEO and row.job_id]
        with runtime.session() as session:
            _widen_cache(session)
            connection = session.connection()
            if outputs:
                report.jobs_expired += _rowcount(
                    connection.execute(
                        update(Job)
                        .where(
                            _in_ids(session, Job.id, outputs),
                            _not_indexed(Job.status).in_(_EXPIRABLE),
                            # A job whose own row expires too is deleted below: skip the write.
                            or_(Job.expires_at.is_(None), Job.expires_at > now),
                        )
                        .values(status=JobStatus.EXPIRED.value, stage="expired", updated_at=now)
                    )
                )
            connection.execute(delete(StoredObject).where(_in_ids(session, StoredObject.id, ids)))
        report.objects_shredded += len(ids)


def _sweep_job_scoped_leftovers(runtime: Runtime, report: SweepReport, shred: _Shredder) -> None:
    """Objects whose retention ends with the job, of jobs that have ended (after a crash)."""
    while True:
        with runtime.session() as session:
            ids = list(
                session.connection().scalars(
                    select(StoredObject.id)
                    .join(Job, StoredObject.job_id == Job.id)
                    .where(
                        StoredObject.expires_with_job.is_(True),
                        Job.status.in_(_TERMINAL),
                        Job.owner_id.not_in(restricted_owner_ids()),
                    )
                    .limit(BATCH_SIZE)
                )
            )
        if not ids:
            return
        shred(ids)
        with runtime.session() as session:
            _widen_cache(session)
            session.connection().execute(
                delete(StoredObject).where(_in_ids(session, StoredObject.id, ids))
            )
        report.objects_shredded += len(ids)


def _sweep_expired_jobs(runtime: Runtime, report: SweepReport, shred: _Shredder) -> None:
    now = runtime.clock()
    returning = runtime.db.dialect.name == "postgresql"
    while True:
        with runtime.session() as session:
            _widen_cache(session)
            connection = session.connection()
            job_ids = list(
                connection.scalars(
                    select(Job.id)
                    .where(
                        Job.status.in_(_TERMINAL),
                        Job.expires_at.is_not(None),
                        Job.expires_at <= now,
                        Job.owner_id.not_in(restricted_owner_ids()),
                        abuse_reports.not_held_for_abuse_review(Job.id, now),
                    )
                    .limit(BATCH_SIZE)
                )
            )
            if not job_ids:
                return
            of_jobs = _in_ids(session, StoredObject.job_id, job_ids)
            if returning:
                # One statement finds and deletes the object rows; the keys are shredded
                # before the transaction commits, and a failed shred rolls the rows back,
                # so an interrupted sweep still only leaves rows the next pass shreds.
                object_ids = list(
                    connection.scalars(
                        delete(StoredObject).where(of_jobs).returning(StoredObject.id)
                    )
                )
                shred(object_ids)
                _delete_jobs(session, job_ids)
            else:
                object_ids = list(connection.scalars(select(StoredObject.id).where(of_jobs)))
        if not returning:
            # SQLite has one writer: shred outside the write transaction so that the
            # seconds a batch of key fsyncs takes never hold the database lock.
            shred(object_ids)
            with runtime.session() as session:
                _widen_cache(session)
                session.connection().execute(
                    delete(StoredObject).where(_in_ids(session, StoredObject.job_id, job_ids))
                )
                _delete_jobs(session, job_ids)
        report.objects_shredded += len(object_ids)
        report.jobs_deleted += len(job_ids)


def _delete_jobs(session: Session, job_ids: Sequence[str]) -> None:
    # Webhook deliveries go with their job (ON DELETE CASCADE).
    session.connection().execute(delete(Job).where(_in_ids(session, Job.id, job_ids)))


def _sweep_orphans(runtime: Runtime, shred: _Shredder) -> int:
    """Vault objects no row refers to, stored longer ago than ``orphan_grace_seconds``.

    A crash between storing an object and writing the row that names it (an upload
    streamed in before its job is written, a batch whose transaction failed) leaves an
    object that is still readable with the vault's key. Nothing would ever expire it, so
    it goes here. The grace period lets work in flight write its row first.
    """
    cutoff = time.time() - runtime.settings.orphan_grace_seconds
    with runtime.session() as session:
        referenced = vault_references(session)
    vault = runtime.vault
    orphans: list[str] = []
    for object_id in vault.object_ids():
        if object_id in referenced:
            continue
        stored_at = vault.stored_at(object_id)
        if stored_at is not None and stored_at <= cutoff:
            orphans.append(object_id)
    if orphans:
        shred(orphans)
    return len(orphans)


def _sweep_expired_sessions(runtime: Runtime) -> int:
    """Browser sessions past their lifetime (the cookie no longer works), e-mailed
    account links and OpenID sign-ins past theirs (they no longer open anything): the
    rows go."""
    now = runtime.clock()
    with runtime.session() as session:
        session.execute(delete(AccountToken).where(AccountToken.expires_at <= now))
        session.execute(delete(OidcLogin).where(OidcLogin.expires_at <= now))
        return _rowcount(
            session.execute(delete(BrowserSession).where(BrowserSession.expires_at <= now))
        )


def sweep(runtime: Runtime) -> SweepReport:
    """One full pass, unless another process of the deployment is sweeping right now
    (then a report with ``skipped`` set). Safe to call at any time, from any node."""
    with sweep_lock(runtime) as held:
        if not held:
            log.info("retention sweep skipped: another process is sweeping")
            return SweepReport(skipped=True)
        return _sweep(runtime)


def _sweep(runtime: Runtime) -> SweepReport:
    report = SweepReport()
    shred = _Shredder(runtime)
    try:
        # Expired jobs first: their objects go with them, found by job id. After a
        # backlog (objects and their jobs both past expiry) the object pass then has
        # nothing left to read, shred, delete, nor jobs to mark expired one id at a time.
        _sweep_expired_jobs(runtime, report, shred)
        _sweep_expired_objects(runtime, report, shred)
        _sweep_job_scoped_leftovers(runtime, report, shred)
        report.orphans_shredded = _sweep_orphans(runtime, shred)
        # Ciphertext whose key never committed (a crash, a rolled-back transaction).
        cutoff = time.time() - runtime.settings.orphan_grace_seconds
        report.orphans_shredded += runtime.vault.remove_keyless_blobs(cutoff)
    finally:
        shred.close()
    report.scratch_removed = clean_stale_scratch(runtime)
    report.requests_deleted = dsr.delete_expired(runtime)
    report.reports_deleted = abuse_reports.delete_expired(runtime)
    report.characters_deleted = characters.delete_expired_characters(
        runtime, held_owners=restricted_owner_ids()
    )
    report.sessions_deleted = _sweep_expired_sessions(runtime)
    privacy_report = sweep_privacy_records(runtime)
    # Last: an owner whose last job, session or signup went above is found unneeded now.
    owners_report = sweep_idle_owners(runtime)
    report.owners_deleted = owners_report.owners_deleted
    report.owner_rows_removed = (
        owners_report.revoked_keys_removed + owners_report.owner_rows_removed
    )
    if report.total or privacy_report.total:
        # Counts only: the audit trail proves retention ran without saying what it removed.
        counts: dict[str, Any] = {
            "objects_shredded": report.objects_shredded,
            "jobs_expired": report.jobs_expired,
            "jobs_deleted": report.jobs_deleted,
            "scratch_removed": report.scratch_removed,
            "requests_deleted": report.requests_deleted,
            "sessions_deleted": report.sessions_deleted,
            "orphans_shredded": report.orphans_shredded,
            "owners_deleted": report.owners_deleted,
            "owner_rows_removed": report.owner_rows_removed,
            "reports_deleted": report.reports_deleted,
            "characters_deleted": report.characters_deleted,
            **privacy_report.as_fields(),
        }
        audit_log.record(runtime, "retention.sweep", **counts)
        # What was deleted may still sit in SQLite's write-ahead log: empty it.
        truncate_wal(runtime.db)
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
