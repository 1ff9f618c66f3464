"""Vault objects owned by jobs: stored with their data class and expiry, shredded together.

A row in ``stored_objects`` is written *before* the bytes go into the vault and is
marked ``expires_with_job`` until the job says otherwise, so a crash at any point
leaves a row that the job's end (or the sweeper) shreds, never an untracked object.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelvault.db.models import Job, StoredObject
from reelvault.errors import VaultError
from reelvault.policy import Policy
from reelvault.types import DataClass, ObjectId, Task, new_object_id
from reelvault.vault import Vault

# A prompt object holds the prompt and the job's free-text parameters (a negative prompt:
# see EngineParams.free_text_fields), one JSON document: {"prompt": ..., "free_text": {...}}.
PROMPT = "prompt"  # the prompt as kept beyond the job (redacted), where the policy keeps it
JOB_PROMPT = "job_prompt"  # the prompt as the engine needs it, shredded when the job ends
# A job's webhook URL is the client's own text (it can name a person, carry a token): it
# is kept encrypted with the job, never in the row (``jobs.webhook_url`` is read only for
# rows written before), and shredded once its notice is delivered or given up.
WEBHOOK_URL = "webhook_url"
OUTPUT_VIDEO = "output_video"
OUTPUT_THUMBNAIL = "output_thumbnail"
OUTPUT_SPRITESHEET = "output_spritesheet"
OUTPUT_KINDS = frozenset({OUTPUT_VIDEO, OUTPUT_THUMBNAIL, OUTPUT_SPRITESHEET})
# An extension's copy of its source's finished video (output data, re-encrypted under a
# new key): what the new video starts with. Scoped to the job: shredded when it ends.
SOURCE_VIDEO = "source_video"


def new_object_row(
    *,
    job_id: str,
    kind: str,
    data_class: DataClass,
    content_type: str,
    now: datetime,
) -> StoredObject:
    """A row for an object about to be written; scoped to the job until finalised."""
    return StoredObject(
        id=new_object_id(),
        job_id=job_id,
        kind=kind,
        data_class=data_class.value,
        content_type=content_type,
        plaintext_size=0,
        created_at=now,
        expires_with_job=True,
        expires_at=None,
    )


def apply_retention(row: StoredObject, *, policy: Policy, now: datetime) -> None:
    """Set the row's expiry from the policy for its data class, counted from ``now``."""
    row.expires_with_job, row.expires_at = retention(
        DataClass(row.data_class), policy=policy, now=now
    )


def retention(
    data_class: DataClass, *, policy: Policy, now: datetime
) -> tuple[bool, datetime | None]:
    """(expires with its job, expires at) for an object of ``data_class`` stored ``now``."""
    if policy.keeps_beyond_job(data_class):
        return False, policy.expires_at(data_class, now=now)
    return True, None


def retention_at_submission(
    data_class: DataClass, *, policy: Policy, now: datetime
) -> tuple[bool, datetime | None]:
    """(expires with its job, expires at) for an object stored when its job is submitted.

    Uploads are scoped to their job until it ends: their retention counts from the end of
    processing, a date not known yet (a job may wait in the queue). :func:`date_uploads_at_job_end`
    dates them then; if that never happens (a crash), the sweeper shreds them with the job.
    """
    if data_class is DataClass.UPLOAD:
        return True, None
    return retention(data_class, policy=policy, now=now)


def date_uploads_at_job_end(session: Session, job: Job, *, policy: Policy, now: datetime) -> None:
    """Give the uploads of a job that ended ``now`` their policy date, counted from ``now``
    (a dance job's from its troubleshooting window too); uploads the policy does not keep
    beyond the job stay job-scoped and are shredded with it."""
    if not policy.keeps_beyond_job(DataClass.UPLOAD):
        return
    expires_at = policy.upload_expires_at(job_ended=now, dance=job.task == Task.DANCE.value)
    uploads = session.scalars(
        select(StoredObject).where(
            StoredObject.job_id == job.id,
            StoredObject.data_class == DataClass.UPLOAD.value,
            StoredObject.expires_with_job.is_(True),
        )
    )
    for row in uploads:
        row.expires_with_job = False
        row.expires_at = expires_at


def store_bytes(vault: Vault, row: StoredObject, data: bytes) -> None:
    stored = vault.put_bytes(data, object_id=ObjectId(row.id))
    row.plaintext_size = stored.plaintext_size


def store_file(vault: Vault, row: StoredObject, path: Path) -> None:
    stored = vault.put_file(path, object_id=ObjectId(row.id))
    row.plaintext_size = stored.plaintext_size


def prompt_document(prompt: str | None, free_text: Mapping[str, Any]) -> dict[str, Any]:
    """What a prompt object holds (``free_text`` only when there is some)."""
    document: dict[str, Any] = {"prompt": prompt}
    if free_text:
        document["free_text"] = dict(free_text)
    return document


def parse_prompt_document(data: bytes) -> tuple[str | None, dict[str, Any]]:
    """(prompt, free-text parameters) of a prompt object; older objects hold a prompt only."""
    document = json.loads(data)
    if not isinstance(document, dict):
        return None, {}
    prompt = document.get("prompt")
    free_text = document.get("free_text")
    return (
        prompt if isinstance(prompt, str) else None,
        dict(free_text) if isinstance(free_text, dict) else {},
    )


def read_prompt_document(vault: Vault, object_id: ObjectId) -> tuple[str | None, dict[str, Any]]:
    return parse_prompt_document(vault.read_bytes(object_id))


def redact_texts(value: Any, redact: Callable[[str], str]) -> Any:
    """``value`` with every string inside it (dict keys too) passed through ``redact``;
    numbers and booleans as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(str(key)): redact_texts(item, redact) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_texts(item, redact) for item in value]
    return value


def text_values(value: Any) -> list[str]:
    """Every string value inside a free-text value, for the privacy audit's search (dict
    keys are left out: option names such as ``aspect_ratio`` are no one's words)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [text for item in value.values() for text in text_values(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in text_values(item)]
    return []


def has_webhook(job: Job) -> bool:
    return bool(job.webhook_url) or job.object_of_kind(WEBHOOK_URL) is not None


def webhook_url_of(vault: Vault, job: Job) -> str | None:
    """The job's webhook URL: from the vault, or from the row of a job stored before."""
    row = job.object_of_kind(WEBHOOK_URL)
    if row is None:
        return job.webhook_url or None
    try:
        return vault.read_bytes(ObjectId(row.id)).decode("utf-8")
    except (VaultError, UnicodeDecodeError):
        return None  # shredded meanwhile


def shred_rows(vault: Vault, session: Session, rows: Iterable[StoredObject]) -> int:
    """Crypto-shred each object (key first, then ciphertext) and delete its row."""
    count = 0
    for row in list(rows):
        vault.shred(ObjectId(row.id))
        job = row.job
        if job is not None and row in job.objects:
            job.objects.remove(row)  # keep the loaded collection truthful
        session.delete(row)
        count += 1
    return count


def shred_job_scoped(
    vault: Vault, session: Session, job_id: str, *, kinds: frozenset[str] | None = None
) -> int:
    """Shred the job's objects whose retention ends with the job."""
    query = select(StoredObject).where(
        StoredObject.job_id == job_id, StoredObject.expires_with_job.is_(True)
    )
    if kinds is not None:
        query = query.where(StoredObject.kind.in_(kinds))
    return shred_rows(vault, session, session.scalars(query))


def recorded_outputs(vault: Vault, job: Job) -> list[StoredObject] | None:
    """The job's outputs when an attempt stored and recorded all of them, else None.

    Recorded means the worker wrote the job's output facts (``output_frames``) after the
    bytes were stored; each object must still be in the vault.
    """
    if job.output_frames is None:
        return None
    rows = [row for row in job.objects if row.kind in OUTPUT_KINDS]
    if {row.kind for row in rows} != OUTPUT_KINDS or len(rows) != len(OUTPUT_KINDS):
        return None
    if not all(vault.exists(ObjectId(row.id)) for row in rows):
        return None
    return rows


def discard_outputs(vault: Vault, session: Session, job: Job) -> int:
    """Shred the outputs of an attempt that did not finish, and forget their facts."""
    job.output_width = job.output_height = job.output_frames = job.output_bytes = None
    job.output_seconds = job.output_has_audio = None
    return shred_job_scoped(vault, session, job.id, kinds=OUTPUT_KINDS)


__all__ = [
    "JOB_PROMPT",
    "OUTPUT_KINDS",
    "OUTPUT_SPRITESHEET",
    "OUTPUT_THUMBNAIL",
    "OUTPUT_VIDEO",
    "PROMPT",
    "SOURCE_VIDEO",
    "WEBHOOK_URL",
    "apply_retention",
    "date_uploads_at_job_end",
    "discard_outputs",
    "has_webhook",
    "new_object_row",
    "parse_prompt_document",
    "prompt_document",
    "read_prompt_document",
    "recorded_outputs",
    "redact_texts",
    "retention",
    "retention_at_submission",
    "shred_job_scoped",
    "shred_rows",
    "store_bytes",
    "store_file",
    "text_values",
    "webhook_url_of",
]
