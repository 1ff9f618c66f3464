"""The native API, ``/api/v1``: jobs, their content and progress, engines, webhook secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from starlette.responses import Response, StreamingResponse

from reelvault.accounts.owners import webhook_secret
from reelvault.accounts.scopes import VIDEOS_READ, VIDEOS_WRITE
from reelvault.api.accept import accept_job, request_shape
from reelvault.api.content import content_response
from reelvault.api.json_input import load_client_json
from reelvault.api.multipart import parse_form
from reelvault.api.schemas.native import (
    Deleted,
    EngineList,
    EngineOut,
    JobCreate,
    JobList,
    JobOut,
    PromptWordsAsk,
    PromptWordsOut,
    WebhookSecret,
)
from reelvault.engines.base import prompt_words_of
from reelvault.errors import NotFoundError, ValidationError
from reelvault.http.deps import (
    Ctx,
    OwnedJob,
    Owner,
    RuntimeDep,
    check_submission_limits,
    require_scope,
)
from reelvault.http.error_schema import ErrorOut
from reelvault.jobs.derive import derivations_of
from reelvault.jobs.lifecycle import cancel_job, delete_job
from reelvault.jobs.queries import get_job, job_prompt_words, list_jobs_page
from reelvault.jobs.request import JobRequest, Shape
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.media.sizes import parse_size

router = APIRouter(prefix="/api/v1", tags=["native"])
READ = require_scope(VIDEOS_READ)
WRITE = require_scope(VIDEOS_WRITE)

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 410, 413, 415, 422, 429)
}
MAX_JSON_BYTES = 1024 * 1024
# What a create leaves out, unless its model has its own (a neural model's size and rate).
NATIVE_SHAPE = Shape(width=640, height=360, fps=24, seconds=4.0)
_JSON_SCHEMA = JobCreate.model_json_schema(ref_template="#/components/schemas/{model}")
_JSON_SCHEMA.pop("$defs", None)
_MULTIPART_SCHEMA = {
    "type": "object",
    "properties": {
        **{name: {"type": "string"} for name in JobCreate.model_fields},
        "image": {"type": "string", "format": "binary"},
        "reference_video": {
            "type": "string",
            "format": "binary",
            "description": "The dance to copy: a video (MP4, MOV, WebM, MKV), or a BVH "
            "motion-capture file for an engine whose reads_motion is true (GET /engines).",
        },
    },
}
CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _JSON_SCHEMA},
            "multipart/form-data": {"schema": _MULTIPART_SCHEMA},
        },
    }
}


async def read_json_body(request: Request) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_JSON_BYTES:
            raise ValidationError(f"the JSON body is larger than {MAX_JSON_BYTES} bytes")
    data = load_client_json(bytes(body) or b"{}", what="the request body")
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object")
    return data


def form_values(fields: dict[str, str]) -> dict[str, Any]:
    """Form fields are strings: drop empty ones, decode ``params`` as JSON."""
    values: dict[str, Any] = {key: value for key, value in fields.items() if value != ""}
    if "params" in values:
        values["params"] = load_client_json(values["params"], what="params", param="params")
        if not isinstance(values["params"], dict):
            raise ValidationError("params must be a JSON object", param="params")
    return values


Body = TypeVar("Body", bound=BaseModel)


def validated(model: type[Body], data: dict[str, Any]) -> Body:
    """``data`` as ``model``, or a ValidationError naming the first field that is wrong."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(part) for part in first["loc"]) or None
        raise ValidationError(f"{param}: {first['msg']}", param=param) from None


@router.post(
    "/jobs",
    dependencies=[WRITE],
    status_code=201,
    response_model=JobOut,
    responses=ERRORS,
    openapi_extra=CREATE_BODY,
    summary="Create a job (JSON for text→video; multipart with image/reference_video)",
    description="The prompt and uploads are screened by the deployment's content moderators "
    "first: a refusal is a 400 `content_blocked` naming the category (never the words that "
    "matched), and nothing of the request is kept. An image that shows a face needs "
    "`likeness_affirmed=true` (else 400 `likeness_affirmation_required`). A generated video "
    "the moderators block fails the job with `content_blocked`, its output not kept.",
)
async def create_job(request: Request, ctx: Ctx, owner: Owner) -> JobOut:
    runtime = ctx.runtime
    uploads: list[UploadedInput] = []
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            settings = runtime.settings
            form = await parse_form(
                request,
                runtime,
                file_fields={"image": "image", "reference_video": "reference_video"},
                limits={
                    "image": settings.max_image_bytes,
                    "reference_video": settings.max_video_bytes,
                },
            )
            uploads = form.uploads
            body = validated(JobCreate, form_values(form.fields))
        else:
            body = validated(JobCreate, await read_json_body(request))
        await check_submission_limits(ctx, request, owner)
        asked_shape = body.model_dump(include={"fps", "seconds"} & body.model_fields_set)
        if "size" in body.model_fields_set:
            asked_shape["width"], asked_shape["height"] = parse_size(body.size)
        shape = await request_shape(
            runtime,
            task=body.task,
            engine=body.engine,
            model=body.model,
            asked=asked_shape,
            fallback=NATIVE_SHAPE,
        )
    except BaseException:
        await run_in_threadpool(discard_uploads, runtime, uploads)
        raise

    asked = JobRequest(
        prompt=body.prompt,
        task=body.task,
        width=shape.width,
        height=shape.height,
        fps=shape.fps,
        seconds=shape.seconds,
        seed=body.seed,
        params=dict(body.params),
        owner_id=owner,
        webhook_url=body.webhook_url,
        output_format=body.format,
        likeness_affirmed=body.likeness_affirmed,
        character=body.character,
    )

    view = await accept_job(
        ctx.intake,
        runtime,
        asked,
        engine=body.engine,
        model=body.model,
        uploads=uploads,
    )
    return JobOut.of(view)


@router.get("/jobs", dependencies=[READ], response_model=JobList, responses=ERRORS)
def list_jobs_route(
    runtime: RuntimeDep,
    owner: Owner,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=64)] = None,
) -> JobList:
    page = list_jobs_page(runtime, owner_id=owner, limit=limit, after=after)
    return JobList(
        data=[JobOut.of(view, derivations_of(runtime.registry, view)) for view in page.items],
        has_more=page.has_more,
        next_cursor=page.items[-1].id if page.has_more and page.items else None,
    )


@router.get("/jobs/{job_id}", dependencies=[READ], response_model=JobOut, responses=ERRORS)
def get_job_route(job: OwnedJob, runtime: RuntimeDep) -> JobOut:
    return JobOut.of(job, derivations_of(runtime.registry, job))


@router.post("/jobs/{job_id}/cancel", dependencies=[WRITE], response_model=JobOut, responses=ERRORS)
def cancel_job_route(job: OwnedJob, runtime: RuntimeDep, owner: Owner) -> JobOut:
    return JobOut.of(cancel_job(runtime, job.id, owner_id=owner))


@router.delete("/jobs/{job_id}", dependencies=[WRITE], response_model=Deleted, responses=ERRORS)
def delete_job_route(job: OwnedJob, runtime: RuntimeDep, owner: Owner) -> Deleted:
    delete_job(runtime, job.id, owner_id=owner)
    return Deleted(id=job.id, deleted=True)


@router.get(
    "/jobs/{job_id}/words", dependencies=[READ], response_model=PromptWordsOut, responses=ERRORS
)
def job_words(job: OwnedJob, runtime: RuntimeDep, owner: Owner) -> PromptWordsOut:
    """Which words of the job's prompt its engine drew and which it could not (text to video
    on an engine that reports them: procedural); 410 once the policy no longer keeps the
    prompt, since the words are the prompt's."""
    words = job_prompt_words(runtime, job.id, owner_id=owner)
    return PromptWordsOut(
        engine=job.engine, drawn=list(words.drawn), not_drawn=list(words.not_drawn)
    )


@router.get(
    "/jobs/{job_id}/content",
    dependencies=[READ],
    responses={
        **ERRORS,
        200: {"content": {"video/mp4": {}, "image/webp": {}}, "description": "The file."},
        206: {"description": "Part of the file (HTTP Range)."},
        416: {"model": ErrorOut},
    },
    response_class=Response,
)
def job_content(
    job: OwnedJob,
    runtime: RuntimeDep,
    owner: Owner,
    variant: Annotated[str, Query(max_length=32)] = "video",
    range_header: Annotated[str | None, Header(alias="range")] = None,
) -> Response:
    return content_response(
        runtime, job.id, owner_id=owner, variant=variant, range_header=range_header
    )


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n"


@router.get(
    "/jobs/{job_id}/events",
    dependencies=[READ],
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}}},
    response_class=StreamingResponse,
)
async def job_events(
    request: Request, job: OwnedJob, runtime: RuntimeDep, owner: Owner
) -> Response:
    """Server-Sent Events: ``progress`` while the job runs, then one ``done`` event."""

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        last: tuple[str, int, str] | None = None
        idle = 0.0
        while True:
            view = await run_in_threadpool(get_job, runtime, job.id, owner_id=owner)
            state = (view.status.value, view.progress, view.stage)
            data = JobOut.of(view, derivations_of(runtime.registry, view)).model_dump(mode="json")
            if view.status.is_terminal:
                yield _event("done", data)
                return
            if state != last:
                last = state
                idle = 0.0
                yield _event("progress", data)
            elif idle >= 15:
                idle = 0.0
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.25)
            idle += 0.25

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/engines/{name}/words",
    dependencies=[READ],
    response_model=PromptWordsOut,
    responses=ERRORS,
    tags=["engines"],
)
def engine_words(name: str, body: PromptWordsAsk, runtime: RuntimeDep) -> PromptWordsOut:
    """Which words of ``prompt`` the engine would draw and which it could not, for engines
    that report them (procedural). Nothing is stored or logged: it reads the prompt and
    answers."""
    if name not in runtime.registry.names():
        raise NotFoundError(f"no engine named {name!r}", param="name")
    if len(body.prompt) > runtime.settings.max_prompt_chars:
        raise ValidationError(
            f"the prompt is longer than {runtime.settings.max_prompt_chars} characters",
            param="prompt",
        )
    words = prompt_words_of(runtime.registry.engine_class(name), body.prompt)
    if words is None:
        raise NotFoundError(
            f"the {name} engine does not report which words of a prompt it drew", param="name"
        )
    return PromptWordsOut(engine=name, drawn=list(words.drawn), not_drawn=list(words.not_drawn))


@router.get("/engines", response_model=EngineList, tags=["engines"])
def list_engines(runtime: RuntimeDep) -> EngineList:
    """Each engine: its tasks, parameter JSON schema, limits, and where it sends data."""
    return EngineList(
        data=[
            EngineOut(
                name=engine.name,
                description=engine.description,
                tasks=sorted(engine.tasks),
                device=engine.device,
                runs_locally=engine.runs_locally,
                sends_data_to_third_party=not engine.runs_locally,
                reads_motion=engine.reads_motion,
                limits=engine.limits.as_dict(),
                params_schema=engine.params_model.model_json_schema(),
                derivations=sorted(engine.derivations),
            )
            for engine in runtime.registry
        ]
    )


@router.post(
    "/webhook-secret", dependencies=[WRITE], response_model=WebhookSecret, tags=["webhooks"]
)
def get_webhook_secret(
    runtime: RuntimeDep, owner: Owner, rotate: Annotated[bool, Query()] = False
) -> WebhookSecret:
    """Your Standard Webhooks signing secret (made on first call; ``rotate=true`` replaces it)."""
    return WebhookSecret(secret=webhook_secret(runtime, owner, rotate=rotate))


__all__ = ["form_values", "read_json_body", "router", "validated"]
