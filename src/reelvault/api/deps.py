"""Dependencies every route shares: the runtime, the caller (owner) and owned jobs.

Ownership is decided here and only here: a job of another owner is "not found" (404),
never "forbidden", so ids do not leak (STYLE.md: ``OwnedJob``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from reelvault.api.ratelimit import RateLimiter
from reelvault.errors import UnauthorizedError
from reelvault.jobs.intake import JobIntake
from reelvault.jobs.owners import (
    keys_configured,
    keys_configured_recently,
    owner_for_key,
    owner_for_session,
)
from reelvault.jobs.runtime import Runtime
from reelvault.jobs.service import JobView, get_job
from reelvault.privacy.consent import PrivacySignals, honour_signals, privacy_signals
from reelvault.types import LOCAL_OWNER

SESSION_COOKIE = "rv_session"


@dataclass
class ApiContext:
    """What the app holds for its lifetime (set in ``app.state.ctx``)."""

    runtime: Runtime
    limiter: RateLimiter
    intake: JobIntake
    workers_expected: int = 0
    workers_alive: Callable[[], int] = field(default=lambda: 0)


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
    if not signals.opt_out and _anonymous(request) and keys_configured_recently(runtime) is False:
        # Embedded single-user mode, answered from memory: no credentials were sent and
        # no key existed a moment ago, so the caller is the local owner.
        return LOCAL_OWNER
    return await run_in_threadpool(_identify_and_honour, request, runtime, signals)


def _anonymous(request: Request) -> bool:
    return not request.headers.get("authorization") and not request.cookies.get(SESSION_COOKIE)


def _identify_and_honour(request: Request, runtime: Runtime, signals: PrivacySignals) -> str:
    owner = _identify(request, runtime)
    if signals.opt_out:
        # Global Privacy Control / Do Not Track count as an objection to analytics,
        # remembered so that jobs ending later (with no request in sight) respect it.
        honour_signals(runtime, owner, signals)
    return owner


def _identify(request: Request, runtime: Runtime) -> str:
    """The caller: an API key's owner, a browser session's owner, or the local owner.

    While no API key exists (embedded, single-user mode on loopback), unauthenticated
    callers are the local owner, the same as the CLI. Once a key exists, a request must
    carry a valid key or session.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        owner = owner_for_key(runtime, token.strip())
        if owner is not None:
            return owner
        if keys_configured(runtime):
            raise UnauthorizedError("the API key is not valid")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        owner = owner_for_session(runtime, cookie)
        if owner is not None:
            return owner
    if not keys_configured(runtime):
        return LOCAL_OWNER
    raise UnauthorizedError("an API key is required: Authorization: Bearer rv-...")


Owner = Annotated[str, Depends(current_owner)]


def owned_job(job_id: str, runtime: RuntimeDep, owner: Owner) -> JobView:
    return get_job(runtime, job_id, owner_id=owner)


OwnedJob = Annotated[JobView, Depends(owned_job)]


def owned_video(video_id: str, runtime: RuntimeDep, owner: Owner) -> JobView:
    """The same check for the OpenAI-compatible routes, whose path names it ``video_id``."""
    return get_job(runtime, video_id, owner_id=owner)


OwnedVideo = Annotated[JobView, Depends(owned_video)]


__all__ = [
    "SESSION_COOKIE",
    "ApiContext",
    "Ctx",
    "Owner",
    "OwnedJob",
    "OwnedVideo",
    "RuntimeDep",
    "current_owner",
    "get_ctx",
    "owned_job",
]
