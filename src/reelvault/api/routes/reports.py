"""Abuse reports, ``POST /api/v1/reports``: anyone who can call the API may report a job.

A report names the job and a reason from a fixed list; it records neither who reported
nor any text (docs/moderation.md). The operator reviews reports with ``reelvault reports``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from reelvault.accounts.scopes import VIDEOS_WRITE
from reelvault.http.deps import Ctx, Owner, check_submission_limits, require_scope
from reelvault.http.error_schema import ErrorOut
from reelvault.privacy.abuse_reports import ReportReason, ReportView, file_report

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


__all__ = ["ReportCreate", "ReportOut", "router"]
