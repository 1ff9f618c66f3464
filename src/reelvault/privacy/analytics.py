"""Anonymous usage analytics: aggregate counters, never per-person records.

A job's end adds 1 to one cell: (UTC day, feature, engine, resolution bucket, duration
bucket, outcome). Nothing else is kept: no owner, session, job id, IP or time of day.
Owners who withdrew the ``analytics`` consent (or whose browser sent ``Sec-GPC``/``DNT``)
are not counted at all.

Reports suppress every cell counting fewer than the policy's ``min_aggregate_count``
(k) *before* cells are added up into the rows asked for. Totals therefore undercount
rather than leak: no choice of grouping lets a suppressed cell be recovered by
subtracting one report from another.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session

from reelvault.db.models import Job
from reelvault.db.privacy_models import UsageCounter
from reelvault.errors import ValidationError
from reelvault.privacy.consent import ANALYTICS, has_consent
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.runtime import Runtime
from reelvault.types import DataClass

DIMENSIONS = ("day", "feature", "engine", "resolution", "duration", "outcome")
OUTCOMES = frozenset({"completed", "failed", "cancelled"})
_RESOLUTIONS = ((360, "<=360p"), (480, "480p"), (720, "720p"), (1080, "1080p"), (1440, "1440p"))
_DURATIONS = ((2.0, "<=2s"), (5.0, "2-5s"), (10.0, "5-10s"), (30.0, "10-30s"))


def resolution_bucket(width: int, height: int) -> str:
    """By the short side: a 1920x1080 and a 1080x1920 video are both ``1080p``."""
    short = min(width, height)
    for limit, name in _RESOLUTIONS:
        if short <= limit:
            return name
    return "4k+" if short >= 2160 else ">1440p"


def duration_bucket(seconds: float) -> str:
    for limit, name in _DURATIONS:
        if seconds <= limit:
            return name
    return ">30s"


def usage_expires_at(runtime: Runtime, day: date) -> datetime | None:
    """When a counter cell of ``day`` expires (``usage_event`` retention)."""
    # Counted from the end of the cell's day: the newest event in it sets the clock.
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    return runtime.policy.expires_at(DataClass.USAGE_EVENT, now=end_of_day)


def _bump(session: Session, cell: dict[str, Any]) -> None:
    filters = [getattr(UsageCounter, name) == value for name, value in cell.items()]
    result = session.execute(
        update(UsageCounter).where(*filters).values(count=UsageCounter.count + 1)
    )
    if getattr(result, "rowcount", 0):
        return
    try:
        with session.begin_nested():
            session.add(UsageCounter(count=1, **cell))
    except DbIntegrityError:  # another process created the cell first
        session.execute(update(UsageCounter).where(*filters).values(count=UsageCounter.count + 1))


def record_job_outcome(
    runtime: Runtime,
    *,
    owner_id: str,
    feature: str,
    engine: str,
    width: int,
    height: int,
    seconds: float,
    outcome: str,
    session: Session | None = None,
) -> bool:
    """Count one job outcome, unless its owner opted out. Returns whether it was counted.

    Pass the job's ``session`` to count in the same transaction as the status change.
    """
    if outcome not in OUTCOMES:
        raise ValidationError("outcome must be completed, failed or cancelled", param="outcome")
    if runtime.policy.rule(DataClass.USAGE_EVENT).retention.keeps_beyond_job() is False:
        return False  # the policy keeps no usage data at all
    if not has_consent(runtime, owner_id, ANALYTICS, session=session):
        return False
    day = runtime.clock().astimezone(UTC).date()
    cell: dict[str, Any] = {
        "day": day,
        "feature": feature[:32],
        "engine": engine[:64],
        "resolution": resolution_bucket(width, height),
        "duration": duration_bucket(seconds),
        "outcome": outcome,
        "data_class": DataClass.USAGE_EVENT.value,
        "expires_at": usage_expires_at(runtime, day),
    }
    if session is not None:
        _bump(session, cell)
    else:
        with runtime.session() as own:
            _bump(own, cell)
    return True


def record_job_end(runtime: Runtime, session: Session, job: Job) -> bool:
    """The hook for a job's end: counts its outcome in the job's own transaction."""
    if job.status not in OUTCOMES:
        return False
    return record_job_outcome(
        runtime,
        owner_id=job.owner_id,
        feature=job.task,
        engine=job.engine,
        width=job.width,
        height=job.height,
        seconds=job.seconds,
        outcome=job.status,
        session=session,
    )


@dataclass(frozen=True)
class StatsRow:
    key: tuple[str, ...]
    count: int


@dataclass
class StatsReport:
    group_by: tuple[str, ...]
    since: date
    until: date
    k: int
    rows: list[StatsRow] = field(default_factory=list)
    suppressed_cells: int = 0

    def row_dict(self, row: StatsRow) -> dict[str, Any]:
        return {**dict(zip(self.group_by, row.key, strict=True)), "count": row.count}

    def to_dict(self) -> dict[str, Any]:
        return {
            "group_by": list(self.group_by),
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "min_count": self.k,
            "rows": [self.row_dict(row) for row in self.rows],
            "suppressed_cells": self.suppressed_cells,
        }


def is_too_small(count: int, k: int) -> bool:
    """Whether a cell counts fewer than ``k`` events: such a cell could single someone out,
    so it is left out of every report before anything is added up."""
    return count < k


def report(
    runtime: Runtime,
    *,
    group_by: tuple[str, ...] = ("day", "engine", "outcome"),
    since: date | None = None,
    until: date | None = None,
) -> StatsReport:
    """Counts per group between ``since`` and ``until`` (inclusive), small cells suppressed."""
    unknown = [name for name in group_by if name not in DIMENSIONS]
    if unknown or not group_by:
        raise ValidationError("group by one or more of: " + ", ".join(DIMENSIONS), param="group_by")
    today = runtime.clock().astimezone(UTC).date()
    until = until or today
    since = since or until - timedelta(days=29)
    k = runtime.policy.options.min_aggregate_count
    result = StatsReport(group_by=group_by, since=since, until=until, k=k)
    totals: dict[tuple[str, ...], int] = defaultdict(int)
    with runtime.session() as session:
        cells = session.scalars(
            select(UsageCounter).where(UsageCounter.day >= since, UsageCounter.day <= until)
        ).all()
        for cell in cells:
            if is_too_small(cell.count, k):
                result.suppressed_cells += 1
                continue
            key = tuple(
                getattr(cell, name).isoformat() if name == "day" else str(getattr(cell, name))
                for name in group_by
            )
            totals[key] += cell.count
    result.rows = [StatsRow(key, count) for key, count in sorted(totals.items())]
    return result


def delete_expired(runtime: Runtime) -> int:
    """Remove counters past the policy's ``usage_event`` retention (run by the sweeper)."""
    return delete_expired_rows(runtime, UsageCounter)


__all__ = [
    "DIMENSIONS",
    "OUTCOMES",
    "StatsReport",
    "StatsRow",
    "delete_expired",
    "duration_bucket",
    "is_too_small",
    "record_job_end",
    "record_job_outcome",
    "report",
    "resolution_bucket",
    "usage_expires_at",
]
