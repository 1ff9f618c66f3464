"""An account's own API keys: make one (the secret is shown once), list them, revoke one.

Only from a browser signed in to the account (a session cookie): an API key cannot make
or revoke keys, so a leaked key with few scopes cannot mint itself one with more (nor
can a studio session opened by pasting such a key). Another account's key id is "not
found", the same as an id that does not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from reelvault.accounts.keys import KeyInfo, create_api_key, list_api_keys, revoke_api_key
from reelvault.accounts.scopes import ADMIN, ALL_SCOPES, SCOPE_HELP, USER_SCOPES, ordered
from reelvault.errors import ForbiddenError, UnauthorizedError
from reelvault.http.deps import Caller, CallerDep, RuntimeDep
from reelvault.http.error_schema import ErrorOut

router = APIRouter(prefix="/api/v1/account/keys", tags=["account"])

_SCOPES_TEXT = "; ".join(f"`{name}`: {SCOPE_HELP[name]}" for name in ALL_SCOPES)


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="A label: who or what uses it.")
    scopes: list[str] = Field(
        default_factory=lambda: ordered(USER_SCOPES),
        max_length=len(ALL_SCOPES),
        description=f"What the key may do (default: every scope but admin). {_SCOPES_TEXT}.",
    )


class KeyOut(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    scopes: list[str]
    created_at: datetime
    last_used_on: date | None = Field(description="The day (UTC) it was last used; no time.")
    revoked: bool
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    secret: str = Field(description="The key itself: shown this once, stored only hashed.")


class KeyList(BaseModel):
    data: list[KeyOut]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


async def signed_in_account(caller: CallerDep) -> Caller:
    """The caller, if it is a browser session signed in to an account."""
    if caller.credential in ("api_key", "key_session"):
        raise ForbiddenError(
            "API keys are managed from a browser signed in to the account, not with a key"
        )
    if caller.credential != "account_session":
        raise UnauthorizedError("sign in to an account to manage its API keys")
    return caller


AccountCaller = Annotated[Caller, Depends(signed_in_account)]


def _out(key: KeyInfo) -> KeyOut:
    return KeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=ordered(key.scopes),
        created_at=key.created_at,
        last_used_on=key.last_used_on,
        revoked=key.revoked_at is not None,
        revoked_at=key.revoked_at,
    )


@router.post("", status_code=201, response_model=KeyCreated, responses=_errors(401, 403, 422))
async def create_key(body: KeyCreate, runtime: RuntimeDep, caller: AccountCaller) -> Response:
    """Make an API key for this account. The answer holds its secret, shown only this once.

    `admin` only for an admin account.
    """
    wanted = frozenset(body.scopes)
    if ADMIN in wanted and ADMIN not in caller.scopes:
        raise ForbiddenError("the admin scope is only for keys of admin accounts")
    created = await run_in_threadpool(
        lambda: create_api_key(runtime, name=body.name, owner_id=caller.owner_id, scopes=wanted)
    )
    out = KeyCreated(
        id=created.id,
        name=created.name,
        prefix=created.prefix,
        scopes=ordered(created.scopes),
        created_at=created.created_at,
        last_used_on=None,
        revoked=False,
        revoked_at=None,
        secret=created.secret,
    )
    # The secret must not linger in a cache anywhere.
    return JSONResponse(
        out.model_dump(mode="json"), status_code=201, headers={"Cache-Control": "no-store"}
    )


@router.get("", response_model=KeyList, responses=_errors(401, 403))
async def list_keys(runtime: RuntimeDep, caller: AccountCaller) -> KeyList:
    """This account's keys, revoked ones included (never their secrets)."""
    keys = await run_in_threadpool(lambda: list_api_keys(runtime, owner_id=caller.owner_id))
    return KeyList(data=[_out(key) for key in keys])


@router.delete("/{key_id}", status_code=204, responses=_errors(401, 403, 404))
async def revoke_key(
    key_id: Annotated[str, Path(max_length=40)], runtime: RuntimeDep, caller: AccountCaller
) -> Response:
    """Revoke one of this account's keys at once (the studio sessions opened with it end)."""
    await run_in_threadpool(lambda: revoke_api_key(runtime, key_id, owner_id=caller.owner_id))
    return Response(status_code=204)


__all__ = ["router"]
