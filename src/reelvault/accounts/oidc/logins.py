"""Sign-ins sent to a provider and not back yet: state, nonce and PKCE verifier.

Kept server-side (``oidc_logins``), found by the SHA-256 of the ``state`` the provider
hands back, and taken (deleted) by the first callback that names it: a state works
once, for :data:`LOGIN_LIFETIME`, in the browser that began it (an HttpOnly cookie
holds a random value whose hash the row keeps).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import delete

from reelvault.accounts.owners import secret_digest
from reelvault.db.oidc_models import OidcLogin
from reelvault.errors import BadRequestError
from reelvault.runtime import Runtime

LOGIN_LIFETIME = timedelta(minutes=10)
STATE_REFUSED = (
    "this sign-in is unknown, was already used or took too long "
    "(or began in another browser): start the sign-in again"
)


@dataclass(frozen=True)
class PendingLogin:
    """What the authorization request carries, and the cookie that binds it."""

    state: str
    nonce: str
    code_challenge: str  # S256 of the verifier, which stays here
    browser_token: str


@dataclass(frozen=True)
class ReturningLogin:
    provider: str
    nonce: str
    code_verifier: str
    age_confirmed: bool


def begin_login(runtime: Runtime, provider: str, *, age_confirmed: bool) -> PendingLogin:
    state, nonce, browser = (secrets.token_urlsafe(32) for _ in range(3))
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 wants 43 to 128
    now = runtime.clock()
    with runtime.session() as session:
        # Sign-ins abandoned at the provider go here, on the way (the index makes it cheap).
        session.execute(delete(OidcLogin).where(OidcLogin.expires_at <= now))
        session.add(
            OidcLogin(
                state_hash=secret_digest(state),
                browser_hash=secret_digest(browser),
                provider=provider,
                nonce=nonce,
                code_verifier=verifier,
                age_confirmed=age_confirmed,
                expires_at=now + LOGIN_LIFETIME,
            )
        )
    return PendingLogin(
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        browser_token=browser,
    )


def take_login(
    runtime: Runtime, provider: str, *, state: str | None, browser_token: str | None
) -> ReturningLogin:
    """The sign-in this state began, deleted so that it cannot come back twice.

    :class:`BadRequestError` when the state is missing, unknown, used, expired, for
    another provider, or when this browser is not the one that began it.
    """
    if not state or not browser_token:
        raise BadRequestError(STATE_REFUSED, param="state")
    with runtime.session() as session:
        row = session.get(OidcLogin, secret_digest(state))
        if row is None:
            raise BadRequestError(STATE_REFUSED, param="state")
        session.delete(row)  # single use, whatever follows
        found = ReturningLogin(
            provider=row.provider,
            nonce=row.nonce,
            code_verifier=row.code_verifier,
            age_confirmed=row.age_confirmed,
        )
        fresh = row.expires_at > runtime.clock()
        same_browser = hmac.compare_digest(row.browser_hash, secret_digest(browser_token))
    if not fresh or not same_browser or found.provider != provider:
        raise BadRequestError(STATE_REFUSED, param="state")
    return found


__all__ = [
    "LOGIN_LIFETIME",
    "STATE_REFUSED",
    "PendingLogin",
    "ReturningLogin",
    "begin_login",
    "take_login",
]
