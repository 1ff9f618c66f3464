"""Moderation decisions in the anonymous statistics: counts, never content.

Each flag or block adds 1 to a cell (UTC day, stage, verdict, category) per category it
names: ``stage`` is where it happened (``prompt``, ``upload``, ``output``). Nothing else
is kept: no owner, job, prompt, image, rule or moderator, no time of day. Like the job
counters (:mod:`reelvault.privacy.analytics`), this is the policy's ``usage_event`` data
class: nothing is counted when the policy keeps no usage data, or for an owner who
withdrew the ``analytics`` consent; cells expire with the usage retention, and reports
leave out every cell under the policy's ``min_aggregate_count``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session

from reelvault.db.moderation_models import ModerationCounter
from reelvault.errors import ValidationError
from reelvault.moderation import Decision, Verdict
from reelvault.privacy import analytics, consent
from reelvault.privacy.analytics import StatsReport, StatsRow
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.runtime import Runtime
from reelvault.types import DataClass

STAGES = frozenset({"prompt", "upload", "output"})
DIMENSIONS = ("day", "stage", "verdict", "category")


def _bump(session: Session, cell: dict[str, Any]) -> None:
    filters = [getattr(ModerationCounter, name) == cell[name] for name in DIMENSIONS]
    more = update(ModerationCounter).where(*filters).values(count=ModerationCounter.count + 1)
    if getattr(session.execute(more), "rowcount", 0):
        return
    try:
        with session.begin_nested():
            session.add(ModerationCounter(count=1, **cell))
    except DbIntegrityError:  # another process created the cell first
        session.execute(more)


def record_decision(runtime: Runtime, *, owner_id: str, stage: str, decision: Decision) -> int:
    """Count a flag or a block (one cell per category); returns the cells counted.

    An allow is not counted (the job counters hold how many jobs there were).
    """
    if stage not in STAGES:
        raise ValidationError("stage must be prompt, upload or output", param="stage")
    if decision.verdict is Verdict.ALLOW or not decision.categories:
        return 0
    if runtime.policy.rule(DataClass.USAGE_EVENT).retention.keeps_beyond_job() is False:
        return 0
    # Through the modules, so that the privacy matrix's mutations reach these calls too.
    if not consent.has_consent(runtime, owner_id, consent.ANALYTICS):
        return 0
    day = runtime.clock().astimezone(UTC).date()
    with runtime.session() as session:
        for category in decision.categories:
            _bump(
                session,
                {
                    "day": day,
                    "stage": stage,
                    "verdict": decision.verdict.value,
                    "category": category[:32],
                    "data_class": DataClass.USAGE_EVENT.value,
                    "expires_at": analytics.usage_expires_at(runtime, day),
                },
            )
    return len(decision.categories)


def report(
    runtime: Runtime,
    *,
    group_by: tuple[str, ...] = ("day", "stage", "verdict", "category"),
    since: date | None = None,
    until: date | None = None,
) -> StatsReport:
    """Decisions per group between ``since`` and ``until`` (inclusive), small cells left out."""
    unknown = [name for name in group_by if name not in DIMENSIONS]
    if unknown or not group_by:
        raise ValidationError("group by one or more of: " + ", ".join(DIMENSIONS), param="group_by")
    until = until or runtime.clock().astimezone(UTC).date()
    since = since or until - timedelta(days=29)
    k = runtime.policy.options.min_aggregate_count
    result = StatsReport(group_by=group_by, since=since, until=until, k=k)
    totals: dict[tuple[str, ...], int] = defaultdict(int)
    with runtime.session() as session:
        cells = session.scalars(
            select(ModerationCounter).where(
                ModerationCounter.day >= since, ModerationCounter.day <= until
            )
        ).all()
        for cell in cells:
            if analytics.is_too_small(cell.count, k):
                result.suppressed_cells += 1
                continue
            key = tuple(
                cell.day.isoformat() if name == "day" else str(getattr(cell, name))
                for name in group_by
            )
            totals[key] += cell.count
    result.rows = [StatsRow(key, count) for key, count in sorted(totals.items())]
    return result


def delete_expired(runtime: Runtime) -> int:
    """Remove cells past the policy's ``usage_event`` retention (run by the sweeper)."""
    return delete_expired_rows(runtime, ModerationCounter)


__all__ = ["DIMENSIONS", "STAGES", "delete_expired", "record_decision", "report"]
