"""What only adults may do, and whether this owner may: the age gate's rules, read only.

The policy names the purposes reserved for people of at least its ``minimum_age``
(``adults_only_purposes``: e-mail news and third-party AI providers in the built-in
profiles). Two rules follow:

* An owner who declared being under that age can give none of those consents, and no
  grant on record counts for them (:func:`refuse_under_age`, enforced by the consent
  ledger for every caller: API, studio, CLI, the job gate).
* Where the policy needs the age question at all (:func:`gate_required`), an owner who
  never answered is asked before an adults-only action (:func:`check_answered`, used by
  the API, which answers 403 ``age_required`` so that the studio asks and retries).

Writing the answer (and erasing what an under-age owner gave) lives in
:mod:`reelvault.privacy.age`; this module has no side effects, so the consent ledger can
use it without importing erasure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.orm import Session

from reelvault.db.dsr_models import OwnerPrivacy
from reelvault.errors import AgeRequiredError, ForbiddenError
from reelvault.policy import Policy
from reelvault.runtime import Runtime
from reelvault.types import DataClass, Purpose

_PURPOSES = {"analytics": Purpose.ANALYTICS, "marketing": Purpose.MARKETING}
_PROVIDER_PREFIX = "provider:"


def policy_purpose(consent_purpose: str) -> Purpose | None:
    """The policy's purpose behind a consent purpose (``provider:fal`` is third-party
    processing; optional cookies live in the browser and have none)."""
    if consent_purpose.startswith(_PROVIDER_PREFIX):
        return Purpose.THIRD_PARTY_PROCESSING
    return _PURPOSES.get(consent_purpose)


def is_adults_only(policy: Policy, consent_purpose: str) -> bool:
    """Whether the policy reserves ``consent_purpose`` for people of at least its minimum age."""
    purpose = policy_purpose(consent_purpose)
    return purpose is not None and purpose in policy.adults_only_purposes


def gate_required(policy: Policy) -> bool:
    """Ask for the age where the policy keeps contact or account data (e-mail, accounts)."""
    return policy.keeps_beyond_job(DataClass.CONTACT) or policy.keeps_beyond_job(DataClass.ACCOUNT)


@contextlib.contextmanager
def _session(runtime: Runtime, session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
        return
    with runtime.session() as own:
        yield own


def age_answer(runtime: Runtime, owner_id: str, *, session: Session | None = None) -> bool | None:
    """The owner's answer: True (old enough), False (declared under age), None (never asked)."""
    with _session(runtime, session) as active:
        row = active.get(OwnerPrivacy, owner_id)
        if row is None:
            return None
        if row.under_age:
            return False
        return True if row.age_declared else None


def is_under_age(runtime: Runtime, owner_id: str, *, session: Session | None = None) -> bool:
    return age_answer(runtime, owner_id, session=session) is False


def under_age_error(policy: Policy) -> ForbiddenError:
    return ForbiddenError(
        f"this needs you to be at least {policy.minimum_age}, and you told us you are "
        f"younger: this service collects no personal data from people under "
        f"{policy.minimum_age} and asks them for no such consent",
        param="age",
    )


def refuse_under_age(
    runtime: Runtime, owner_id: str, consent_purpose: str, *, session: Session | None = None
) -> None:
    """403 when ``consent_purpose`` is adults-only and the owner declared being under age."""
    if is_adults_only(runtime.policy, consent_purpose) and is_under_age(
        runtime, owner_id, session=session
    ):
        raise under_age_error(runtime.policy)


def check_answered(runtime: Runtime, owner_id: str, consent_purpose: str) -> None:
    """Before granting an adults-only consent: :func:`check_adult`; others pass."""
    if is_adults_only(runtime.policy, consent_purpose):
        check_adult(runtime, owner_id)


def check_adult(runtime: Runtime, owner_id: str) -> None:
    """Before an adults-only action: 403 under age, 403 ``age_required`` if never asked.

    Owners who never answered are asked only where the policy needs the question
    (:func:`gate_required`); elsewhere the under-age rule alone holds. Signing up for
    e-mail (notify-me) always passes here first: an address is personal data.
    """
    answer = age_answer(runtime, owner_id)
    if answer is False:
        raise under_age_error(runtime.policy)
    if answer is None and gate_required(runtime.policy):
        age = runtime.policy.minimum_age
        raise AgeRequiredError(
            f"this is only for people who are {age} or older: answer the age question "
            f"first, then try again",
            minimum_age=age,
        )


__all__ = [
    "age_answer",
    "check_adult",
    "check_answered",
    "gate_required",
    "is_adults_only",
    "is_under_age",
    "policy_purpose",
    "refuse_under_age",
    "under_age_error",
]
