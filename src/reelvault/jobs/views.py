"""What an owner may see of a job (no prompt text), built from its row."""

from __future__ import annotations

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
    error_code: str | None
    error_message: str | None
    has_output: bool
    prompt_kept: bool

    @classmethod
    def of(cls, job: Job) -> JobView:
        output = job.object_of_kind(objects.OUTPUT_VIDEO)
        finished_output = output is not None and not output.expires_with_job
        return cls(
            id=JobId(job.id),
            owner_id=job.owner_id,
            status=JobStatus(job.status),
            progress=job.progress,
            stage=job.stage,
            task=Task(job.task),
            engine=job.engine,
            width=job.width,
            height=job.height,
            fps=job.fps,
            seconds=job.seconds,
            seed=job.seed,
            params=dict(job.params),
            output_format=job.output_format,
            attempts=job.attempts,
            created_at=job.created_at,
            started_at=job.started_at,
            completed_at=job.completed_at,
            expires_at=job.expires_at,
            output_expires_at=output.expires_at if finished_output and output else None,
            output_bytes=job.output_bytes,
            output_width=job.output_width,
            output_height=job.output_height,
            output_seconds=job.output_seconds,
            error_code=job.error_code,
            error_message=job.error_message,
            has_output=finished_output,
            prompt_kept=job.object_of_kind(objects.PROMPT) is not None,
        )


# Columns a new job's view shows as stored.
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
    "expires_at",
)


@dataclass(frozen=True)
class JobPage:
    items: list[JobView]
    has_more: bool


__all__ = [
    "JobPage",
    "JobView",
    "VIEW_COLUMNS",
]
