"""Videos made from a finished job, in the native API: remix, extend, edit.

``POST /api/v1/jobs/{id}/remix``, ``/extend`` and ``/edit`` make a new job from one of
the caller's completed jobs (another owner's is a 404), recording its source's id; see
:mod:`reelvault.jobs.derive`. The OpenAI-compatible routes are in
:mod:`reelvault.api.routes.openai_videos`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from reelvault.accounts.scopes import VIDEOS_WRITE
from reelvault.api.accept import accept_derived
from reelvault.api.routes.native import ERRORS, read_json_body, validated
from reelvault.api.schemas.native import JobOut
from reelvault.engines.base import Derivation
from reelvault.http.deps import Ctx, OwnedJob, Owner, check_submission_limits, require_scope
from reelvault.jobs.derive import STRENGTH, DeriveAsk

router = APIRouter(prefix="/api/v1", tags=["native"])
WRITE = require_scope(VIDEOS_WRITE)


class Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(
        min_length=1,
        max_length=100_000,
        description="What to change (time of day, weather, colours, subjects; for a photo "
        "or a dance: the camera or the dance's look). Stored like any prompt.",
    )


class Remix(Edit):
    strength: float | None = Field(None, gt=0, le=1, description=STRENGTH)


class Extend(Edit):
    seconds: float = Field(gt=0, le=600, description="Seconds to add after the source's end.")


def _body(model: type[Edit]) -> dict[str, object]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


async def _derive(
    request: Request, ctx: Ctx, owner: str, job_id: str, derivation: Derivation
) -> JobOut:
    """Another owner's job was already a 404 (``OwnedJob``), whatever the body says."""
    models: dict[Derivation, type[Edit]] = {
        Derivation.REMIX: Remix,
        Derivation.EXTENSION: Extend,
        Derivation.EDIT: Edit,
    }
    body = validated(models[derivation], await read_json_body(request))
    await check_submission_limits(ctx, request, owner)
    seconds = body.seconds if isinstance(body, Extend) else None
    strength = body.strength if isinstance(body, Remix) else None
    ask = DeriveAsk(derivation, job_id, owner, body.prompt, seconds=seconds, strength=strength)
    return JobOut.of(await accept_derived(ctx.intake, ctx.runtime, ask))


@router.post(
    "/jobs/{job_id}/remix",
    dependencies=[WRITE],
    status_code=201,
    response_model=JobOut,
    responses=ERRORS,
    openapi_extra=_body(Remix),
    summary="Remix a completed job with a new prompt",
)
async def remix_job(job: OwnedJob, request: Request, ctx: Ctx, owner: Owner) -> JobOut:
    return await _derive(request, ctx, owner, job.id, Derivation.REMIX)


@router.post(
    "/jobs/{job_id}/extend",
    dependencies=[WRITE],
    status_code=201,
    response_model=JobOut,
    responses=ERRORS,
    openapi_extra=_body(Extend),
    summary="Continue a completed job by some seconds, into one stitched video",
)
async def extend_job(job: OwnedJob, request: Request, ctx: Ctx, owner: Owner) -> JobOut:
    return await _derive(request, ctx, owner, job.id, Derivation.EXTENSION)


@router.post(
    "/jobs/{job_id}/edit",
    dependencies=[WRITE],
    status_code=201,
    response_model=JobOut,
    responses=ERRORS,
    openapi_extra=_body(Edit),
    summary="Edit a completed job following an instruction",
)
async def edit_job(job: OwnedJob, request: Request, ctx: Ctx, owner: Owner) -> JobOut:
    return await _derive(request, ctx, owner, job.id, Derivation.EDIT)


__all__ = ["router"]
