"""The OpenAI Videos API at ``/v1/videos``: the official SDK works unmodified.

``model`` maps to engines (``reelvault-procedural``, ``reelvault-livephoto``, or a model
id of an engine that hosts models). ``prompt`` is never echoed back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from reelvault.accounts.scopes import VIDEOS_READ, VIDEOS_WRITE
from reelvault.api.accept import accept_derived, accept_job, request_shape
from reelvault.api.content import content_response
from reelvault.api.multipart import parse_form
from reelvault.api.routes.native import form_values, read_json_body, validated
from reelvault.api.schemas.openai import OpenAIError, Video, VideoDeleted, VideoList
from reelvault.engines.base import Derivation
from reelvault.errors import BadRequestError, ValidationError
from reelvault.http.deps import (
    Ctx,
    OwnedVideo,
    Owner,
    RuntimeDep,
    check_submission_limits,
    require_scope,
)
from reelvault.jobs.derive import STRENGTH, VERBS, DeriveAsk, find_own_video
from reelvault.jobs.lifecycle import delete_job
from reelvault.jobs.queries import list_jobs_page
from reelvault.jobs.request import JobRequest, Shape
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
# What a create leaves out, unless its model has its own (a neural model's size and rate).
OPENAI_SHAPE = Shape(width=1280, height=720, fps=24, seconds=4.0)


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
    character: str | None = Field(
        default=None,
        max_length=100,
        description="reelvault: a saved character (id or name) whose picture is the input "
        "reference; `@name` in the prompt does the same.",
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
                        "character": {"type": "string"},
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
        body = validated(VideoCreate, data)
        await check_submission_limits(ctx, request, owner)
        task = Task.IMAGE_TO_VIDEO if uploads else Task.TEXT_TO_VIDEO
        asked_shape: dict[str, Any] = {}
        if "size" in body.model_fields_set:
            asked_shape["width"], asked_shape["height"] = parse_size(body.size)
        if "seconds" in body.model_fields_set:
            asked_shape["seconds"] = _seconds(body.seconds)
        shape = await request_shape(
            runtime,
            task=task,
            engine=None,
            model=body.model,
            asked=asked_shape,
            fallback=OPENAI_SHAPE,
        )
    except BaseException:
        await run_in_threadpool(discard_uploads, runtime, uploads)
        raise

    asked = JobRequest(
        prompt=body.prompt,
        task=task,
        width=shape.width,
        height=shape.height,
        fps=shape.fps,
        seconds=shape.seconds,
        owner_id=owner,
        likeness_affirmed=body.likeness_affirmed,
        character=body.character,
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


class VideoRemix(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=100_000)
    strength: float | None = Field(None, gt=0, le=1, description=STRENGTH)  # reelvault's own


class VideoReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(max_length=64)


class VideoEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(max_length=100_000)
    video: VideoReference | None = None


class VideoExtend(VideoEdit):
    seconds: str | int | float = Field(
        description="How many seconds to add (OpenAI: the new segment's length); the "
        "video made is the stitched total, which its `seconds` shows."
    )


def _derive_body(model: type[VideoEdit], extra: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema()
    form_properties = {
        "prompt": {"type": "string"},
        "video": {"type": "string", "format": "binary"},
        **extra,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["prompt", "video", *extra],
                        "properties": form_properties,
                    }
                },
            },
        }
    }


async def _derive(
    request: Request, ctx: Ctx, owner: str, derivation: Derivation, model: type[VideoEdit]
) -> Video:
    """An extension or an edit: a video referenced by id (JSON, as OpenAI's spec allows)
    or uploaded as a file (multipart, as the SDK sends it). An uploaded file is stored
    like any upload (checked, encrypted) and matched against the owner's own finished
    videos; it is shredded as soon as the request is answered."""
    runtime = ctx.runtime
    uploads: list[UploadedInput] = []
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await parse_form(
                request,
                runtime,
                file_fields={"video": "source_video"},
                limits={"source_video": runtime.settings.max_video_bytes},
            )
            uploads = form.uploads
            data = form_values(form.fields)
            if "video[id]" in data:  # a reference sent as a form field
                data["video"] = {"id": data.pop("video[id]")}
        else:
            data = await read_json_body(request)
        if isinstance(data.get("video"), str):  # an id given on its own
            data["video"] = {"id": data["video"]}
        body = validated(model, data)
        await check_submission_limits(ctx, request, owner)
        source_id = body.video.id if body.video is not None else None
        if uploads and source_id is not None:
            raise ValidationError("send the video as a file or as an id, not both", param="video")
        if uploads:
            source_id = await run_in_threadpool(find_own_video, runtime, uploads[0], owner_id=owner)
            if source_id is None:
                raise BadRequestError(
                    "the uploaded video is not one of your videos on this server: the "
                    f"installed engines can only {VERBS[derivation]} videos they made",
                    param="video",
                )
        if source_id is None:
            raise ValidationError('video is required (a file, or {"id": ...})', param="video")
    finally:
        await run_in_threadpool(discard_uploads, runtime, uploads)
    seconds = _seconds(body.seconds) if isinstance(body, VideoExtend) else None
    ask = DeriveAsk(derivation, source_id, owner, body.prompt, seconds=seconds)
    return Video.of(await accept_derived(ctx.intake, runtime, ask))


@router.post(
    "/videos/{video_id}/remix",
    dependencies=[WRITE],
    response_model=Video,
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VideoRemix.model_json_schema()}},
        }
    },
    summary="Remix a completed video with a new prompt (OpenAI Videos API)",
)
async def remix_video(job: OwnedVideo, request: Request, ctx: Ctx, owner: Owner) -> Video:
    """The same seed and composition (or inputs) with the new prompt's changes applied;
    ``remixed_from_video_id`` names the source. Engines that cannot remix: a 400.
    Another owner's video is a 404 whatever the body says (checked first)."""
    body = validated(VideoRemix, await read_json_body(request))
    await check_submission_limits(ctx, request, owner)
    ask = DeriveAsk(Derivation.REMIX, job.id, owner, body.prompt, strength=body.strength)
    return Video.of(await accept_derived(ctx.intake, ctx.runtime, ask))


@router.post(
    "/videos/extensions",
    dependencies=[WRITE],
    response_model=Video,
    responses=ERRORS,
    openapi_extra=_derive_body(VideoExtend, {"seconds": {"type": "string"}}),
    summary="Extend a completed video into one stitched video (OpenAI Videos API)",
)
async def extend_video(request: Request, ctx: Ctx, owner: Owner) -> Video:
    return await _derive(request, ctx, owner, Derivation.EXTENSION, VideoExtend)


@router.post(
    "/videos/edits",
    dependencies=[WRITE],
    response_model=Video,
    responses=ERRORS,
    openapi_extra=_derive_body(VideoEdit, {}),
    summary="Edit a completed video following an instruction (OpenAI Videos API)",
)
async def edit_video(request: Request, ctx: Ctx, owner: Owner) -> Video:
    return await _derive(request, ctx, owner, Derivation.EDIT, VideoEdit)


__all__ = ["router"]
