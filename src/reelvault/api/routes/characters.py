"""Characters: OpenAI's ``/v1/videos/characters`` and the native ``/api/v1/characters``.

A character is a person's appearance (a photo or a short video) saved under a name, for
later videos to use by name (``@name`` in a prompt, or ``character``) without uploading
again. It is likeness data: creating one needs ``likeness_affirmed=true`` (the SDK sends
it with ``extra_body``), recorded in the consent ledger; it is encrypted, shown only to
its owner, included in export and erased with everything else (docs/characters.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from reelvault.accounts.scopes import VIDEOS_READ, VIDEOS_WRITE
from reelvault.api.multipart import parse_form
from reelvault.api.routes.native import form_values, validated
from reelvault.api.schemas.openai import OpenAIError
from reelvault.errors import PayloadTooLargeError, ValidationError
from reelvault.http.deps import Ctx, Owner, RuntimeDep, check_submission_limits, require_scope
from reelvault.http.error_schema import ErrorOut
from reelvault.jobs.characters import (
    CharacterView,
    create_character,
    delete_character,
    get_character,
    list_characters,
)
from reelvault.jobs.uploads import UploadedInput, discard_uploads
from reelvault.runtime import Runtime

openai_router = APIRouter(prefix="/v1", tags=["openai"])
router = APIRouter(prefix="/api/v1", tags=["characters"])
READ = require_scope(VIDEOS_READ)
WRITE = require_scope(VIDEOS_WRITE)
CharacterId = Annotated[str, Path(max_length=64)]

OPENAI_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIError} for status in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}
_MEDIA_FIELDS = ("video", "image", "media")  # OpenAI's name first; any one of them


class CharacterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, description="Display name, used in prompts as @name.")
    likeness_affirmed: bool = Field(
        default=False,
        description="You are the person shown, or have their permission (required).",
    )


CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "likeness_affirmed": {"type": "boolean"},
                        "video": {
                            "type": "string",
                            "format": "binary",
                            "description": "A short video (its first 4 s are used) or a "
                            "photo (JPEG, PNG, WebP) of the person.",
                        },
                    },
                }
            }
        },
    }
}


class OpenAICharacter(BaseModel):
    """OpenAI's ``VideoCreateCharacterResponse`` / ``VideoGetCharacterResponse``."""

    id: str
    created_at: int
    name: str

    @classmethod
    def of(cls, view: CharacterView) -> OpenAICharacter:
        return cls(id=view.id, created_at=int(view.created_at.timestamp()), name=view.name)


class CharacterOut(BaseModel):
    id: str
    object: Literal["character"] = "character"
    name: str
    media_type: str = Field(description="The type of the photo or video it was made from.")
    created_at: datetime
    expires_at: datetime | None = Field(description="When the policy deletes it (null: never).")

    @classmethod
    def of(cls, view: CharacterView) -> CharacterOut:
        return cls(
            id=view.id,
            name=view.name,
            media_type=view.media_type,
            created_at=view.created_at,
            expires_at=view.expires_at,
        )


class CharacterList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CharacterOut]


class CharacterDeleted(BaseModel):
    id: str
    object: Literal["character.deleted"] = "character.deleted"
    deleted: bool


def _media(runtime: Runtime, uploads: list[UploadedInput]) -> UploadedInput:
    if len(uploads) != 1:
        raise ValidationError(
            "send exactly one photo or video of the person (field `video`)", param="video"
        )
    upload = uploads[0]
    limit = runtime.settings.max_image_bytes
    if upload.media_type.kind == "image" and upload.size > limit:
        raise PayloadTooLargeError(f"an image may be at most {limit} bytes", param="video")
    return upload


async def _create(request: Request, ctx: Ctx, owner: str) -> CharacterView:
    runtime = ctx.runtime
    uploads: list[UploadedInput] = []
    try:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise ValidationError(
                "send the photo or video as multipart/form-data (field `video`)", param="video"
            )
        form = await parse_form(
            request,
            runtime,
            file_fields={name: "character" for name in _MEDIA_FIELDS},
            limits={"character": runtime.settings.max_video_bytes},
        )
        uploads = form.uploads
        body = validated(CharacterCreate, form_values(form.fields))
        await check_submission_limits(ctx, request, owner)
        upload = _media(runtime, uploads)
    except BaseException:
        await run_in_threadpool(discard_uploads, runtime, uploads)
        raise
    return await run_in_threadpool(
        lambda: create_character(
            runtime,
            owner,
            name=body.name,
            upload=upload,
            likeness_affirmed=body.likeness_affirmed,
        )
    )


_CREATE_HELP = (
    "A person's appearance from a photo or a short video (its first 4 seconds), saved "
    "under a name for later videos (`@name` in a prompt, or `character`). Needs "
    "`likeness_affirmed=true`: you are the person shown or have their permission "
    "(`extra_body` with the SDK); recorded in the consent ledger. 400 where the server's "
    "policy keeps no characters."
)


@openai_router.post(
    "/videos/characters",
    dependencies=[WRITE],
    response_model=OpenAICharacter,
    responses=OPENAI_ERRORS,
    openapi_extra=CREATE_BODY,
    summary="Create a character (OpenAI Videos API)",
    description=_CREATE_HELP,
)
async def openai_create_character(request: Request, ctx: Ctx, owner: Owner) -> OpenAICharacter:
    return OpenAICharacter.of(await _create(request, ctx, owner))


@openai_router.get(
    "/videos/characters/{character_id}",
    dependencies=[READ],
    response_model=OpenAICharacter,
    responses=OPENAI_ERRORS,
    summary="Fetch a character (OpenAI Videos API)",
)
def openai_get_character(
    character_id: CharacterId, runtime: RuntimeDep, owner: Owner
) -> OpenAICharacter:
    return OpenAICharacter.of(get_character(runtime, owner, character_id))


@router.post(
    "/characters",
    dependencies=[WRITE],
    status_code=201,
    response_model=CharacterOut,
    responses=ERRORS,
    openapi_extra=CREATE_BODY,
    summary="Save a character",
    description=_CREATE_HELP,
)
async def create_character_route(request: Request, ctx: Ctx, owner: Owner) -> CharacterOut:
    return CharacterOut.of(await _create(request, ctx, owner))


@router.get("/characters", dependencies=[READ], response_model=CharacterList, responses=ERRORS)
def list_characters_route(runtime: RuntimeDep, owner: Owner) -> CharacterList:
    return CharacterList(data=[CharacterOut.of(v) for v in list_characters(runtime, owner)])


@router.get(
    "/characters/{character_id}",
    dependencies=[READ],
    response_model=CharacterOut,
    responses=ERRORS,
)
def get_character_route(
    character_id: CharacterId, runtime: RuntimeDep, owner: Owner
) -> CharacterOut:
    return CharacterOut.of(get_character(runtime, owner, character_id))


@router.delete(
    "/characters/{character_id}",
    dependencies=[WRITE],
    response_model=CharacterDeleted,
    responses=ERRORS,
    summary="Delete a character (its photo or video and name are crypto-shredded)",
)
def delete_character_route(
    character_id: CharacterId, runtime: RuntimeDep, owner: Owner
) -> CharacterDeleted:
    delete_character(runtime, owner, character_id)
    return CharacterDeleted(id=character_id, deleted=True)


__all__ = ["openai_router", "router"]
