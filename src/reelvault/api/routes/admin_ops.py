"""Admin: the data-subject request queue, engines and providers, the audit chain.

For administrators only (``api/admin_access.py``). Nothing here shows a secret: the
provider view says whether a credential is set, never what it is, and names each
endpoint by scheme and host only (a URL may carry a user name, password or token).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from reelvault.api.admin_access import REQUIRE_ADMIN, AdminDep
from reelvault.engines.remote.config import RemoteConfig
from reelvault.http.deps import RuntimeDep
from reelvault.http.error_schema import ErrorOut
from reelvault.privacy import admin_actions, audit_log, dsr
from reelvault.runtime import Runtime

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[REQUIRE_ADMIN])


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in (401, 403, *statuses)}


# -- the data-subject request queue ------------------------------------------------------------


class RequestOut(BaseModel):
    id: str
    kind: str = Field(description="access, export, erase, rectify, restrict or object.")
    channel: str = Field(description="email, self_service or operator.")
    status: str = Field(description="awaiting_verification or resolved.")
    created_at: datetime
    due_at: datetime = Field(description="When the answer is due (the policy's deadline).")
    resolved_at: datetime | None
    overdue: bool = Field(description="Not resolved and past `due_at`.")
    result: dict[str, Any] = Field(description="Counts of what was done; no personal data.")


class RequestList(BaseModel):
    object: Literal["list"] = "list"
    data: list[RequestOut]


def _request_out(info: dsr.RequestInfo) -> RequestOut:
    return RequestOut(
        id=info.id,
        kind=info.kind,
        channel=info.channel,
        status=info.status,
        created_at=info.created_at,
        due_at=info.due_at,
        resolved_at=info.resolved_at,
        overdue=info.overdue,
        result=info.result,
    )


@router.get("/requests", response_model=RequestList, responses=_errors())
async def list_requests(
    runtime: RuntimeDep,
    overdue: Annotated[bool, Query(description="Only the late ones.")] = False,
) -> RequestList:
    """Data-subject requests, soonest due first, with their due dates (no addresses)."""
    items = await run_in_threadpool(lambda: dsr.list_requests(runtime, overdue_only=overdue))
    return RequestList(data=[_request_out(item) for item in items])


@router.post(
    "/requests/{request_id}/resolve", response_model=RequestOut, responses=_errors(404, 409)
)
async def resolve_request(
    request_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")],
    runtime: RuntimeDep,
    admin: AdminDep,
) -> RequestOut:
    """Mark a request answered (handled another way, or refused as unfounded); audit-logged.

    Acting on a request verified by its e-mailed code is `reelvault privacy requests
    verify CODE` on the server (it may write an export for you to send).
    """
    info = await run_in_threadpool(
        lambda: admin_actions.close_request(runtime, request_id, actor=admin.actor)
    )
    return _request_out(info)


# -- engines and providers ---------------------------------------------------------------------


class EngineSummary(BaseModel):
    name: str
    tasks: list[str]
    device: str
    runs_locally: bool
    limits: dict[str, Any]


class ProviderOut(BaseModel):
    name: Literal["fal", "replicate", "comfyui"]
    configured: bool = Field(description="Jobs can use it (its credential or URL is set).")
    endpoint: str | None = Field(description="Scheme and host only, never a credential.")
    credential_set: bool = Field(description="Whether a key or token is set (never which).")
    third_party: bool = Field(description="Data leaves the operator's machines (consent asked).")


class EngineSettings(BaseModel):
    engines: list[EngineSummary]
    providers: list[ProviderOut]
    remote_timeout_seconds: float


def _endpoint(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme else None


def _engine_settings(runtime: Runtime) -> EngineSettings:
    config = RemoteConfig.from_settings(runtime.settings)
    providers = [
        ProviderOut(
            name="fal",
            configured=config.fal_enabled,
            endpoint=_endpoint(config.fal_queue_url),
            credential_set=config.fal_enabled,
            third_party=True,
        ),
        ProviderOut(
            name="replicate",
            configured=config.replicate_enabled,
            endpoint=_endpoint(config.replicate_api_url),
            credential_set=config.replicate_enabled,
            third_party=True,
        ),
        ProviderOut(
            name="comfyui",
            configured=config.comfyui_enabled,
            endpoint=_endpoint(config.comfyui_url),
            credential_set=False,
            third_party=not config.comfyui_is_own_server,
        ),
    ]
    engines = [
        EngineSummary(
            name=engine.name,
            tasks=sorted(str(task) for task in engine.tasks),
            device=engine.device,
            runs_locally=engine.runs_locally,
            limits=engine.limits.as_dict(),
        )
        for engine in runtime.registry
    ]
    return EngineSettings(
        engines=engines, providers=providers, remote_timeout_seconds=config.timeout_seconds
    )


@router.get("/engines", response_model=EngineSettings, responses=_errors())
async def engine_settings(runtime: RuntimeDep) -> EngineSettings:
    """The installed engines and the remote providers configured (read-only; no secrets)."""
    return await run_in_threadpool(_engine_settings, runtime)


# -- the audit log ----------------------------------------------------------------------------


class AuditProblemOut(BaseModel):
    seq: int
    kind: str = Field(
        description="edited, missing, broken_link, bad_start, head_mismatch, emptied or rewritten."
    )
    detail: str


class AuditReportOut(BaseModel):
    ok: bool
    entries: int
    first_seq: int | None
    head_seq: int | None
    head_hash: str = Field(description="Note it outside the database; pass it as `expect_head`.")
    problems: list[AuditProblemOut]


@router.get("/audit/verify", response_model=AuditReportOut, responses=_errors(422))
async def verify_audit_log(
    runtime: RuntimeDep,
    expect_head: Annotated[
        str | None,
        Query(
            max_length=90,
            description="A head noted earlier (`head_hash` or `seq:head_hash`): entries "
            "removed from the end show as `head_mismatch`.",
        ),
    ] = None,
) -> AuditReportOut:
    """Check the audit log's hash chain, like `reelvault audit verify` (always 200: `ok`
    says whether the chain is intact, `problems` where it is not)."""
    report = await run_in_threadpool(lambda: audit_log.verify(runtime, expected_head=expect_head))
    return AuditReportOut.model_validate(report.to_dict())


__all__ = ["router"]
