"""The OpenAI Videos API at ``/v1/videos``: the official SDK works unmodified.

``model`` maps to engines (``reelvault-procedural``, ``reelvault-livephoto``, or a model
id of an engine that hosts models). ``prompt`` is never echoed back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.responses import Response

from reelvault.accounts.scopes import VIDEOS_READ, VIDEOS_WRITE
from reelvault.api.accept import accept_job
from reelvault.api.content import content_response
from reelvault.api.multipart import parse_form
from reelvault.api.routes.native import form_values, read_json_body
from reelvault.api.schemas.openai import OpenAIError, Video, VideoDeleted, VideoList
from reelvault.errors import ValidationError
from reelvault.http.deps import (
    Ctx,
    OwnedVideo,
    Owner,
    RuntimeDep,
    check_submission_limits,
    require_scope,
)
from reelvault.jobs.lifecycle import delete_job
from reelvault.jobs.queries import list_jobs_page
from reelvault.jobs.request import JobRequest
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.media.sizes import parse_size
from reelvault.types import Task

router = APIRouter(prefix="/v1", tags=["openai"])
READ = require_scope(VIDEOS_READ)
WRITE = require_scope(VIDEOS_WRITE)

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIError} for status in (400, 401, 403, 404, 409, 410, 413, 415, 429)
}
POLL_AFTER_MS = "500"


class VideoCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=100_000)
    model: str | None = Field(default=None, max_length=200)
    seconds: str | int | float = "4"
    size: str = Field(default="1280x720", max_length=16)
    likeness_affirmed: bool = Field(
        default=False,
        description="reelvault: with input_reference, you are the person it shows or have "
        "their permission; required when a face is found in it.",
    )


_CREATE_SCHEMA = VideoCreate.model_json_schema()
CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _CREATE_SCHEMA},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["prompt"],
                    "properties": {
                        "prompt": {"type": "string"},
                        "model": {"type": "string"},
                        "seconds": {"type": "string"},
                        "size": {"type": "string"},
                        "input_reference": {"type": "string", "format": "binary"},
                        "likeness_affirmed": {"type": "boolean"},
                    },
                }
            },
        },
    }
}


def _seconds(value: str | int | float) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ValidationError(f"seconds {value!r} is not a number", param="seconds") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValidationError("seconds must be a finite number", param="seconds")
    return seconds


@router.post(
    "/videos",
    dependencies=[WRITE],
    response_model=Video,
    responses=ERRORS,
    openapi_extra=CREATE_BODY,
    summary="Create a video (OpenAI Videos API)",
    description="The prompt and input_reference are screened by the deployment's content "
    "moderators: a refusal is a 400 with code `content_blocked` naming the category. An "
    "input_reference showing a face needs `likeness_affirmed=true` (extra_body with the SDK).",
)
async def create_video(request: Request, ctx: Ctx, owner: Owner) -> Video:
    runtime = ctx.runtime
    uploads: list[UploadedInput] = []
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await parse_form(
                request,
                runtime,
                file_fields={"input_reference": "image"},
                limits={"image": runtime.settings.max_image_bytes},
            )
            uploads = form.uploads
            data = form_values(form.fields)
        else:
            data = await read_json_body(request)
        try:
            body = VideoCreate.model_validate(data)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            param = ".".join(str(part) for part in first["loc"]) or None
            raise ValidationError(f"{param}: {first['msg']}", param=param) from None
        await check_submission_limits(ctx, request, owner)
        task = Task.IMAGE_TO_VIDEO if uploads else Task.TEXT_TO_VIDEO
        width, height = parse_size(body.size)
        seconds = _seconds(body.seconds)
    except BaseException:
        await run_in_threadpool(discard_uploads, runtime, uploads)
        raise

    asked = JobRequest(
        prompt=body.prompt,
        task=task,
        width=width,
        height=height,
        fps=24,
        seconds=seconds,
        owner_id=owner,
        likeness_affirmed=body.likeness_affirmed,
    )

    view = await accept_job(
        ctx.intake, runtime, asked, engine=None, model=body.model, uploads=uploads
    )
    return Video.of(view, model=body.model)


@router.get("/videos", dependencies=[READ], response_model=VideoList, responses=ERRORS)
def list_videos(
    runtime: RuntimeDep,
    owner: Owner,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=64)] = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> VideoList:
    page = list_jobs_page(
        runtime, owner_id=owner, limit=limit, after=after, newest_first=order == "desc"
    )
    data = [Video.of(view) for view in page.items]
    return VideoList(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=page.has_more,
    )


@router.get("/videos/{video_id}", dependencies=[READ], response_model=Video, responses=ERRORS)
def retrieve_video(job: OwnedVideo, response: Response) -> Video:
    response.headers["openai-poll-after-ms"] = POLL_AFTER_MS
    return Video.of(job)


@router.delete(
    "/videos/{video_id}", dependencies=[WRITE], response_model=VideoDeleted, responses=ERRORS
)
def delete_video(job: OwnedVideo, runtime: RuntimeDep, owner: Owner) -> VideoDeleted:
    delete_job(runtime, job.id, owner_id=owner)
    return VideoDeleted(id=job.id, deleted=True)


@router.get(
    "/videos/{video_id}/content",
    dependencies=[READ],
    responses={**ERRORS, 200: {"content": {"video/mp4": {}, "image/webp": {}}}},
    response_class=Response,
)
def download_video(
    job: OwnedVideo,
    runtime: RuntimeDep,
    owner: Owner,
    variant: Annotated[str, Query(max_length=32)] = "video",
    range_header: Annotated[str | None, Header(alias="range")] = None,
) -> Response:
    return content_response(
        runtime, job.id, owner_id=owner, variant=variant, range_header=range_header
    )


@router.post(
    "/videos/{video_id}/remix", dependencies=[WRITE], response_model=Video, responses=ERRORS
)
def remix_video(job: OwnedVideo) -> Video:
    """No installed engine can remix an existing video yet: a clear 400."""
    raise ValidationError(
        f"engine {job.engine} cannot remix videos; create a new video instead",
        param="video_id",
    )


__all__ = ["router"]
