"""Abuse reports and moderation counters (docs/moderation.md).

An abuse report records what someone reported, never who reported it.

A report names a job by id and a reason chosen from a list; it holds no free text and no
reporter. While it is open and ``hold_until`` is ahead, the retention sweeper keeps the
job's generated video past its own expiry (for review); the report itself goes at its
``expires_at``, the policy's ``abuse_report`` retention after it was made.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelvault.db.base import Base, UTCDateTime


class AbuseReport(Base):
    __tablename__ = "abuse_reports"
    __table_args__ = (Index("ix_abuse_reports_job_status", "job_id", "status"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, resolved
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Until when the reported video is kept past its own retention (None: nothing held).
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data_class: Mapped[str] = mapped_column(String(32), default="abuse_report")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class ModerationCounter(Base):
    """How many moderation decisions of one kind a day saw: (day, stage, verdict, category).

    Part of the anonymous statistics (data class ``usage_event``): there is deliberately no
    owner, job, prompt, image, rule or moderator name, and no time finer than a day.
    """

    __tablename__ = "moderation_counters"
    __table_args__ = (
        UniqueConstraint("day", "stage", "verdict", "category", name="uq_moderation_counters_cell"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(16))  # prompt, upload, output
    verdict: Mapped[str] = mapped_column(String(16))  # flag, block
    category: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer, default=0)
    data_class: Mapped[str] = mapped_column(String(32), default="usage_event")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


__all__ = ["AbuseReport", "ModerationCounter"]
