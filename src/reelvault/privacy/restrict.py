"""Restriction and objection: what an owner can switch off without deleting anything.

* **Restrict** (GDPR art. 18): the data is kept, nothing is processed. The owner's
  queued jobs stay queued (the queue's claim skips restricted owners, so no new state is
  needed in the job state machine) and new jobs are refused, until the restriction is lifted.
  Retention pauses too: the sweeper keeps the owner's jobs and media as they are (the
  owner may need them for a legal claim) and resumes once the restriction is lifted.
* **Object** (art. 21): analytics and marketing stop at once, recorded in the consent
  ledger as withdrawals (the ledger is read on every check, so the very next job is not
  counted).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from reelvault.db.dsr_models import OwnerPrivacy
from reelvault.db.models import Job
from reelvault.errors import ForbiddenError
from reelvault.privacy import audit_log, consent
from reelvault.runtime import Runtime
from reelvault.types import DataClass, JobStatus


def flags_row(runtime: Runtime, session: Session, owner_id: str) -> OwnerPrivacy:
    """The owner's flags row, created (all off) when missing."""
    row = session.get(OwnerPrivacy, owner_id)
    if row is None:
        row = OwnerPrivacy(
            owner_id=owner_id,
            restricted=False,
            age_declared=False,
            under_age=False,
            updated_at=runtime.clock(),
            data_class=DataClass.CONSENT_RECORD.value,
        )
        session.add(row)
    return row


# Built once: every job creation asks, and building the statement costs more than
# running it on SQLite.
_RESTRICTED_AMONG = select(OwnerPrivacy.owner_id).where(
    OwnerPrivacy.owner_id.in_(bindparam("owner_ids", expanding=True)),
    OwnerPrivacy.restricted.is_(True),
)


def restricted_owner_ids() -> Select[str]:
    """The owners whose processing is restricted, as a subquery."""
    return select(OwnerPrivacy.owner_id).where(OwnerPrivacy.restricted.is_(True))


def not_held_by_restriction(job_id: ColumnElement[str | None] | Any) -> ColumnElement[bool]:
    """Rows of jobs whose owner has not restricted processing (GDPR art. 18).

    A restriction keeps data as it is: its owner may need it for a legal claim, or has
    asked for it to be kept instead of erased. Retention pauses for them until lifted.
    """
    held_jobs = select(Job.id).where(Job.owner_id.in_(restricted_owner_ids()))
    return or_(job_id.is_(None), job_id.not_in(held_jobs))


@dataclass(frozen=True)
class RestrictionState:
    restricted: bool
    held_jobs: int  # queued jobs that wait (restricted) or may now run (lifted)


def set_restricted(runtime: Runtime, owner_id: str, restricted: bool) -> RestrictionState:
    """Restrict (or lift the restriction on) the processing of the owner's data."""
    now = runtime.clock()
    with runtime.session() as session:
        row = flags_row(runtime, session, owner_id)
        row.restricted = restricted
        row.restricted_at = now if restricted else None
        row.updated_at = now
        queued = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.owner_id == owner_id, Job.status == JobStatus.QUEUED.value)
        )
    audit_log.record(
        runtime, "privacy.restrict" if restricted else "privacy.restrict_lifted", jobs=queued or 0
    )
    return RestrictionState(restricted=restricted, held_jobs=int(queued or 0))


def restriction_refusals(runtime: Runtime, owner_ids: Collection[str]) -> dict[str, ForbiddenError]:
    """The refusal (403) for each of ``owner_ids`` whose processing is restricted.

    One query for all of them: the job intake asks once per batch of new jobs.
    """
    if not owner_ids:
        return {}
    # Autocommit: one read needs no transaction, and on a server database BEGIN and
    # ROLLBACK would be two more round trips on the intake's serial path.
    with runtime.db.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        restricted = connection.scalars(_RESTRICTED_AMONG, {"owner_ids": sorted(owner_ids)}).all()
    return {owner_id: _restricted_error() for owner_id in restricted}


def _restricted_error() -> ForbiddenError:
    return ForbiddenError(
        "processing of your data is restricted at your request; lift the restriction "
        "(POST /api/v1/privacy/restrict with restricted=false) to create jobs",
        param="restricted",
    )


OBJECTION_PURPOSES = (consent.ANALYTICS, consent.MARKETING)


def object_to_processing(
    runtime: Runtime, owner_id: str, *, source: consent.ConsentSource = consent.ConsentSource.USER
) -> list[str]:
    """Stop analytics and marketing for the owner now; returns the purposes withdrawn."""
    withdrawn = []
    with runtime.session() as session:
        for purpose in OBJECTION_PURPOSES:
            if consent.is_offered(runtime.policy, purpose):
                consent.withdraw(runtime, owner_id, purpose, source=source, session=session)
                withdrawn.append(purpose)
            elif purpose == consent.MARKETING:
                # Where the policy calls notify-me "service delivery", not marketing, an
                # objection still stops its e-mail (the objection to direct marketing is
                # absolute, GDPR art. 21(3)): news.owner_allows_news reads this record.
                consent.withdraw(runtime, owner_id, purpose, source=source, session=session)
    audit_log.record(runtime, "privacy.object", purposes=len(withdrawn))
    return withdrawn


__all__ = [
    "OBJECTION_PURPOSES",
    "RestrictionState",
    "flags_row",
    "object_to_processing",
    "not_held_by_restriction",
    "restricted_owner_ids",
    "restriction_refusals",
    "set_restricted",
]
