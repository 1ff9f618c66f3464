"""Submit, inspect, cancel and delete jobs. The only place jobs are created."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from reelvault.db.models import Job, StoredObject
from reelvault.engines.base import Engine, EngineParams, parse_params, split_free_text
from reelvault.engines.registry import DEFAULT_ENGINES
from reelvault.errors import (
    ConflictError,
    EngineNotFoundError,
    GoneError,
    NotFoundError,
    ValidationError,
)
from reelvault.jobs import objects, webhooks
from reelvault.jobs.consent_gate import check_provider_consent
from reelvault.jobs.error_text import without_server_paths
from reelvault.jobs.states import check_transition
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER, DataClass, JobId, JobStatus, ObjectId, Task, new_job_id

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class JobRequest:
    """What a caller asks for. The prompt is personal data: it never appears in a repr."""

    prompt: str | None = field(default=None, repr=False)
    task: Task = Task.TEXT_TO_VIDEO
    engine: str = DEFAULT_ENGINES[Task.TEXT_TO_VIDEO]
    width: int = 640
    height: int = 360
    fps: int = 24
    seconds: float = 4.0
    seed: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    owner_id: str = LOCAL_OWNER
    webhook_url: str | None = None
    output_format: str = "mp4"


@dataclass(frozen=True)
class JobView:
    """A snapshot of a job safe to show its owner (no prompt text)."""

    id: JobId
    owner_id: str
    status: JobStatus
    progress: int
    stage: str
    task: Task
    engine: str
    width: int
    height: int
    fps: int
    seconds: float
    seed: int
    params: dict[str, Any]
    output_format: str
    attempts: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime | None
    output_expires_at: datetime | None
    output_bytes: int | None
    output_width: int | None
    output_height: int | None
    output_seconds: float | None
    error_code: str | None
    error_message: str | None
    has_output: bool
    prompt_kept: bool

    @classmethod
    def of(cls, job: Job) -> JobView:
        output = job.object_of_kind(objects.OUTPUT_VIDEO)
        finished_output = output is not None and not output.expires_with_job
        return _job_view(
            lambda name: getattr(job, name),
            output_expires_at=output.expires_at if finished_output and output else None,
            has_output=finished_output,
            prompt_kept=job.object_of_kind(objects.PROMPT) is not None,
        )


# Columns a view shows as stored; the other fields it derives from the job's objects.
_VIEW_COLUMNS = (
    "owner_id",
    "progress",
    "stage",
    "engine",
    "width",
    "height",
    "fps",
    "seconds",
    "seed",
    "output_format",
    "attempts",
    "created_at",
    "started_at",
    "completed_at",
    "expires_at",
    "output_bytes",
    "output_width",
    "output_height",
    "output_seconds",
    "error_code",
    "error_message",
)


def _job_view(
    column: Callable[[str], Any],
    *,
    output_expires_at: datetime | None,
    has_output: bool,
    prompt_kept: bool,
) -> JobView:
    """The one mapping from a job's column values (a row, or a new row's dict) to its view."""
    return JobView(
        id=JobId(column("id")),
        status=JobStatus(column("status")),
        task=Task(column("task")),
        params=dict(column("params")),
        **{name: column(name) for name in _VIEW_COLUMNS},
        output_expires_at=output_expires_at,
        has_output=has_output,
        prompt_kept=prompt_kept,
    )


MODEL_PREFIX = "reelvault-"
OUTPUT_FORMATS = ("mp4", "webm")
"""mp4: H.264 + AAC with faststart (plays everywhere); webm: VP9, video only."""


def resolve_engine(
    runtime: Runtime, *, task: Task, engine: str | None, model: str | None
) -> tuple[str, dict[str, Any]]:
    """Map an ``engine`` name or a ``model`` id to (engine, extra params).

    ``reelvault-<engine>`` names an engine directly; any other model id is looked up in
    the engines that host models (the ``diffusers`` engine's catalogue).
    """
    if engine:
        return engine, {}
    if not model:
        return DEFAULT_ENGINES[task], {}
    names = runtime.registry.names()
    if model.startswith(MODEL_PREFIX) and model.removeprefix(MODEL_PREFIX) in names:
        return model.removeprefix(MODEL_PREFIX), {}
    if model in names:
        return model, {}
    if resolving_waits(runtime, engine=engine, model=model):
        for candidate in runtime.registry:
            if candidate.hosts_model(model):
                return candidate.name, {"model": model}
    known = ", ".join(MODEL_PREFIX + name for name in names)
    raise EngineNotFoundError(f"unknown model {model!r} (available: {known})", param="model")


def resolving_waits(runtime: Runtime, *, engine: str | None, model: str | None) -> bool:
    """Whether :func:`resolve_engine` must look ``model`` up in a catalogue (files on disk).

    The API resolves the others on its event loop; these go to a thread.
    """
    return not (
        engine or not model or model.startswith(MODEL_PREFIX) or model in runtime.registry.names()
    )


def preparing_waits(runtime: Runtime, request: JobRequest) -> bool:
    """Whether :func:`prepare_job` would wait on the network or the database.

    It does for a webhook URL (its host is resolved, to refuse private addresses) and for
    an engine that sends data to a provider (the owner's consent is read). Everything else
    it checks is in memory, so the API prepares those jobs on its event loop.
    """
    if request.webhook_url is not None:
        return True
    try:
        return not runtime.registry.get(request.engine).runs_locally
    except EngineNotFoundError:
        return False  # unknown engine: refused without waiting


def validate_request(runtime: Runtime, request: JobRequest) -> tuple[Engine, EngineParams]:
    """Check everything a client sent before anything is stored.

    Whether the owner may have new work at all (a restriction they asked for) is their
    current state, not part of the request: :func:`admit_and_store` reads it, once per batch.
    """
    if request.output_format not in OUTPUT_FORMATS:
        raise ValidationError(f"format must be one of: {', '.join(OUTPUT_FORMATS)}", param="format")
    engine = runtime.registry.get(request.engine)
    if request.task not in engine.tasks:
        tasks = ", ".join(sorted(task.value for task in engine.tasks))
        raise ValidationError(
            f"engine {engine.name} cannot do {request.task.value} (it does: {tasks})",
            param="task",
        )
    prompt = (request.prompt or "").strip()
    if request.task is Task.TEXT_TO_VIDEO and not prompt:
        raise ValidationError("the prompt is empty", param="prompt")
    if request.prompt is not None:
        limit = runtime.settings.max_prompt_chars
        if len(prompt) > limit:
            raise ValidationError(
                f"the prompt has {len(prompt)} characters; the limit is {limit}", param="prompt"
            )
    engine.limits.check(
        width=request.width, height=request.height, fps=request.fps, seconds=request.seconds
    )
    if request.webhook_url is not None:
        webhooks.check_webhook_url(
            request.webhook_url, allow_private=runtime.settings.webhook_allow_private
        )
    if request.seed is not None and not 0 <= request.seed <= MAX_SEED:
        raise ValidationError(f"seed must be between 0 and {MAX_SEED}", param="seed")
    params = parse_params(engine, request.params)
    if not engine.runs_locally:
        # Data would leave this machine: only with the owner's opt-in for that provider.
        check_provider_consent(runtime, request.owner_id, engine, request, params=params)
    return engine, params


REQUIRED_INPUTS: dict[Task, frozenset[str]] = {
    Task.TEXT_TO_VIDEO: frozenset(),
    Task.IMAGE_TO_VIDEO: frozenset({"image"}),
    Task.DANCE: frozenset({"image", "reference_video"}),
}

INPUT_KIND_PREFIX = "input_"


def _check_inputs(task: Task, uploads: Sequence[UploadedInput]) -> None:
    names = [upload.name for upload in uploads]
    required = REQUIRED_INPUTS[task]
    missing = sorted(required - set(names))
    if missing:
        raise ValidationError(f"{task.value} needs {' and '.join(missing)}", param=missing[0])
    extra = sorted(set(names) - required)
    if extra:
        raise ValidationError(f"{task.value} takes no {extra[0]}", param=extra[0])
    if len(names) != len(set(names)):
        raise ValidationError("each input may be sent once", param=names[0])


@dataclass
class PreparedJob:
    """A validated job, ready to store: its row and its objects' rows as column values
    (plain dicts, for Core INSERTs: ORM objects cost more to build than to insert), and
    the vault payloads still to be written."""

    job: dict[str, Any]
    rows: list[dict[str, Any]]
    payloads: list[tuple[dict[str, Any], bytes]]  # rows whose content is still to be written
    uploads: Sequence[UploadedInput]

    @property
    def owner_id(self) -> str:
        owner: str = self.job["owner_id"]
        return owner

    def view(self) -> JobView:
        """The new job as :meth:`JobView.of` shows it once stored (columns not set yet,
        such as ``started_at``, read as None)."""
        return _job_view(
            self.job.get,
            output_expires_at=None,
            has_output=False,
            prompt_kept=any(row["kind"] == objects.PROMPT for row in self.rows),
        )


def submit_job(
    runtime: Runtime, request: JobRequest, uploads: Sequence[UploadedInput] = ()
) -> JobView:
    """Validate, store the prompt encrypted, attach the uploads, and queue the job.

    Uploads are already encrypted in the vault (see :mod:`reelvault.jobs.uploads`); on any
    failure here they are shredded, so a refused request leaves nothing behind.
    """
    result = admit_and_store(runtime, [prepare_job(runtime, request, uploads)])[0]
    if isinstance(result, Exception):
        raise result
    return result


def prepare_job(
    runtime: Runtime, request: JobRequest, uploads: Sequence[UploadedInput] = ()
) -> PreparedJob:
    """Everything of :func:`submit_job` before writing: checks, rows, prompt payloads."""
    try:
        _engine, params = validate_request(runtime, request)
        _check_inputs(request.task, uploads)
    except BaseException:
        discard_uploads(runtime, uploads)
        raise
    now = runtime.clock()
    policy = runtime.policy
    job_id = new_job_id()
    # Free-text parameters (a negative prompt...) are prompt data: they go into the vault
    # with the prompt, never into the job's row.
    stored_params, free_text = split_free_text(type(params), params.model_dump(mode="json"))
    job: dict[str, Any] = {
        "id": job_id,
        "owner_id": request.owner_id,
        "data_class": DataClass.JOB_METADATA.value,
        "policy_version": policy.version_hash,
        "task": request.task.value,
        "engine": request.engine,
        "width": request.width,
        "height": request.height,
        "fps": request.fps,
        "seconds": float(request.seconds),
        "seed": request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1),
        "params": stored_params,
        "status": JobStatus.QUEUED.value,
        "progress": 0,
        "stage": "queued",
        "cancel_requested": False,
        "attempts": 0,
        "max_attempts": runtime.settings.max_attempts,
        "created_at": now,
        "updated_at": now,
        "expires_at": policy.expires_at(DataClass.JOB_METADATA, now=now),
        "webhook_url": request.webhook_url,
        "output_format": request.output_format,
    }
    rows: list[dict[str, Any]] = []
    payloads: list[tuple[dict[str, Any], bytes]] = []

    def add_row(
        object_id: str, kind: str, data_class: DataClass, content_type: str, size: int
    ) -> dict[str, Any]:
        expires_with_job, expires_at = (
            (True, None)  # the engine's copy of the prompt lives exactly as long as the job
            if kind == objects.JOB_PROMPT
            else objects.retention_at_submission(data_class, policy=policy, now=now)
        )
        row = {
            "id": object_id,
            "job_id": job_id,
            "kind": kind,
            "data_class": data_class.value,
            "content_type": content_type,
            "plaintext_size": size,
            "created_at": now,
            "expires_with_job": expires_with_job,
            "expires_at": expires_at,
        }
        rows.append(row)
        return row

    def add_prompt(kind: str, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        # The id is chosen when the batch is stored (its objects share one pack).
        row = add_row("", kind, DataClass.PROMPT, "application/json", len(data))
        payloads.append((row, data))

    prompt = (request.prompt or "").strip()
    if prompt or free_text:
        add_prompt(objects.JOB_PROMPT, objects.prompt_document(prompt or None, free_text))
        if policy.keeps_beyond_job(DataClass.PROMPT):
            # The copy kept afterwards is redacted first (emails, cards, ids -> placeholders).
            redact = runtime.hooks.gate.redact_retained_prompt
            add_prompt(
                objects.PROMPT,
                objects.prompt_document(
                    redact(prompt) if prompt else None, objects.redact_texts(free_text, redact)
                ),
            )
    for upload in uploads:
        add_row(
            upload.object_id,
            INPUT_KIND_PREFIX + upload.name,
            DataClass.UPLOAD,
            upload.media_type.mime,
            upload.size,
        )
    return PreparedJob(job=job, rows=rows, payloads=payloads, uploads=uploads)


def admit_and_store(runtime: Runtime, batch: Sequence[PreparedJob]) -> list[JobView | Exception]:
    """Store the jobs whose owners may have new work now; the others get their refusal.

    An owner who asked us to restrict processing (GDPR art. 18) gets a 403 instead of a
    job, and the uploads of that request are shredded. One query answers for the whole
    batch. On a failure of the check or of the store, every upload of the batch is
    shredded and the error raised.
    """
    try:
        refusals = runtime.hooks.gate.restriction_refusals(
            runtime, {prepared.owner_id for prepared in batch}
        )
    except BaseException:
        for prepared in batch:
            discard_uploads(runtime, prepared.uploads)
        raise
    admitted = []
    for prepared in batch:
        if prepared.owner_id in refusals:
            discard_uploads(runtime, prepared.uploads)
        else:
            admitted.append(prepared)
    stored = iter(store_jobs(runtime, admitted) if admitted else [])
    return [refusals.get(prepared.owner_id) or next(stored) for prepared in batch]


# Built once: building an INSERT costs about as much as running it.
_INSERT_JOB = insert(Job)
_INSERT_OBJECT = insert(StoredObject)


def store_jobs(runtime: Runtime, batch: Sequence[PreparedJob]) -> list[JobView]:
    """Write prepared jobs: their prompts into the vault, then their rows, together.

    The vault makes the whole batch durable with one round of fsyncs, and one database
    transaction inserts every row (group commit; see :mod:`reelvault.jobs.intake`).
    Encrypting happens before the transaction, so the write lock is held for the inserts
    only; a crash between the two leaves encrypted objects no row points to: still
    readable with the vault's key, so the retention sweeper shreds such orphans once they
    are older than ``orphan_grace_seconds`` (and the privacy audit reports them). On any
    failure the whole batch is undone: prompts shredded, uploads discarded.
    """
    payloads: list[tuple[ObjectId, bytes]] = []
    rows_to_write = [payload for prepared in batch for payload in prepared.payloads]
    # Ids chosen for the batch let the vault store its objects together (one pack).
    for (row, data), object_id in zip(
        rows_to_write, runtime.vault.ids_for_batch(len(rows_to_write)), strict=True
    ):
        row["id"] = object_id
        payloads.append((object_id, data))
    try:
        if payloads:
            runtime.vault.put_many_bytes(payloads)
        object_rows = [row for prepared in batch for row in prepared.rows]
        # Plain INSERTs (executemany) instead of the ORM's unit of work: most of the cost
        # of accepting a job was the flush.
        with runtime.transaction() as connection:
            connection.execute(_INSERT_JOB, [prepared.job for prepared in batch])
            if object_rows:
                connection.execute(_INSERT_OBJECT, object_rows)
    except BaseException:
        with contextlib.suppress(Exception):
            runtime.vault.shred_many([object_id for object_id, _ in payloads])
        for prepared in batch:
            discard_uploads(runtime, prepared.uploads)
        raise
    return [prepared.view() for prepared in batch]


def _load(session: Session, job_id: str, owner_id: str | None) -> Job:
    job = session.get(Job, job_id)
    # Another owner's job is "not found", never "forbidden", so ids do not leak.
    if job is None or (owner_id is not None and job.owner_id != owner_id):
        raise NotFoundError(f"no job {job_id}", param="job_id")
    return job


def get_job(runtime: Runtime, job_id: str, *, owner_id: str | None = None) -> JobView:
    with runtime.session() as session:
        return JobView.of(_load(session, job_id, owner_id))


def list_jobs(runtime: Runtime, *, owner_id: str | None = None, limit: int = 100) -> list[JobView]:
    with runtime.session() as session:
        query = select(Job).order_by(Job.created_at.desc(), Job.id.desc()).limit(limit)
        if owner_id is not None:
            query = query.where(Job.owner_id == owner_id)
        return [JobView.of(job) for job in session.scalars(query)]


@dataclass(frozen=True)
class JobPage:
    items: list[JobView]
    has_more: bool


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
        job = _load(session, job_id, owner_id)
        row = job.object_of_kind(objects.PROMPT)
        if row is None:
            return None
        object_id = ObjectId(row.id)
    prompt, _free_text = objects.read_prompt_document(runtime.vault, object_id)
    return prompt


def cancel_job(runtime: Runtime, job_id: str, *, owner_id: str | None = None) -> JobView:
    """Cancel a queued job at once; ask a running one to stop at its next progress report."""
    with runtime.session() as session:
        job = _load(session, job_id, owner_id)
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
        job = _load(session, job_id, owner_id)
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
    job.error_message = without_server_paths(error_message)  # shown to the client
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


def output_object(
    runtime: Runtime, job_id: str, *, kind: str = objects.OUTPUT_VIDEO, owner_id: str | None = None
) -> StoredObject:
    """The finished output's row, or a 409 (not finished) / 410 (retention ended) error."""
    with runtime.session() as session:
        job = _load(session, job_id, owner_id)
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
    "PreparedJob",
    "admit_and_store",
    "prepare_job",
    "preparing_waits",
    "store_jobs",
    "MODEL_PREFIX",
    "JobPage",
    "resolve_engine",
    "resolving_waits",
    "list_jobs_page",
    "JobRequest",
    "JobView",
    "cancel_job",
    "delete_job",
    "export_output",
    "finish_job",
    "get_job",
    "list_jobs",
    "output_object",
    "read_prompt",
    "submit_job",
    "validate_request",
]
