"""Creating jobs: prepare (validate, split off free text, encrypt) and store in batches.

The only place jobs are created."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from reelvault.db.models import Job, StoredObject
from reelvault.engines.base import split_free_text
from reelvault.jobs import objects
from reelvault.jobs.request import (
    INPUT_KIND_PREFIX,
    MAX_SEED,
    JobRequest,
    check_inputs,
    validate_request,
)
from reelvault.jobs.screening import screen_request
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.jobs.views import JobView, job_view
from reelvault.policy import Policy
from reelvault.runtime import Runtime
from reelvault.types import DataClass, JobStatus, ObjectId, new_job_id


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
        return job_view(
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


def split_webhook_url(url: str | None) -> tuple[str | None, bytes | None]:
    """(what the job's row holds, what the vault keeps) of a webhook URL: the URL is the
    client's own text (a name, a token in its path), so it goes into the vault only."""
    return None, (url.encode("utf-8") if url is not None else None)


def _job_row(
    runtime: Runtime,
    request: JobRequest,
    *,
    job_id: str,
    params: dict[str, Any],
    webhook_url: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The new job's row as column values (no prompt, no free text, no webhook URL)."""
    policy = runtime.policy
    return {
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
        "params": params,
        "status": JobStatus.QUEUED.value,
        "progress": 0,
        "stage": "queued",
        "cancel_requested": False,
        "attempts": 0,
        "max_attempts": runtime.settings.max_attempts,
        "created_at": now,
        "updated_at": now,
        "expires_at": policy.expires_at(DataClass.JOB_METADATA, now=now),
        "webhook_url": webhook_url,
        "output_format": request.output_format,
        "source_job_id": request.source_job_id,
        "derivation": request.derivation,
        "timeline_frames": request.timeline_frames,
    }


@dataclass
class _ObjectRows:
    """The rows of a new job's objects, each dated by the policy, and the payloads still
    to be written (their ids are chosen when the batch is stored: they share one pack)."""

    job: dict[str, Any]
    policy: Policy
    now: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)
    payloads: list[tuple[dict[str, Any], bytes]] = field(default_factory=list)

    def add(
        self, object_id: str, kind: str, data_class: DataClass, content_type: str, size: int
    ) -> dict[str, Any]:
        if kind == objects.JOB_PROMPT:
            # The engine's copy of the prompt lives exactly as long as the job.
            expires_with_job, expires_at = True, None
        elif kind == objects.WEBHOOK_URL:
            # Needed after the job ends (its notice); at most as long as the job's row.
            expires_with_job, expires_at = False, self.job["expires_at"]
        else:
            expires_with_job, expires_at = objects.retention_at_submission(
                data_class, policy=self.policy, now=self.now
            )
        row = {
            "id": object_id,
            "job_id": self.job["id"],
            "kind": kind,
            "data_class": data_class.value,
            "content_type": content_type,
            "plaintext_size": size,
            "created_at": self.now,
            "expires_with_job": expires_with_job,
            "expires_at": expires_at,
        }
        self.rows.append(row)
        return row

    def add_payload(self, kind: str, data_class: DataClass, content_type: str, data: bytes) -> None:
        self.payloads.append((self.add("", kind, data_class, content_type, len(data)), data))

    def add_prompt(self, kind: str, document: dict[str, Any]) -> None:
        data = json.dumps(document).encode()
        self.add_payload(kind, DataClass.PROMPT, "application/json", data)


def prepare_job(
    runtime: Runtime, request: JobRequest, uploads: Sequence[UploadedInput] = ()
) -> PreparedJob:
    """Everything of :func:`submit_job` before writing: checks, rows, prompt payloads."""
    try:
        engine, params = validate_request(runtime, request)
        check_inputs(request.task, uploads, engine)
        # Content moderation and the likeness affirmation: a refusal keeps nothing.
        screen_request(runtime, request, uploads)
    except BaseException:
        discard_uploads(runtime, uploads)
        raise
    now = runtime.clock()
    policy = runtime.policy
    # Free-text parameters (a negative prompt...) are prompt data: they go into the vault
    # with the prompt, never into the job's row.
    stored_params, free_text = split_free_text(type(params), params.model_dump(mode="json"))
    row_url, sealed_url = split_webhook_url(request.webhook_url)
    job = _job_row(
        runtime, request, job_id=new_job_id(), params=stored_params, webhook_url=row_url, now=now
    )
    stored = _ObjectRows(job, policy, now)
    if sealed_url is not None:
        stored.add_payload(objects.WEBHOOK_URL, DataClass.JOB_METADATA, "text/plain", sealed_url)
    prompt = (request.prompt or "").strip()
    if prompt or free_text:
        stored.add_prompt(objects.JOB_PROMPT, objects.prompt_document(prompt or None, free_text))
        if policy.keeps_beyond_job(DataClass.PROMPT):
            # The copy kept afterwards is redacted first (emails, cards, ids -> placeholders).
            redact = runtime.hooks.gate.redact_retained_prompt
            stored.add_prompt(
                objects.PROMPT,
                objects.prompt_document(
                    redact(prompt) if prompt else None, objects.redact_texts(free_text, redact)
                ),
            )
    for upload in uploads:
        stored.add(
            upload.object_id,
            INPUT_KIND_PREFIX + upload.name,
            DataClass.UPLOAD,
            upload.media_type.mime,
            upload.size,
        )
    return PreparedJob(job=job, rows=stored.rows, payloads=stored.payloads, uploads=uploads)


def admit_and_store(runtime: Runtime, batch: Sequence[PreparedJob]) -> list[JobView | Exception]:
    """Store the jobs whose owners may have new work now; the others get their refusal.

    An owner who asked us to restrict processing (GDPR art. 18) gets a 403 instead of a
    job, and the uploads of that request are shredded. One query answers for the whole
    batch. On a failure of the check or of the store, every upload of the batch is
    shredded and the error raised. Limits that must hold at the instant of storing (a
    plan's jobs at once) are decided by :func:`store_jobs`.
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


def store_jobs(runtime: Runtime, batch: Sequence[PreparedJob]) -> list[JobView | Exception]:
    """Write prepared jobs: their prompts into the vault, then their rows, together.

    The vault makes the whole batch durable with one round of fsyncs, and one database
    transaction inserts every row (group commit; see :mod:`reelvault.jobs.intake`).
    Encrypting happens before the transaction, so the write lock is held for the inserts
    only; a crash between the two leaves encrypted objects no row points to: still
    readable with the vault's key, so the retention sweeper shreds such orphans once they
    are older than ``orphan_grace_seconds`` (and the privacy audit reports them). On any
    failure the whole batch is undone: prompts shredded, uploads discarded.

    Where a layer above limits new jobs (``runtime.hooks.admission``: a plan's jobs at
    once), it decides in the same transaction, before the inserts: a job it refuses gets
    its error in the returned list instead of a view, and leaves nothing behind.
    """
    payloads: list[tuple[ObjectId, bytes]] = []
    rows_to_write = [payload for prepared in batch for payload in prepared.payloads]
    # Ids chosen for the batch let the vault store its objects together (one pack).
    for (row, data), object_id in zip(
        rows_to_write, runtime.vault.ids_for_batch(len(rows_to_write)), strict=True
    ):
        row["id"] = object_id
        payloads.append((object_id, data))
    admission = runtime.hooks.admission
    try:
        if payloads:
            runtime.vault.put_many_bytes(payloads)
        # Plain INSERTs (executemany) instead of the ORM's unit of work: most of the cost
        # of accepting a job was the flush.
        with runtime.transaction() as connection:
            refusals: Sequence[Exception | None] = (
                admission.refusals(runtime, connection, [p.owner_id for p in batch])
                if admission is not None
                else [None] * len(batch)
            )
            stored = [p for p, refused in zip(batch, refusals, strict=True) if refused is None]
            if stored:
                connection.execute(_INSERT_JOB, [prepared.job for prepared in stored])
            object_rows = [row for prepared in stored for row in prepared.rows]
            if object_rows:
                connection.execute(_INSERT_OBJECT, object_rows)
    except BaseException:
        _undo(runtime, batch, [object_id for object_id, _ in payloads])
        raise
    refused = [p for p, error in zip(batch, refusals, strict=True) if error is not None]
    if refused:
        _undo(runtime, refused, [row["id"] for p in refused for row, _ in p.payloads])
    dispatch = runtime.hooks.dispatch
    if dispatch is not None and stored:
        # After the commit: a worker that gets the message finds the row. A message that
        # is never sent (broker down) is made up for by the republish pass.
        dispatch.publish([(prepared.job["id"], prepared.job["engine"]) for prepared in stored])
    return [
        error if error is not None else prepared.view()
        for prepared, error in zip(batch, refusals, strict=True)
    ]


def _undo(runtime: Runtime, jobs: Sequence[PreparedJob], object_ids: list[ObjectId]) -> None:
    """Leave nothing of jobs that were not stored: their prompts shredded, uploads too."""
    with contextlib.suppress(Exception):
        runtime.vault.shred_many(object_ids)
    for prepared in jobs:
        discard_uploads(runtime, prepared.uploads)


__all__ = [
    "PreparedJob",
    "admit_and_store",
    "prepare_job",
    "split_webhook_url",
    "store_jobs",
    "submit_job",
]
