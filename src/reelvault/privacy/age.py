"""The age gate: the policy's minimum age, asked once where accounts or e-mail are involved.

An owner who declares being under the minimum age gets no personal data collected:
whatever was held is erased at once (their pseudonym stays, so the gate keeps holding),
every consent the policy reserves for adults is refused (403, see
:mod:`reelvault.privacy.adults`), notify-me signup too, and :func:`job_end_hook` shreds
kept prompts and uploads when their jobs end and caps the output's download window, as
the ephemeral profile does for everyone.

The under-age answer is sticky: a later "I am old enough" is refused (403), or a child
could undo the gate with one click. Only the operator can clear it, after checking
(``reelvault privacy age-clear OWNER_ID``); the owner is then asked again.
``reelvault privacy erase-child OWNER_ID`` erases everything linked to a reported
child's account, identity included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelvault.db.dsr_models import OwnerPrivacy
from reelvault.db.models import StoredObject
from reelvault.errors import ForbiddenError, NotFoundError
from reelvault.jobs import objects
from reelvault.privacy import audit_log
from reelvault.privacy.adults import gate_required, is_under_age
from reelvault.privacy.erase import ErasureReport, erase_owner
from reelvault.privacy.restrict import flags_row
from reelvault.runtime import Runtime
from reelvault.types import DataClass

#: Longest an under-age owner's video stays downloadable (the ephemeral profile's window).
UNDER_AGE_OUTPUT_WINDOW = timedelta(hours=1)
_KEPT_PERSONAL = (DataClass.PROMPT.value, DataClass.UPLOAD.value)


@dataclass(frozen=True)
class AgeDeclaration:
    over_minimum_age: bool
    minimum_age: int
    erased: ErasureReport | None


def declare_age(runtime: Runtime, owner_id: str, *, over_minimum_age: bool) -> AgeDeclaration:
    """Record the owner's answer; under age, block collection and erase what is held.

    A declaration of being under age stands until the operator clears it
    (:func:`clear_under_age`): answering "old enough" afterwards is refused.
    """
    now = runtime.clock()
    with runtime.session() as session:
        row = flags_row(runtime, session, owner_id)
        if row.under_age and over_minimum_age:
            raise ForbiddenError(
                f"you told us earlier that you are under {runtime.policy.minimum_age}; that "
                f"answer cannot be changed here. If it was a mistake, ask the operator of "
                f"this service ({runtime.policy.controller.contact}) to review it",
                param="over_minimum_age",
            )
        # The flag first, in its own transaction: from here on every adults-only grant
        # is refused, so nothing can slip in while the erasure below runs.
        row.age_declared = True
        row.under_age = not over_minimum_age
        row.declared_at = now
        row.updated_at = now
    erased = None
    if not over_minimum_age:
        erased = erase_owner(runtime, owner_id, keep_identity=True, action="privacy.age_erase")
    audit_log.record(runtime, "privacy.age_declared", under_age=not over_minimum_age)
    return AgeDeclaration(
        over_minimum_age=over_minimum_age,
        minimum_age=runtime.policy.minimum_age,
        erased=erased,
    )


def clear_under_age(runtime: Runtime, owner_id: str) -> None:
    """Operator only: lift an owner's under-age declaration so they are asked again.

    For a declaration made by mistake, once the operator has checked. Audited as a count
    (the entry never names the owner). :class:`NotFoundError` when none is on record.
    """
    now = runtime.clock()
    with runtime.session() as session:
        row = session.get(OwnerPrivacy, owner_id)
        if row is None or not row.under_age:
            raise NotFoundError(
                "no under-age declaration is on record for that owner", param="owner_id"
            )
        row.under_age = False
        row.age_declared = False  # asked again before the next adults-only action
        row.declared_at = None
        row.updated_at = now
    audit_log.record(runtime, "privacy.age_cleared", actor="operator", cleared=1)


def job_end_hook(runtime: Runtime, session: Session, job: Any) -> bool:
    """At a job's end (in its transaction): keep nothing personal of an under-age owner.

    Registered by :func:`reelvault.privacy.job_gate.privacy_job_hooks`.
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
    "clear_under_age",
    "declare_age",
    "erase_child",
    "gate_required",
    "is_under_age",
    "job_end_hook",
]
