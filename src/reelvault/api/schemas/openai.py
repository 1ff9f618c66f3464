"""Schemas of the OpenAI-compatible Videos API (``/v1/videos``), as the official SDK parses them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from reelvault.jobs.views import JobView
from reelvault.types import JobStatus

MODEL_PREFIX = "reelvault-"

# OpenAI has four states; ours map onto them without inventing new ones.
_STATUS = {
    JobStatus.QUEUED: "queued",
    JobStatus.IN_PROGRESS: "in_progress",
    JobStatus.COMPLETED: "completed",
    JobStatus.EXPIRED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


class VideoError(BaseModel):
    code: str
    message: str


class Video(BaseModel):
    id: str
    object: Literal["video"] = "video"
    created_at: int
    completed_at: int | None
    expires_at: int | None
    status: Literal["queued", "in_progress", "completed", "failed"]
    progress: int
    model: str
    seconds: str
    size: str
    prompt: str | None = None
    remixed_from_video_id: str | None = None
    error: VideoError | None

    @classmethod
    def of(cls, view: JobView, *, model: str | None = None) -> Video:
        error = None
        if view.status is JobStatus.CANCELLED:
            error = VideoError(code="cancelled", message="the video job was cancelled")
        elif view.error_code:
            error = VideoError(code=view.error_code, message=view.error_message or "")
        return cls(
            id=view.id,
            created_at=int(view.created_at.timestamp()),
            completed_at=int(view.completed_at.timestamp()) if view.completed_at else None,
            expires_at=(
                int(view.output_expires_at.timestamp()) if view.output_expires_at else None
            ),
            status=_STATUS[view.status],
            progress=view.progress,
            model=model or str(view.params.get("model") or MODEL_PREFIX + view.engine),
            seconds=f"{view.seconds:g}",
            size=f"{view.width}x{view.height}",
            # OpenAI names the source of a remix only; an extension's or an edit's is in
            # the native API's source_job_id.
            remixed_from_video_id=view.source_job_id if view.derivation == "remix" else None,
            error=error,
        )


class VideoList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Video]
    first_id: str | None
    last_id: str | None
    has_more: bool


class VideoDeleted(BaseModel):
    id: str
    object: Literal["video.deleted"] = "video.deleted"
    deleted: bool


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(BaseModel):
    error: OpenAIErrorBody


__all__ = ["MODEL_PREFIX", "OpenAIError", "Video", "VideoDeleted", "VideoList"]
