"""Accounts in the browser and the API: sign up, sign in, sign out, me, delete my account.

Signing in gives the browser a new session (a new id, never one it brought: session
fixation) acting as the account's owner. A wrong password, an unknown address and a
disabled account all get the same answer, so the answer does not tell who has an account;
an unknown address still costs one argon2 verification (against a dummy hash), so the
time does not tell either. Signing up answers the same 202 whether or not the address
has an account: a new one is made and mailed a confirmation link, the owner of an
existing one is mailed that someone tried (neither where the server sends no mail).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from reelvault.accounts.accounts import (
    EMAIL_LOOKUP_SECRET,
    MAX_DISPLAY_NAME_LENGTH,
    AccountInfo,
    account_display_name,
    account_email,
    account_for_owner,
    authenticate,
    create_account,
    set_display_name,
)
from reelvault.accounts.emails import MAX_EMAIL_LENGTH, attempt_lookup, normalise_email
from reelvault.accounts.oidc.identities import linked_providers
from reelvault.accounts.passwords import MAX_PASSWORD_LENGTH
from reelvault.accounts.scopes import PRIVACY
from reelvault.accounts.sessions import (
    end_session,
    end_session_by_handle,
    end_sessions_of,
    session_for_token,
    session_handle,
    sessions_of,
)
from reelvault.errors import ConflictError, NotFoundError, UnauthorizedError
from reelvault.http.cookies import session_token
from reelvault.http.deps import Ctx, Owner, RuntimeDep, require_scope
from reelvault.http.error_schema import ErrorOut
from reelvault.privacy.erase import erase_owner
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.web.account_email import send_verification_link, tell_owner_of_signup_attempt
from reelvault.web.account_mail import mail_settings
from reelvault.web.account_switch import ACCOUNTS_ON
from reelvault.web.headers import clear_session_cookies, issue_session

router = APIRouter(prefix="/api/v1/account", tags=["account"])

WRONG_CREDENTIALS = "the e-mail address or the password is wrong"
SIGNUP_ANSWER = {
    "status": "accepted",
    "message": "if this address can have a new account, it has one now: confirm it with "
    "the link e-mailed to it, then sign in",
}
SIGNUP_ANSWER_NO_MAIL = {
    "status": "accepted",
    "message": "if this address can have a new account, it has one now: sign in",
}


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=MAX_EMAIL_LENGTH)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    age_confirmed: bool = Field(
        description="The person confirms being at least the policy's minimum age."
    )
    display_name: str | None = Field(
        default=None,
        max_length=MAX_DISPLAY_NAME_LENGTH,
        description="How the studio greets the person (optional; kept encrypted).",
    )


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=MAX_EMAIL_LENGTH)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(
        max_length=MAX_DISPLAY_NAME_LENGTH, description="The new display name; null or empty: none."
    )


class AccountOut(BaseModel):
    id: str
    email: str | None = Field(description="None only for the local operator account.")
    display_name: str | None
    role: str
    created_at: datetime
    email_verified: bool
    sign_in_providers: list[str] = Field(
        default_factory=list,
        description="The OpenID Connect providers (names in `oidc_providers`) linked to it.",
    )


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


def _lookup_key(runtime: Runtime) -> bytes:
    return get_secret(runtime, EMAIL_LOOKUP_SECRET)


def _out(runtime: Runtime, account: AccountInfo) -> AccountOut:
    return AccountOut(
        id=account.id,
        email=account_email(runtime, account.id),
        display_name=account_display_name(runtime, account.id),
        role=account.role,
        created_at=account.created_at,
        email_verified=account.email_verified,
        sign_in_providers=linked_providers(runtime, account.id),
    )


def _signed_in(
    request: Request, runtime: Runtime, account: AccountInfo, status_code: int
) -> Response:
    response = JSONResponse(
        _out(runtime, account).model_dump(mode="json"),
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )
    issue_session(request, response, runtime, account=account)
    return response


class SignupOut(BaseModel):
    status: str
    message: str


@router.post(
    "/signup",
    status_code=202,
    dependencies=[ACCOUNTS_ON],
    response_model=SignupOut,
    responses=_errors(404, 413, 422, 429),
)
def signup(body: SignupIn, request: Request, ctx: Ctx, background: BackgroundTasks) -> Response:
    """Create an account; then sign in with `POST /api/v1/account/login`.

    The password needs at least 12 characters. `age_confirmed` must be true: accounts are
    for people of at least the policy's minimum age. The answer is the same 202 whether
    or not the address already has an account (nothing tells who has one): where the
    server sends mail, a new address gets a link to confirm it, and the owner of an
    existing one is told that someone tried. Sign-ups per network address are limited
    (`signups_per_address_per_hour`; past it 429 with `Retry-After`).
    """
    runtime = ctx.runtime
    ctx.address_limits.check_signup(request, runtime)
    try:
        # Refusals (age, password rules, a malformed address) come before the address is
        # looked up, and the password is hashed either way: the same time for both.
        account = create_account(
            runtime,
            _lookup_key(runtime),
            email=body.email,
            password=body.password,
            age_confirmed=body.age_confirmed,
            display_name=body.display_name,
        )
    except ConflictError:
        # Mail after the answer, so SMTP's round trip shows in neither branch's timing.
        background.add_task(tell_owner_of_signup_attempt, runtime, normalise_email(body.email))
    else:
        background.add_task(send_verification_link, runtime, account.id)
    answer = SIGNUP_ANSWER if mail_settings(runtime) is not None else SIGNUP_ANSWER_NO_MAIL
    return JSONResponse(answer, status_code=202, headers={"Cache-Control": "no-store"})


@router.post(
    "/login",
    dependencies=[ACCOUNTS_ON],
    response_model=AccountOut,
    responses=_errors(401, 404, 422, 429),
)
def login(body: LoginIn, request: Request, ctx: Ctx) -> Response:
    """Sign in with e-mail and password: a new session cookie for this browser.

    After 5 wrong passwords for one address or from one network address, each further
    try waits (429 with `Retry-After`, doubling up to 15 minutes by default).
    """
    runtime = ctx.runtime
    lookup_key = _lookup_key(runtime)
    account_key = "account:" + attempt_lookup(lookup_key, body.email)
    address_key = "address:" + ctx.address_limits.pseudonym(request, runtime)
    ctx.login_throttle.check(runtime, account_key, address_key)
    account = authenticate(runtime, lookup_key, email=body.email, password=body.password)
    if account is None:
        ctx.login_throttle.failed(runtime, account_key, address_key)
        raise UnauthorizedError(WRONG_CREDENTIALS)
    ctx.login_throttle.succeeded(runtime, account_key)
    return _signed_in(request, runtime, account, 200)


@router.post("/logout", status_code=204)
def logout(
    request: Request,
    runtime: RuntimeDep,
    everywhere: Annotated[
        bool, Query(description="End every session of this account, on every device.")
    ] = False,
) -> Response:
    """End this browser's session (its cookie opens nothing afterwards), or all of them."""
    token = session_token(request, runtime.settings)
    if token:
        found = session_for_token(runtime, token)
        if everywhere and found is not None and not found.anonymous:
            end_sessions_of(runtime, found.owner_id)
        end_session(runtime, token)
    response = Response(status_code=204)
    clear_session_cookies(request, response, runtime)
    return response


async def _my_account(runtime: Runtime, owner: str) -> AccountInfo:
    account = await run_in_threadpool(account_for_owner, runtime, owner)
    if account is None:
        raise NotFoundError("not signed in to an account")
    return account


@router.get(
    "",
    dependencies=[require_scope(PRIVACY)],
    response_model=AccountOut,
    responses=_errors(401, 403, 404),
)
async def me(runtime: RuntimeDep, owner: Owner) -> AccountOut:
    """The signed-in account (with a session cookie or one of its keys with `privacy`)."""
    account = await _my_account(runtime, owner)
    return await run_in_threadpool(_out, runtime, account)


@router.patch(
    "",
    dependencies=[require_scope(PRIVACY)],
    response_model=AccountOut,
    responses=_errors(401, 403, 404, 422),
)
async def update_my_account(body: ProfileIn, runtime: RuntimeDep, owner: Owner) -> AccountOut:
    """Change the display name (the old one is shredded, not kept)."""
    account = await _my_account(runtime, owner)
    await run_in_threadpool(set_display_name, runtime, account.id, body.display_name)
    return await run_in_threadpool(_out, runtime, account)


class SessionOut(BaseModel):
    id: str = Field(description="Names the session here; it opens nothing.")
    created_at: datetime = Field(description="When it was signed in.")
    expires_at: datetime = Field(description="When it ends unless used (idle timeout).")
    current: bool = Field(description="The session of the browser asking.")
    opened_with_key: bool = Field(description="Opened by pasting an API key into the studio.")


@router.get(
    "/sessions",
    dependencies=[require_scope(PRIVACY)],
    response_model=list[SessionOut],
    responses=_errors(401, 403, 404),
)
async def my_sessions(request: Request, runtime: RuntimeDep, owner: Owner) -> list[SessionOut]:
    """The account's live browser sessions, newest first. No address or browser name is
    kept, so a session is told apart by when it began."""
    await _my_account(runtime, owner)
    token = session_token(request, runtime.settings)
    mine = session_handle(token) if token else None
    found = await run_in_threadpool(sessions_of, runtime, owner)
    return [
        SessionOut(
            id=item.handle,
            created_at=item.created_at,
            expires_at=item.expires_at,
            current=item.handle == mine,
            opened_with_key=item.opened_with_key,
        )
        for item in found
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    dependencies=[require_scope(PRIVACY)],
    responses=_errors(401, 403, 404),
)
async def end_one_session(session_id: str, runtime: RuntimeDep, owner: Owner) -> Response:
    """End one session of the account (a lost phone, a shared computer): its cookie opens
    nothing afterwards. Another account's session is 404, like a missing one."""
    await _my_account(runtime, owner)
    if not await run_in_threadpool(end_session_by_handle, runtime, owner, session_id):
        raise NotFoundError("no such session")
    return Response(status_code=204)


@router.delete("", dependencies=[require_scope(PRIVACY)], responses=_errors(401, 403, 404))
async def delete_my_account(request: Request, runtime: RuntimeDep, owner: Owner) -> Response:
    """Delete the account and erase everything of it (jobs, media, keys, sessions).

    The same erasure as `POST /api/v1/privacy/erase`; the answer counts what went.
    """
    await _my_account(runtime, owner)
    report = await run_in_threadpool(erase_owner, runtime, owner, action="account.delete")
    response = JSONResponse(
        {"deleted": True, "erased": report.as_dict()}, headers={"Cache-Control": "no-store"}
    )
    clear_session_cookies(request, response, runtime)
    return response


__all__ = ["router"]
