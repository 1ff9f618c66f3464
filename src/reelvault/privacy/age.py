"""The age gate: the policy's minimum age, asked once where accounts or e-mail are involved.

An owner who declares being under the minimum age gets no personal data collected:
whatever was held is erased at once (their pseudonym stays, so the gate keeps holding),
notify-me signup and marketing consent are refused (403), and :func:`job_end_hook`
shreds kept prompts and uploads when their jobs end and caps the output's download window,
as the ephemeral profile does for everyone. ``reelvault privacy erase-child OWNER_ID``
erases everything linked to a reported child's account, identity included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelvault.db.dsr_models import OwnerPrivacy
from reelvault.db.models import StoredObject
from reelvault.errors import ForbiddenError
from reelvault.jobs import objects
from reelvault.jobs.runtime import Runtime
from reelvault.policy import Policy
from reelvault.privacy import audit
from reelvault.privacy.erase import ErasureReport, erase_owner
from reelvault.privacy.restrict import flags_row
from reelvault.types import DataClass

#: Longest an under-age owner's video stays downloadable (the ephemeral profile's window).
UNDER_AGE_OUTPUT_WINDOW = timedelta(hours=1)
_KEPT_PERSONAL = (DataClass.PROMPT.value, DataClass.UPLOAD.value)


def gate_required(policy: Policy) -> bool:
    """Ask for the age where the policy keeps contact or account data (e-mail, accounts)."""
    return policy.keeps_beyond_job(DataClass.CONTACT) or policy.keeps_beyond_job(DataClass.ACCOUNT)


@dataclass(frozen=True)
class AgeDeclaration:
    over_minimum_age: bool
    minimum_age: int
    erased: ErasureReport | None


def declare_age(runtime: Runtime, owner_id: str, *, over_minimum_age: bool) -> AgeDeclaration:
    """Record the owner's answer; under age, erase what is held and block collection."""
    erased = None
    if not over_minimum_age:
        erased = erase_owner(runtime, owner_id, keep_identity=True, action="privacy.age_erase")
    now = runtime.clock()
    with runtime.session() as session:
        row = flags_row(runtime, session, owner_id)
        row.age_declared = True
        row.under_age = not over_minimum_age
        row.declared_at = now
        row.updated_at = now
    audit.record(runtime, "privacy.age_declared", under_age=not over_minimum_age)
    return AgeDeclaration(
        over_minimum_age=over_minimum_age,
        minimum_age=runtime.policy.minimum_age,
        erased=erased,
    )


def is_under_age(runtime: Runtime, owner_id: str, *, session: Session | None = None) -> bool:
    if session is not None:
        row = session.get(OwnerPrivacy, owner_id)
        return bool(row is not None and row.under_age)
    with runtime.session() as own:
        row = own.get(OwnerPrivacy, owner_id)
        return bool(row is not None and row.under_age)


def check_may_collect(runtime: Runtime, owner_id: str) -> None:
    """403 for an owner who declared being under the minimum age."""
    if is_under_age(runtime, owner_id):
        raise ForbiddenError(
            f"this service collects no personal data from people under "
            f"{runtime.policy.minimum_age}",
            param="age",
        )


def job_end_hook(runtime: Runtime, session: Session, job: Any) -> bool:
    """At a job's end (in its transaction): keep nothing personal of an under-age owner.

    Register in ``reelvault.jobs.hooks.JOB_END_HOOKS`` as ``reelvault.privacy.age:job_end_hook``.
    """
    if not is_under_age(runtime, job.owner_id, session=session):
        return False
    rows = session.scalars(
        select(StoredObject).where(
            StoredObject.job_id == job.id, StoredObject.data_class.in_(_KEPT_PERSONAL)
        )
    ).all()
    objects.shred_rows(runtime.vault, session, rows)
    cap = runtime.clock() + UNDER_AGE_OUTPUT_WINDOW
    for row in session.scalars(
        select(StoredObject).where(
            StoredObject.job_id == job.id, StoredObject.data_class == DataClass.OUTPUT.value
        )
    ):
        if not row.expires_with_job and (row.expires_at is None or row.expires_at > cap):
            row.expires_at = cap
    if job.expires_at is None or job.expires_at > cap + timedelta(days=1):
        job.expires_at = cap + timedelta(days=1)
    return True


def erase_child(runtime: Runtime, owner_id: str) -> ErasureReport:
    """Operator command for a reported child account: everything linked goes, identity too."""
    return erase_owner(runtime, owner_id, action="privacy.erase_child")


__all__ = [
    "UNDER_AGE_OUTPUT_WINDOW",
    "AgeDeclaration",
    "check_may_collect",
    "declare_age",
    "erase_child",
    "gate_required",
    "is_under_age",
    "job_end_hook",
]
