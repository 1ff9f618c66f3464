"""Dependencies every route shares: the runtime, the caller (owner), scopes, owned jobs.

Ownership is decided here and only here: a job of another owner is "not found" (404),
never "forbidden", so ids do not leak (STYLE.md: ``OwnedJob``). So are scopes: each
route that acts for a caller names the scope it needs (``dependencies=[require_scope(...)]``
on the route, checked before anything else of the route runs), and a caller whose
credential lacks it gets 403 ``insufficient_scope``; a test walks every route to see
that none was forgotten (tests/unit/api/test_scopes.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from reelvault.accounts.keys import (
    anonymous_sessions_allowed,
    key_for_secret,
    keyless_mode,
    keyless_mode_recently,
)
from reelvault.accounts.scopes import ADMIN, USER_SCOPES
from reelvault.accounts.sessions import session_for_token
from reelvault.errors import InsufficientScopeError, UnauthorizedError
from reelvault.http.address_limits import AddressLimits
from reelvault.http.cookies import SESSION_COOKIE, has_session_cookie, session_token
from reelvault.http.login_throttle import LoginThrottle
from reelvault.http.ratelimit import RateLimiter
from reelvault.jobs.intake import JobIntake
from reelvault.jobs.queries import get_job
from reelvault.jobs.views import JobView
from reelvault.privacy.consent import PrivacySignals, honour_signals, privacy_signals
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER

KEY_REQUIRED = (
    "an API key is required: send Authorization: Bearer rv-..., or paste a key into the studio"
)


@dataclass
class ApiContext:
    """What the app holds for its lifetime (set in ``app.state.ctx``)."""

    runtime: Runtime
    limiter: RateLimiter
    intake: JobIntake
    address_limits: AddressLimits
    login_throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle(5, 900.0))
    workers_expected: int = 0
    workers_alive: Callable[[], int] = field(default=lambda: 0)
    # The folder this process's worker processes write their metrics to, if any.
    workers_metrics_dir: Callable[[], Path | None] = field(default=lambda: None)


# The dependencies below that do no I/O are ``async``: FastAPI runs a plain ``def``
# dependency in the thread pool, a round trip per dependency per request.


async def get_ctx(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ApiContext, Depends(get_ctx)]


async def get_runtime(ctx: Ctx) -> Runtime:
    return ctx.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@dataclass(frozen=True)
class Caller:
    """Who is calling and with what: set on ``request.state.caller`` by :func:`current_owner`."""

    owner_id: str
    scopes: frozenset[str]
    # "api_key" (a bearer key), "key_session" (a studio session opened with a key),
    # "account_session" (signed in to an account), "session" (anonymous), "local".
    credential: str
    key_id: str | None = None
    account_id: str | None = None


LOCAL_CALLER = Caller(LOCAL_OWNER, USER_SCOPES, "local")


async def current_owner(request: Request, runtime: RuntimeDep) -> str:
    signals = privacy_signals(request.headers.get("sec-gpc"), request.headers.get("dnt"))
    if not signals.opt_out and _anonymous(request) and keyless_mode_recently(runtime) is True:
        # Embedded single-user mode, answered from memory: no credentials were sent, no key
        # has ever existed here and the server is on loopback, so the caller is the local
        # owner.
        request.state.caller = LOCAL_CALLER
        return LOCAL_OWNER
    caller = await run_in_threadpool(_identify_and_honour, request, runtime, signals)
    request.state.caller = caller
    return caller.owner_id


def _anonymous(request: Request) -> bool:
    return not request.headers.get("authorization") and not has_session_cookie(request)


def _identify_and_honour(request: Request, runtime: Runtime, signals: PrivacySignals) -> Caller:
    caller = _identify(request, runtime)
    if signals.opt_out:
        # Global Privacy Control / Do Not Track count as an objection to analytics,
        # remembered so that jobs ending later (with no request in sight) respect it.
        honour_signals(runtime, caller.owner_id, signals)
    return caller


def _identify(request: Request, runtime: Runtime) -> Caller:
    """The caller: an API key's owner, a browser session's owner, or the local owner.

    In keyless single-user mode (no key has ever existed here, the server is on
    loopback), callers without a valid credential are the local owner, the same as the
    CLI. Otherwise a request must carry a valid key, a session opened with one, or, where
    ``anonymous_sessions`` allows it, an anonymous session; anything else is 401.
    """
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret.strip():
        key = key_for_secret(runtime, secret.strip())
        if key is not None:
            return Caller(key.owner_id, key.scopes, "api_key", key_id=key.id)
        if not keyless_mode(runtime):
            raise UnauthorizedError("the API key is not valid")
    token = session_token(request, runtime.settings)
    if token:
        found = session_for_token(runtime, token)
        if found is not None and (not found.anonymous or anonymous_sessions_allowed(runtime)):
            # Anonymous sessions on a server with keys are also limited per address.
            request.state.anonymous_session = found.anonymous and not keyless_mode(runtime)
            if found.account_id is not None:
                credential = "account_session"
            elif found.key_id is not None:
                credential = "key_session"
            else:
                credential = "session"
            return Caller(
                found.owner_id,
                found.scopes,
                credential,
                key_id=found.key_id,
                account_id=found.account_id,
            )
    if keyless_mode(runtime):
        return LOCAL_CALLER
    raise UnauthorizedError(KEY_REQUIRED)


async def current_caller(request: Request, owner: Owner) -> Caller:
    """The caller as :func:`current_owner` found it (it runs first: ``owner`` depends on it)."""
    caller: Caller = request.state.caller
    return caller


def _lacks(caller: Caller, scope: str) -> str:
    if scope == ADMIN and caller.credential not in ("api_key", "key_session"):
        return (
            "this route is for administrators (the admin scope): sign in to an admin "
            "account, or use an API key with the admin scope"
        )
    if caller.credential == "api_key":
        whose = "this API key"
    else:
        whose = "the API key this session was opened with"
    return (
        f"{whose} does not have the {scope} scope: create a key with it "
        f"(POST /api/v1/account/keys, or reelvault keys create --scope {scope})"
    )


def insufficient_scope(caller: Caller, scope: str) -> InsufficientScopeError:
    """The 403 for a caller whose credential lacks ``scope``, saying how to get it."""
    return InsufficientScopeError(_lacks(caller, scope), scope=scope)


def require_scope(scope: str) -> Any:
    """A route dependency: the caller's credential must carry ``scope`` (else 403).

    Use as ``@router.get(..., dependencies=[require_scope(VIDEOS_READ)])``: dependencies
    named on the route run before its parameters', so a key without the scope hears 403
    before any job is looked up.
    """

    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> None:
        if scope not in caller.scopes:
            raise insufficient_scope(caller, scope)

    check.required_scope = scope  # type: ignore[attr-defined]  # read by the route audit test
    return Depends(check)


async def check_submission_limits(ctx: ApiContext, request: Request, owner: str) -> None:
    """Rate limits on submitting work: per owner, and per address for anonymous sessions."""
    if getattr(request.state, "anonymous_session", False):
        await run_in_threadpool(ctx.address_limits.check_submission, request, ctx.runtime)
    ctx.limiter.check(owner)


Owner = Annotated[str, Depends(current_owner)]
CallerDep = Annotated[Caller, Depends(current_caller)]


def owned_job(job_id: str, runtime: RuntimeDep, owner: Owner) -> JobView:
    return get_job(runtime, job_id, owner_id=owner)


OwnedJob = Annotated[JobView, Depends(owned_job)]


def owned_video(video_id: str, runtime: RuntimeDep, owner: Owner) -> JobView:
    """The same check for the OpenAI-compatible routes, whose path names it ``video_id``."""
    return get_job(runtime, video_id, owner_id=owner)


OwnedVideo = Annotated[JobView, Depends(owned_video)]


__all__ = [
    "KEY_REQUIRED",
    "SESSION_COOKIE",
    "ApiContext",
    "Caller",
    "CallerDep",
    "Ctx",
    "Owner",
    "OwnedJob",
    "OwnedVideo",
    "RuntimeDep",
    "check_submission_limits",
    "current_caller",
    "current_owner",
    "get_ctx",
    "insufficient_scope",
    "owned_job",
    "require_scope",
]
