"""Ending jobs: cancel, delete, and finish (in one transaction with its hooks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from reelvault.db.models import Job
from reelvault.engines.base import split_free_text
from reelvault.errors import (
    ConflictError,
    EngineNotFoundError,
    VaultError,
)
from reelvault.jobs import objects, webhooks
from reelvault.jobs.error_text import without_client_text, without_server_paths
from reelvault.jobs.queries import load_job
from reelvault.jobs.states import check_transition
from reelvault.jobs.views import JobView
from reelvault.runtime import Runtime
from reelvault.types import DataClass, JobStatus, ObjectId


def cancel_job(runtime: Runtime, job_id: str, *, owner_id: str | None = None) -> JobView:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    with runtime.session() as session:
        # Locked: a worker claiming or finishing the job at this moment must not have its
        # change overwritten by this one (or this one by it).
        job = load_job(session, job_id, owner_id, lock=True)
        status = JobStatus(job.status)
        if status is JobStatus.QUEUED:
            finish_job(runtime, session, job, JobStatus.CANCELLED, stage="cancelled")
        elif status is JobStatus.IN_PROGRESS:
            if job.cancel_requested:
                raise ConflictError("cancellation was already requested", param="job_id")
            job.cancel_requested = True
            job.stage = "cancelling"
            job.updated_at = runtime.clock()
        else:
            raise ConflictError(f"the job is already {status.value}", param="job_id")
        session.flush()
        return JobView.of(job)


def delete_job(runtime: Runtime, job_id: str, *, owner_id: str | None = None) -> int:
    """Shred everything the job holds now and remove its row. Returns objects shredded."""
    with runtime.session() as session:
        job = load_job(session, job_id, owner_id)
        count = objects.shred_rows(runtime.vault, session, list(job.objects))
        # A running worker notices the row is gone at its next progress report.
        session.delete(job)
    return count


def finish_job(
    runtime: Runtime,
    session: Session,
    job: Job,
    status: JobStatus,
    *,
    stage: str,
    error_code: str | None = None,
    error_message: str | None = None,
    now: datetime | None = None,
) -> None:
    """Move a job to a terminal state, set retention, shred what ends with the job."""
    check_transition(JobStatus(job.status), status)
    now = now if now is not None else runtime.clock()
    job.status = status.value
    job.stage = stage
    job.completed_at = now
    job.updated_at = now
    job.lease_owner = None
    job.lease_expires_at = None
    job.error_code = error_code
    # Shown to the client and kept as long as the row: no server paths, none of their words.
    job.error_message = without_client_text(
        without_server_paths(error_message),
        _client_texts(runtime, job) if error_message else (),
    )
    if status is JobStatus.COMPLETED:
        job.progress = 100
    # Upload retention counts from the end of processing: date them before anything that
    # is still job-scoped is shredded, and before the row's own expiry is derived from them.
    objects.date_uploads_at_job_end(session, job, policy=runtime.policy, now=now)
    job.expires_at = _job_row_expiry(runtime, job, now)
    _drop_free_text(runtime, job)
    objects.shred_job_scoped(runtime.vault, session, job.id)
    webhooks.enqueue(runtime, session, job, status, now)
    for hook in runtime.hooks.end_hooks:
        hook(runtime, session, job)
    _count_when_committed(runtime, session, job, status, now)


def _count_when_committed(
    runtime: Runtime, session: Session, job: Job, status: JobStatus, now: datetime
) -> None:
    """Record the job's end in the metrics once it is committed (a rollback counts nothing)."""
    engine = job.engine
    ran_s = (now - job.started_at).total_seconds() if job.started_at is not None else None

    def record(_session: Session) -> None:
        runtime.metrics.job_finished(engine, status.value, ran_s)

    event.listen(session, "after_commit", record, once=True)


def _client_texts(runtime: Runtime, job: Job) -> list[str]:
    """The job's prompt and free-text parameters, from its prompt object in the vault."""
    kept = job.object_of_kind(objects.JOB_PROMPT) or job.object_of_kind(objects.PROMPT)
    if kept is None:
        return []
    try:
        prompt, free_text = objects.read_prompt_document(runtime.vault, ObjectId(kept.id))
    except (VaultError, ValueError):
        return []
    return objects.text_values([prompt, free_text])


def _drop_free_text(runtime: Runtime, job: Job) -> None:
    """Remove free-text parameters a job's row still holds (a row written before they
    were kept with the prompt): the row outlives the prompt, its words must not."""
    try:
        model = runtime.registry.engine_class(job.engine).params_model
    except EngineNotFoundError:
        return  # its engine is gone; the migration cleaned what the built-ins declare
    if model.free_text_fields & set(job.params):
        job.params, _free_text = split_free_text(model, job.params)


def _job_row_expiry(runtime: Runtime, job: Job, now: datetime) -> datetime | None:
    """The job row lives as long as its metadata retention, and never less than any object
    it holds (its output, its dated uploads and prompt): the sweeper deletes a job's
    objects with its row, which must not cut their own retention short."""
    expiry = runtime.policy.expires_at(DataClass.JOB_METADATA, now=now)
    for row in job.objects:
        if row.expires_with_job:
            continue
        if expiry is None or row.expires_at is None:
            return None
        expiry = max(expiry, row.expires_at)
    return expiry


__all__ = [
    "cancel_job",
    "delete_job",
    "finish_job",
]
