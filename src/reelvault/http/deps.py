"""Dependencies every route shares: the runtime, the caller (owner) and owned jobs.

Ownership is decided here and only here: a job of another owner is "not found" (404),
never "forbidden", so ids do not leak (STYLE.md: ``OwnedJob``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from reelvault.accounts.keys import (
    anonymous_sessions_allowed,
    key_for_secret,
    keyless_mode,
    keyless_mode_recently,
)
from reelvault.accounts.sessions import session_for_token
from reelvault.errors import UnauthorizedError
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


async def current_owner(request: Request, runtime: RuntimeDep) -> str:
    signals = privacy_signals(request.headers.get("sec-gpc"), request.headers.get("dnt"))
    if not signals.opt_out and _anonymous(request) and keyless_mode_recently(runtime) is True:
        # Embedded single-user mode, answered from memory: no credentials were sent, no key
        # has ever existed here and the server is on loopback, so the caller is the local
        # owner.
        return LOCAL_OWNER
    return await run_in_threadpool(_identify_and_honour, request, runtime, signals)


def _anonymous(request: Request) -> bool:
    return not request.headers.get("authorization") and not has_session_cookie(request)


def _identify_and_honour(request: Request, runtime: Runtime, signals: PrivacySignals) -> str:
    owner = _identify(request, runtime)
    if signals.opt_out:
        # Global Privacy Control / Do Not Track count as an objection to analytics,
        # remembered so that jobs ending later (with no request in sight) respect it.
        honour_signals(runtime, owner, signals)
    return owner


def _identify(request: Request, runtime: Runtime) -> str:
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
            return key.owner_id
        if not keyless_mode(runtime):
            raise UnauthorizedError("the API key is not valid")
    token = session_token(request, runtime.settings)
    if token:
        found = session_for_token(runtime, token)
        if found is not None and (not found.anonymous or anonymous_sessions_allowed(runtime)):
            # Anonymous sessions on a server with keys are also limited per address.
            request.state.anonymous_session = found.anonymous and not keyless_mode(runtime)
            return found.owner_id
    if keyless_mode(runtime):
        return LOCAL_OWNER
    raise UnauthorizedError(KEY_REQUIRED)


async def check_submission_limits(ctx: ApiContext, request: Request, owner: str) -> None:
    """Rate limits on submitting work: per owner, and per address for anonymous sessions."""
    if getattr(request.state, "anonymous_session", False):
        await run_in_threadpool(ctx.address_limits.check_submission, request, ctx.runtime)
    ctx.limiter.check(owner)


Owner = Annotated[str, Depends(current_owner)]


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
    "Ctx",
    "Owner",
    "OwnedJob",
    "OwnedVideo",
    "RuntimeDep",
    "check_submission_limits",
    "current_owner",
    "get_ctx",
    "owned_job",
]
