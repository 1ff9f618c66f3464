"""Abuse reports: anyone with a job's id may report its video; the operator reviews them.

A report holds a reason from :class:`ReportReason`, the job's id and when it was made;
never who made it, never free text. While it is open it keeps the job's generated video
(and its thumbnails) past their own retention, for review, until ``hold_until``: the
report's time plus the policy's abuse-review window (``abuse_report`` retention). More
reports about the same job never extend a hold that is running. Then, or once the
operator resolves the report, the retention sweeper shreds the video like anything else
past its expiry (:func:`not_held_for_abuse_review`), and the report row goes at its own
expiry (:func:`delete_expired`). The owner can still delete their job at any time.

Resolving with ``remove`` shreds the job now (the operator takes the video down).
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from reelvault.db.models import Job
from reelvault.db.moderation_models import AbuseReport
from reelvault.errors import ConflictError, NotFoundError
from reelvault.jobs.lifecycle import delete_job
from reelvault.privacy import audit_log
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.runtime import Runtime
from reelvault.types import DataClass, JobStatus

OPEN = "open"
RESOLVED = "resolved"


class ReportReason(StrEnum):
    SEXUAL_CONTENT = "sexual_content"
    MINOR_SAFETY = "minor_safety"
    VIOLENCE = "violence"
    HATE = "hate"
    HARASSMENT = "harassment"
    LIKENESS = "likeness"  # shows a real person without their permission
    ILLEGAL = "illegal"
    OTHER = "other"


class Resolution(StrEnum):
    REMOVE = "remove"  # the job and its video are shredded now
    NO_ACTION = "no_action"


@dataclass(frozen=True)
class ReportView:
    id: str
    job_id: str
    reason: ReportReason
    status: str
    resolution: str | None
    created_at: datetime
    resolved_at: datetime | None
    hold_until: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, row: AbuseReport) -> ReportView:
        return cls(
            id=row.id,
            job_id=row.job_id,
            reason=ReportReason(row.reason),
            status=row.status,
            resolution=row.resolution,
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            hold_until=row.hold_until,
            expires_at=row.expires_at,
        )


def new_report_id() -> str:
    return "rep_" + base64.b32encode(secrets.token_bytes(12)).decode().rstrip("=").lower()


def held_job_ids(now: datetime) -> Select[str]:
    """Jobs whose video an open report holds at ``now``, as a subquery."""
    return select(AbuseReport.job_id).where(
        AbuseReport.status == OPEN,
        AbuseReport.hold_until.is_not(None),
        AbuseReport.hold_until > now,
    )


def not_held_for_abuse_review(
    job_id: ColumnElement[str | None] | Any, now: datetime
) -> ColumnElement[bool]:
    """Rows of jobs no open report holds at ``now`` (the sweeper's condition)."""
    return or_(job_id.is_(None), job_id.not_in(held_job_ids(now)))


def hold_until(runtime: Runtime, session: Session, job: Job, now: datetime) -> datetime | None:
    """Until when a new report about ``job`` keeps its video: the hold already running,
    else ``now`` plus the abuse-review window; None when there is no video to keep."""
    if job.status != JobStatus.COMPLETED.value:
        return None
    running = session.scalar(
        select(func.min(AbuseReport.hold_until)).where(
            AbuseReport.job_id == job.id,
            AbuseReport.status == OPEN,
            AbuseReport.hold_until > now,
        )
    )
    if running is not None:
        return running
    return now + runtime.policy.abuse_review_window


def file_report(runtime: Runtime, *, job_id: str, reason: ReportReason) -> ReportView:
    """Record a report about ``job_id`` (any owner's; 404 when there is no such job)."""
    now = runtime.clock()
    with runtime.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id}", param="job_id")
        row = AbuseReport(
            id=new_report_id(),
            job_id=job.id,
            reason=reason.value,
            status=OPEN,
            created_at=now,
            hold_until=hold_until(runtime, session, job, now),
            data_class=DataClass.ABUSE_REPORT.value,
            expires_at=runtime.policy.expires_at(DataClass.ABUSE_REPORT, now=now),
        )
        session.add(row)
        session.flush()
        view = ReportView.of(row)
    audit_log.record(runtime, "moderation.report", reason=reason.value)
    return view


def list_reports(runtime: Runtime, *, include_resolved: bool = False) -> list[ReportView]:
    with runtime.session() as session:
        query = select(AbuseReport).order_by(AbuseReport.created_at, AbuseReport.id)
        if not include_resolved:
            query = query.where(AbuseReport.status == OPEN)
        return [ReportView.of(row) for row in session.scalars(query)]


def resolve_report(
    runtime: Runtime, report_id: str, resolution: Resolution, *, actor: str = "operator"
) -> ReportView:
    """Close a report: its hold ends now; ``remove`` also shreds the job and its video."""
    now = runtime.clock()
    with runtime.session() as session:
        row = session.get(AbuseReport, report_id)
        if row is None:
            raise NotFoundError(f"no report {report_id}", param="report_id")
        if row.status != OPEN:
            raise ConflictError(f"report {report_id} is already resolved", param="report_id")
        row.status = RESOLVED
        row.resolution = resolution.value
        row.resolved_at = now
        row.hold_until = None
        job_id = row.job_id
        view = ReportView.of(row)
    if resolution is Resolution.REMOVE:
        # Its owner may have deleted it already, or it expired.
        with contextlib.suppress(NotFoundError):
            delete_job(runtime, job_id)
    audit_log.record(
        runtime, "moderation.report_resolved", actor=actor, resolution=resolution.value
    )
    return view


def delete_expired(runtime: Runtime) -> int:
    """Remove reports past the policy's ``abuse_report`` retention (run by the sweeper)."""
    return delete_expired_rows(runtime, AbuseReport)


__all__ = [
    "OPEN",
    "RESOLVED",
    "ReportReason",
    "ReportView",
    "Resolution",
    "delete_expired",
    "file_report",
    "held_job_ids",
    "hold_until",
    "list_reports",
    "not_held_for_abuse_review",
    "resolve_report",
]
