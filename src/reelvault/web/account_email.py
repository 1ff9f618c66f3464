"""E-mail links of accounts: confirm the address, reset a forgotten password.

``POST /api/v1/account/password-reset`` answers the same whether or not the address has
an account (nothing tells who has one); a link goes out only when it does, after the
answer (a background task), so the time the answer takes does not tell either. A reset
ends every session of the account. Tokens are single-use and expire (``accounts.tokens``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from reelvault.accounts.accounts import (
    EMAIL_LOOKUP_SECRET,
    account_email,
    find_account,
    mark_email_verified,
    set_password,
)
from reelvault.accounts.emails import MAX_EMAIL_LENGTH, normalise_email
from reelvault.accounts.passwords import MAX_PASSWORD_LENGTH, check_password_rules
from reelvault.accounts.tokens import PASSWORD_RESET, VERIFY_EMAIL, issue_token, redeem_token
from reelvault.errors import (
    ConfigError,
    GoneError,
    RateLimitedError,
    UnavailableError,
    ValidationError,
)
from reelvault.http.deps import RuntimeDep
from reelvault.http.error_schema import ErrorOut
from reelvault.privacy import mail_budget
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.web.account_keys import AccountCaller
from reelvault.web.account_mail import (
    ACCOUNT_MAIL,
    mail_settings,
    send_password_reset,
    send_signup_attempt,
    send_verification,
)
from reelvault.web.account_switch import ACCOUNTS_ON

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/account", tags=["account"])

RESET_ANSWER = {
    "status": "sent if registered",
    "message": "if an account has this address, a link to reset its password is on its way",
}
LINK_GONE = "this link does not work (any more): ask for a new one"


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=MAX_EMAIL_LENGTH)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=200)


class ResetConfirmIn(TokenIn):
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


def send_verification_link(runtime: Runtime, account_id: str) -> bool:
    """Mail a new confirmation link to the account's address; False when no mail is set up
    or it could not be sent (logged without the address)."""
    smtp = mail_settings(runtime)
    if smtp is None:
        return False
    address = account_email(runtime, account_id)
    if address is None:  # the local operator account has no address
        return False
    try:
        mail_budget.reserve(runtime, address, kind=ACCOUNT_MAIL)
        send_verification(runtime, smtp, address, issue_token(runtime, account_id, VERIFY_EMAIL))
    except (ConfigError, RateLimitedError) as exc:
        log.warning("account confirmation e-mail not sent: %s", type(exc).__name__)
        return False
    return True


def tell_owner_of_signup_attempt(runtime: Runtime, address: str) -> bool:
    """Mail the owner of ``address`` that someone tried to sign up with it again; False
    when no mail is set up or it could not be sent (logged without the address)."""
    smtp = mail_settings(runtime)
    if smtp is None:
        return False
    try:
        mail_budget.reserve(runtime, address, kind=ACCOUNT_MAIL)
        send_signup_attempt(runtime, smtp, address)
    except (ConfigError, RateLimitedError) as exc:
        log.warning("sign-up attempt e-mail not sent: %s", type(exc).__name__)
        return False
    return True


def _send_reset_link(runtime: Runtime, address: str, account_id: str) -> None:
    smtp = mail_settings(runtime)
    if smtp is None:
        return
    try:
        send_password_reset(
            runtime, smtp, address, issue_token(runtime, account_id, PASSWORD_RESET)
        )
    except ConfigError as exc:
        log.warning("password reset e-mail not sent: %s", type(exc).__name__)


@router.post("/verify-email/send", responses=_errors(401, 403, 503))
async def resend_verification(runtime: RuntimeDep, caller: AccountCaller) -> Response:
    """Mail the signed-in account a new link to confirm its address (the old one stops working)."""
    assert caller.account_id is not None
    if mail_settings(runtime) is None:
        raise UnavailableError(
            "this server sends no e-mail (smtp_host, smtp_from, public_base_url)"
        )
    sent = await run_in_threadpool(send_verification_link, runtime, caller.account_id)
    return JSONResponse({"sent": sent}, headers={"Cache-Control": "no-store"})


@router.post("/verify-email", status_code=204, responses=_errors(410, 422))
def verify_email(body: TokenIn, runtime: RuntimeDep) -> Response:
    """Confirm the address with the token from the e-mail (works once, for 2 days)."""
    account_id = redeem_token(runtime, body.token, VERIFY_EMAIL)
    if account_id is None:
        raise GoneError(LINK_GONE)
    mark_email_verified(runtime, account_id)
    return Response(status_code=204)


@router.post(
    "/password-reset",
    status_code=202,
    dependencies=[ACCOUNTS_ON],
    responses=_errors(404, 422, 429, 503),
)
def request_password_reset(
    body: ResetRequestIn, runtime: RuntimeDep, background: BackgroundTasks
) -> Response:
    """Ask for a link to reset the password. The answer is the same whether or not an
    account has this address; the e-mail goes out only when one does."""
    smtp = mail_settings(runtime)
    if smtp is None:
        raise UnavailableError(
            "this server sends no e-mail: ask its operator to reset the password"
        )
    try:
        address = normalise_email(body.email)
    except ValidationError:
        return JSONResponse(RESET_ANSWER, status_code=202)
    # Counted whether or not an account exists, so the budget's 429 tells nothing either.
    mail_budget.reserve(runtime, address, kind=ACCOUNT_MAIL)
    account = find_account(runtime, get_secret(runtime, EMAIL_LOOKUP_SECRET), address)
    if account is not None and not account.disabled:
        # After the answer: the SMTP round trip must not make known addresses slower.
        background.add_task(_send_reset_link, runtime, address, account.id)
    return JSONResponse(RESET_ANSWER, status_code=202)


@router.post(
    "/password-reset/confirm",
    status_code=204,
    dependencies=[ACCOUNTS_ON],
    responses=_errors(404, 410, 422),
)
def confirm_password_reset(body: ResetConfirmIn, runtime: RuntimeDep) -> Response:
    """Set a new password with the token from the e-mail (once, within an hour). Every
    session of the account ends; the address counts as confirmed (the mail arrived)."""
    check_password_rules(body.password)  # before the token is spent on a refused password
    account_id = redeem_token(runtime, body.token, PASSWORD_RESET)
    if account_id is None:
        raise GoneError(LINK_GONE)
    set_password(runtime, account_id, body.password)
    mark_email_verified(runtime, account_id)
    return Response(status_code=204)


__all__ = ["router", "send_verification_link", "tell_owner_of_signup_attempt"]
