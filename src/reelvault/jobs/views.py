"""What an owner may see of a job (no prompt text), built from its row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reelvault.db.models import Job
from reelvault.jobs import objects
from reelvault.types import JobId, JobStatus, Task


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
    output_has_audio: bool | None
    error_code: str | None
    error_message: str | None
    source_job_id: str | None
    derivation: str | None
    has_output: bool
    prompt_kept: bool

    @classmethod
    def of(cls, job: Job) -> JobView:
        output = job.object_of_kind(objects.OUTPUT_VIDEO)
        finished_output = output is not None and not output.expires_with_job
        return job_view(
            lambda name: getattr(job, name),
            output_expires_at=output.expires_at if finished_output and output else None,
            has_output=finished_output,
            prompt_kept=job.object_of_kind(objects.PROMPT) is not None,
        )


# Columns a view shows as stored; the other fields it derives from the job's objects.
VIEW_COLUMNS = (
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
    "output_has_audio",
    "error_code",
    "error_message",
    "source_job_id",
    "derivation",
)


def job_view(
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
        **{name: column(name) for name in VIEW_COLUMNS},
        output_expires_at=output_expires_at,
        has_output=has_output,
        prompt_kept=prompt_kept,
    )


# Columns a new job's view shows as stored.


@dataclass(frozen=True)
class JobPage:
    items: list[JobView]
    has_more: bool


__all__ = [
    "JobPage",
    "JobView",
    "VIEW_COLUMNS",
    "job_view",
]
