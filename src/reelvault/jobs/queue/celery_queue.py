"""Publishing jobs to Celery, and the pass that makes up for lost messages.

A job is published after its row is committed (:func:`reelvault.jobs.submission.store_jobs`).
The database stays the source of truth: a message that never arrives (the broker was
down when the job was stored, or restarted without persistence and lost its queues) is
made up for by :func:`republish_stale`, which sends again the jobs still queued
``celery_republish_after_seconds`` after their last message. A duplicate is harmless: the
worker's claim of an already taken job fails and the message is dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import timedelta

from celery import Celery
from kombu.exceptions import ChannelError
from sqlalchemy import select, update

from reelvault.config import Settings
from reelvault.db.dsr_models import held_owner_ids
from reelvault.db.models import Job
from reelvault.jobs.queue.celery_app import TASK_NAME, make_celery_app, queue_name
from reelvault.jobs.queue.database import DatabaseQueue
from reelvault.runtime import JobDispatch, Runtime
from reelvault.types import JobStatus

log = logging.getLogger(__name__)

REPUBLISH_BATCH = 500
# A publish retries briefly (a broker failing over), then gives up to the republish pass.
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}


class CeleryDispatch:
    """The :class:`~reelvault.runtime.JobDispatch` of ``queue=celery``."""

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        self.settings = settings
        self.app = app if app is not None else make_celery_app(settings)

    def publish(self, jobs: Sequence[tuple[str, str]]) -> int:
        sent = 0
        try:
            with self.app.producer_or_acquire() as producer:
                for job_id, engine in jobs:
                    # The job id only: no prompt, no upload, nothing personal in the broker.
                    self.app.send_task(
                        TASK_NAME,
                        args=[job_id],
                        queue=queue_name(self.settings, engine),
                        producer=producer,
                        retry=True,
                        retry_policy=_RETRY_POLICY,
                        ignore_result=True,
                    )
                    sent += 1
        except Exception as exc:  # broker unreachable: the jobs wait in the database
            log.warning(
                "could not publish %d job(s) (%s); the republish pass sends them later",
                len(jobs) - sent,
                type(exc).__name__,
            )
        return sent

    def waiting(self, engine: str) -> int | None:
        """Messages waiting in ``engine``'s queue (not those a worker holds), or None when
        the broker does not answer."""
        try:
            with self.app.connection_for_write() as connection:
                channel = connection.channel()
                try:
                    declared = channel.queue_declare(
                        queue=queue_name(self.settings, engine), passive=True
                    )
                except ChannelError:  # no such queue (yet): nothing waits in it
                    return 0
                return int(declared.message_count)
        except Exception as exc:  # the broker is down or restarting
            log.warning("could not count waiting messages (%s)", type(exc).__name__)
            return None

    def close(self) -> None:
        self.app.close()


def republish_stale(runtime: Runtime, dispatch: JobDispatch) -> int:
    """Send again the jobs queued longer than ``celery_republish_after_seconds`` since
    their last message, for the engines whose broker queue is empty; returns how many.

    Only empty queues: a job behind a backlog still has its message waiting, and
    republishing it would grow the backlog with duplicates. A lost message (a broker
    restarted without persistence, a worker that died holding it) shows as a queued job
    while its engine's queue is empty, at the latest once the queue has drained.
    """
    now = runtime.clock()
    cutoff = now - timedelta(seconds=runtime.settings.celery_republish_after_seconds)
    with runtime.session() as session:
        stale = session.execute(
            select(Job.id, Job.engine)
            .where(
                Job.status == JobStatus.QUEUED.value,
                Job.updated_at < cutoff,
                # A restricted owner's jobs are held: no message until the hold ends.
                Job.owner_id.not_in(held_owner_ids()),
            )
            .order_by(Job.created_at)
            .limit(REPUBLISH_BATCH)
        ).all()
    if not stale:
        return 0
    drained = {engine for engine in {row.engine for row in stale} if dispatch.waiting(engine) == 0}
    lost = [(row.id, row.engine) for row in stale if row.engine in drained]
    if not lost:
        return 0
    with runtime.session() as session:
        # updated_at is when the last message went out: the next pass waits again.
        session.execute(
            update(Job)
            .where(Job.id.in_([job_id for job_id, _ in lost]), Job.status == JobStatus.QUEUED.value)
            .values(updated_at=now)
            .execution_options(synchronize_session=False)
        )
    sent = dispatch.publish(lost)
    if sent:
        log.info("republished %d queued job(s) whose message was lost", sent)
    return sent


class CeleryMaintenance(threading.Thread):
    """What the polling workers of the database queue do between jobs, for Celery nodes:
    requeue jobs whose worker stopped renewing its lease, and republish stale jobs."""

    def __init__(self, runtime: Runtime, dispatch: JobDispatch) -> None:
        super().__init__(name="reelvault-celery-maintenance", daemon=True)
        self.runtime = runtime
        self.dispatch = dispatch
        settings = runtime.settings
        self.interval = min(settings.lease_seconds, settings.celery_republish_after_seconds, 5.0)
        self.stopped = threading.Event()

    def run_once(self) -> tuple[int, int]:
        recovered = DatabaseQueue(self.runtime).recover_expired()
        return recovered, republish_stale(self.runtime, self.dispatch)

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.run_once()
            except Exception as exc:  # the database is busy or restarting: next pass
                log.warning("queue maintenance failed: %s", type(exc).__name__)

    def stop(self) -> None:
        self.stopped.set()


__all__ = ["REPUBLISH_BATCH", "CeleryDispatch", "CeleryMaintenance", "republish_stale"]
