"""Abuse reports, ``POST /api/v1/reports``: anyone who can call the API may report a job.

A report names the job and a reason from a fixed list; it records neither who reported
nor any text (docs/moderation.md). The operator reviews reports with ``reelvault reports``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from reelvault.accounts.scopes import VIDEOS_WRITE
from reelvault.api.admin_access import REQUIRE_ADMIN, AdminDep
from reelvault.http.deps import Ctx, Owner, RuntimeDep, check_submission_limits, require_scope
from reelvault.http.error_schema import ErrorOut
from reelvault.privacy.abuse_reports import (
    ReportReason,
    ReportView,
    Resolution,
    file_report,
    list_reports,
    resolve_report,
)

router = APIRouter(prefix="/api/v1", tags=["reports"])
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 422, 429)
}


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(max_length=64, description="The job (video) being reported.")
    reason: ReportReason = Field(description="Why it breaks the rules.")


class ReportOut(BaseModel):
    id: str
    object: Literal["report"] = "report"
    job_id: str
    reason: ReportReason
    status: str = Field(description="open until the operator resolves it")
    created_at: datetime

    @classmethod
    def of(cls, view: ReportView) -> ReportOut:
        return cls(
            id=view.id,
            job_id=view.job_id,
            reason=view.reason,
            status=view.status,
            created_at=view.created_at,
        )


@router.post(
    "/reports",
    dependencies=[require_scope(VIDEOS_WRITE)],
    status_code=201,
    response_model=ReportOut,
    responses=ERRORS,
    summary="Report a video that breaks the rules",
)
async def create_report(body: ReportCreate, request: Request, ctx: Ctx, owner: Owner) -> ReportOut:
    """Report a job's video to the operator. Nothing about you is recorded with it. While
    the report is open, the video is kept past its normal retention for review, at most
    for the policy's abuse-review window (``abuse_report`` retention); then it is deleted
    like everything else. 404 when there is no such job."""
    await check_submission_limits(ctx, request, owner)
    view = await run_in_threadpool(file_report, ctx.runtime, job_id=body.job_id, reason=body.reason)
    return ReportOut.of(view)


# -- the operator's side (admin accounts; `reelvault reports` on the server does the same) --

admin_router = APIRouter(prefix="/api/v1/admin", tags=["admin"], dependencies=[REQUIRE_ADMIN])
ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut} for status in (401, 403, 404, 409)
}


class ReportAdminOut(ReportOut):
    resolution: Resolution | None
    resolved_at: datetime | None
    hold_until: datetime | None = Field(
        description="Until when the reported video is kept past its retention for review "
        "(null: nothing held)."
    )

    @classmethod
    def of(cls, view: ReportView) -> ReportAdminOut:
        return cls(
            **ReportOut.of(view).model_dump(),
            resolution=Resolution(view.resolution) if view.resolution else None,
            resolved_at=view.resolved_at,
            hold_until=view.hold_until,
        )


class ReportList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ReportAdminOut]


class ReportResolve(BaseModel):
    model_config = ConfigDict(extra="forbid")

    remove: bool = Field(default=False, description="Take the video down: shred the job now.")


@admin_router.get("/reports", response_model=ReportList, responses=ADMIN_ERRORS)
async def list_reports_route(
    runtime: RuntimeDep,
    include_resolved: Annotated[
        bool, Query(alias="all", description="Resolved reports too.")
    ] = False,
) -> ReportList:
    """Abuse reports, oldest first (open ones only unless ``all=true``)."""
    items = await run_in_threadpool(
        lambda: list_reports(runtime, include_resolved=include_resolved)
    )
    return ReportList(data=[ReportAdminOut.of(item) for item in items])


@admin_router.post(
    "/reports/{report_id}/resolve", response_model=ReportAdminOut, responses=ADMIN_ERRORS
)
async def resolve_report_route(
    report_id: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")],
    body: ReportResolve,
    runtime: RuntimeDep,
    admin: AdminDep,
) -> ReportAdminOut:
    """Close a report (its hold on the video ends); ``remove`` shreds the job now."""
    resolution = Resolution.REMOVE if body.remove else Resolution.NO_ACTION
    view = await run_in_threadpool(
        lambda: resolve_report(runtime, report_id, resolution, actor=admin.actor)
    )
    return ReportAdminOut.of(view)


__all__ = ["ReportCreate", "ReportOut", "admin_router", "router"]
