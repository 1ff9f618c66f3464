"""Reading jobs: one, a page, the kept prompt, the finished video."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelvault.db.models import Job, StoredObject
from reelvault.engines.base import PromptWords, prompt_words_of
from reelvault.errors import (
    ConflictError,
    GoneError,
    NotFoundError,
    ValidationError,
)
from reelvault.jobs import objects
from reelvault.jobs.views import JobPage, JobView
from reelvault.runtime import Runtime
from reelvault.types import JobStatus, ObjectId, Task

ACTIVE_STATES = (JobStatus.QUEUED.value, JobStatus.IN_PROGRESS.value)


def active_job_counts(runtime: Runtime) -> list[tuple[str, str, int]]:
    """(state, engine, count) of the jobs queued or running: one query on the status index.

    Only the active states: counting every state would read the whole history, which is
    what the ``reelvault_jobs_finished_total`` counter is for.
    """
    with runtime.session() as session:
        rows = session.execute(
            select(Job.status, Job.engine, func.count())
            .where(Job.status.in_(ACTIVE_STATES))
            .group_by(Job.status, Job.engine)
        ).all()
    return [(status, engine, int(count)) for status, engine, count in rows]


def load_job(session: Session, job_id: str, owner_id: str | None, *, lock: bool = False) -> Job:
    """The job, or 404. ``lock``: its row is locked until the session ends (on PostgreSQL;
    SQLite writes one transaction at a time), for a change decided on what was read."""
    job = session.get(Job, job_id, with_for_update=lock)
    # Another owner's job is "not found", never "forbidden", so ids do not leak.
    if job is None or (owner_id is not None and job.owner_id != owner_id):
        raise NotFoundError(f"no job {job_id}", param="job_id")
    return job


def get_job(runtime: Runtime, job_id: str, *, owner_id: str | None = None) -> JobView:
    with runtime.session() as session:
        return JobView.of(load_job(session, job_id, owner_id))


def list_jobs(runtime: Runtime, *, owner_id: str | None = None, limit: int = 100) -> list[JobView]:
    with runtime.session() as session:
        query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
        if owner_id is not None:
            query = query.where(Job.owner_id == owner_id)
        return [JobView.of(job) for job in session.scalars(query)]


def list_jobs_page(
    runtime: Runtime,
    *,
    owner_id: str,
    limit: int = 20,
    after: str | None = None,
    newest_first: bool = True,
) -> JobPage:
    """One page of the owner's jobs; ``after`` is the id of the last job of the previous page."""
    with runtime.session() as session:
        query = select(Job).where(Job.owner_id == owner_id)
        if after is not None:
            anchor = session.get(Job, after)
            if anchor is None or anchor.owner_id != owner_id:
                raise ValidationError(f"unknown cursor {after!r}", param="after")
            if newest_first:
                query = query.where(
                    (Job.created_at < anchor.created_at)
                    | ((Job.created_at == anchor.created_at) & (Job.id < anchor.id))
                )
            else:
                query = query.where(
                    (Job.created_at > anchor.created_at)
                    | ((Job.created_at == anchor.created_at) & (Job.id > anchor.id))
                )
        if newest_first:
            query = query.order_by(Job.created_at.desc(), Job.id.desc())
        else:
            query = query.order_by(Job.created_at.asc(), Job.id.asc())
        rows = session.scalars(query.limit(limit + 1)).all()
        return JobPage(items=[JobView.of(job) for job in rows[:limit]], has_more=len(rows) > limit)


def read_prompt(runtime: Runtime, job_id: str, *, owner_id: str | None = None) -> str | None:
    """The job's prompt, only while the policy still keeps it; else None."""
    with runtime.session() as session:
        job = load_job(session, job_id, owner_id)
        row = job.object_of_kind(objects.PROMPT)
        if row is None:
            return None
        object_id = ObjectId(row.id)
    prompt, _free_text = objects.read_prompt_document(runtime.vault, object_id)
    return prompt


def job_prompt_words(runtime: Runtime, job_id: str, *, owner_id: str | None = None) -> PromptWords:
    """The words of the job's prompt its engine drew and could not: read from the prompt
    while the policy keeps it (nothing more is stored), for engines that report them."""
    with runtime.session() as session:
        job = load_job(session, job_id, owner_id)
        engine_name, task = job.engine, job.task
    engine = runtime.registry.engine_class(engine_name)
    if task != Task.TEXT_TO_VIDEO.value or not hasattr(engine, "prompt_words"):
        raise NotFoundError(
            f"the {engine_name} engine does not report which words of a prompt it drew",
            param="job_id",
        )
    prompt = read_prompt(runtime, job_id, owner_id=owner_id)
    words = prompt_words_of(engine, prompt) if prompt else None
    if words is None:
        raise GoneError(
            f"the prompt is not kept under the '{runtime.policy.name}' policy, "
            "so neither is the report of its words"
        )
    return words


def output_object(
    runtime: Runtime, job_id: str, *, kind: str = objects.OUTPUT_VIDEO, owner_id: str | None = None
) -> StoredObject:
    """The finished output's row, or a 409 (not finished) / 410 (retention ended) error."""
    with runtime.session() as session:
        job = load_job(session, job_id, owner_id)
        status = JobStatus(job.status)
        if status is JobStatus.EXPIRED:
            raise GoneError("the video's retention period has ended; it was deleted")
        if status is not JobStatus.COMPLETED:
            raise ConflictError(f"the job is {status.value}, not completed", param="job_id")
        row = job.object_of_kind(kind)
        if row is None and kind != objects.OUTPUT_VIDEO:
            raise NotFoundError("this job has no such content", param="variant")
        if row is None or row.expires_with_job:
            raise GoneError("the job's output is no longer stored")
        session.expunge(row)
        return row


def export_output(
    runtime: Runtime, job_id: str, destination: Path, *, owner_id: str | None = None
) -> int:
    """Decrypt the finished video to ``destination`` atomically. Returns bytes written."""
    row = output_object(runtime, job_id, owner_id=owner_id)
    return runtime.vault.write_to(ObjectId(row.id), destination)


__all__ = [
    "ACTIVE_STATES",
    "active_job_counts",
    "export_output",
    "get_job",
    "job_prompt_words",
    "list_jobs",
    "list_jobs_page",
    "load_job",
    "output_object",
    "read_prompt",
]
