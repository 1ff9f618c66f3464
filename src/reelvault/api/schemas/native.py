"""Schemas of the native API (``/api/v1``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reelvault.engines.base import Derivation
from reelvault.jobs.views import JobView
from reelvault.types import JobStatus, Task


class JobCreate(BaseModel):
    """A text→video job (JSON). Image→video and dance use multipart with the same fields."""

    model_config = ConfigDict(extra="forbid")

    task: Task = Task.TEXT_TO_VIDEO
    engine: str | None = Field(default=None, max_length=64, description="Engine name.")
    model: str | None = Field(
        default=None, max_length=200, description="Model id (alternative to engine)."
    )
    prompt: str | None = Field(default=None, max_length=100_000)
    seconds: float = Field(default=4.0, description="Length in seconds.")
    size: str = Field(default="640x360", max_length=16, description="WIDTHxHEIGHT, both even.")
    fps: int = Field(default=24)
    seed: int | None = Field(default=None)
    params: dict[str, Any] = Field(default_factory=dict, description="Engine parameters.")
    webhook_url: str | None = Field(default=None, max_length=2000)
    format: Literal["mp4", "webm"] = Field(
        default="mp4", description="mp4 (H.264 + AAC) or webm (VP9, video only)."
    )
    likeness_affirmed: bool = Field(
        default=False,
        description="Image→video and dance: you are the person the image shows, or have "
        "their permission. Required when a face is found in the image (else 400 "
        "likeness_affirmation_required); recorded in the consent ledger, the face nowhere.",
    )
    character: str | None = Field(
        default=None,
        max_length=100,
        description="A saved character (its id or name, see /api/v1/characters) whose "
        "picture is the image: text_to_video becomes image_to_video. `@name` in the prompt "
        "does the same.",
    )


class JobErrorOut(BaseModel):
    code: str
    message: str


class JobOut(BaseModel):
    id: str
    object: Literal["job"] = "job"
    status: JobStatus
    progress: int
    stage: str
    task: Task
    engine: str
    size: str
    seconds: float
    fps: int
    seed: int
    params: dict[str, Any]
    format: str
    attempts: int
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime | None = Field(
        description="When the service copy of the video is deleted."
    )
    output_bytes: int | None
    has_audio: bool | None = Field(
        description="Whether the video has a sound track (LTX-2's generated sound, a dance's "
        "music); null until the job completes."
    )
    error: JobErrorOut | None
    source_job_id: str | None = Field(
        default=None,
        description="The job this video was made from (a remix, extension or edit); null "
        "for a video made from scratch. Kept when that job is deleted.",
    )
    derivation: Literal["remix", "extension", "edit"] | None = Field(
        default=None, description="How it was made from source_job_id."
    )
    derivations: list[Literal["remix", "extension", "edit"]] = Field(
        default_factory=list,
        description="What may be made from this video (POST /jobs/{id}/remix, /extend, "
        "/edit): what its engine and model can make, once it has completed; empty before.",
    )

    @classmethod
    def of(cls, view: JobView, derivations: Iterable[Derivation] = ()) -> JobOut:
        return cls(
            derivations=sorted(derivation.value for derivation in derivations),
            source_job_id=view.source_job_id,
            derivation=view.derivation,
            id=view.id,
            status=view.status,
            progress=view.progress,
            stage=view.stage,
            task=view.task,
            engine=view.engine,
            size=f"{view.width}x{view.height}",
            seconds=view.seconds,
            fps=view.fps,
            seed=view.seed,
            params=view.params,
            format=view.output_format,
            attempts=view.attempts,
            created_at=view.created_at,
            started_at=view.started_at,
            completed_at=view.completed_at,
            expires_at=view.output_expires_at,
            output_bytes=view.output_bytes,
            has_audio=view.output_has_audio,
            error=(
                JobErrorOut(code=view.error_code, message=view.error_message or "")
                if view.error_code
                else None
            ),
        )


class JobList(BaseModel):
    object: Literal["list"] = "list"
    data: list[JobOut]
    has_more: bool
    next_cursor: str | None


class Deleted(BaseModel):
    id: str
    object: Literal["job.deleted"] = "job.deleted"
    deleted: bool


class EngineOut(BaseModel):
    name: str
    description: str
    tasks: list[Task]
    device: str
    runs_locally: bool
    sends_data_to_third_party: bool
    reads_motion: bool = False
    """Whether a dance's reference may be a BVH motion-capture file."""
    limits: dict[str, Any]
    params_schema: dict[str, Any]
    derivations: list[Literal["remix", "extension", "edit"]] = Field(
        default_factory=list,
        description="What it can make from one of its finished videos "
        "(POST /jobs/{id}/remix, /extend, /edit).",
    )


class EngineList(BaseModel):
    object: Literal["list"] = "list"
    data: list[EngineOut]


class PromptWordsAsk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field(min_length=1, max_length=100_000)


class PromptWordsOut(BaseModel):
    object: Literal["prompt_words"] = "prompt_words"
    engine: str
    drawn: list[str] = Field(description="Words naming what the video shows.")
    not_drawn: list[str] = Field(
        description="Words the engine did not understand: what they name is left out, "
        "nothing else is drawn in its place."
    )


class WebhookSecret(BaseModel):
    secret: str = Field(description="Standard Webhooks signing secret (whsec_...).")


__all__ = [
    "Deleted",
    "PromptWordsAsk",
    "PromptWordsOut",
    "EngineList",
    "EngineOut",
    "JobCreate",
    "JobList",
    "JobOut",
    "WebhookSecret",
]
