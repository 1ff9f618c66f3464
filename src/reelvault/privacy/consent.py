"""The consent ledger: every grant and withdrawal, per owner and purpose, with the policy hash.

Purposes a person can decide on:

* ``analytics`` — aggregate usage counters. Opt-out where the policy says
  ``analytics_opt_out: true`` (granted until withdrawn), opt-in otherwise. A browser's
  ``Sec-GPC: 1`` or ``DNT: 1`` turns the default into "withdrawn" (:func:`privacy_signals`).
* ``marketing`` — e-mail news; always opt-in.
* ``provider:<name>`` — sending uploads to the named third-party AI provider; opt-in
  while the policy says ``third_party_providers_require_opt_in: true``.
* ``optional_cookies`` — anything in the browser beyond what the service needs; opt-in.
* ``likeness`` — the affirmation, given with an image→video or dance job whose input shows
  a face, or when saving a character, that the person is the one shown or has their
  permission (:func:`affirm_likeness`; docs/moderation.md). Recorded, never a default.
  Withdrawing it deletes the owner's saved characters (docs/characters.md).

The newest record wins, and it is read from the database on every check, so a
withdrawal takes effect for the very next request (no cache to expire). Granting and
withdrawing are the same call with a different flag: withdrawing is as easy as granting.
An explicit decision by the person outranks a browser signal; a signal only changes the
default for people who have not decided.

Purposes the policy reserves for adults (``adults_only_purposes``: marketing and
third-party providers in the built-in profiles) cannot be granted by, and count as
withheld for, an owner who declared being under the minimum age
(:mod:`reelvault.privacy.adults`), whoever records the grant.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelvault.db.privacy_models import ConsentRecord
from reelvault.errors import ValidationError
from reelvault.jobs import characters
from reelvault.policy import Policy
from reelvault.privacy import adults
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.runtime import Runtime
from reelvault.types import DataClass, Purpose

ANALYTICS = "analytics"
MARKETING = "marketing"
OPTIONAL_COOKIES = "optional_cookies"
LIKENESS = "likeness"
PROVIDER_PREFIX = "provider:"
_PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_OWNER = re.compile(r"^[A-Za-z0-9_:.-]{1,64}$")


class ConsentSource(StrEnum):
    USER = "user"  # the person, through the studio, the API or a link
    GPC = "gpc"  # Sec-GPC: 1 (Global Privacy Control)
    DNT = "dnt"  # DNT: 1 (Do Not Track)
    OPERATOR = "operator"  # recorded by the operator on the person's written request


@dataclass(frozen=True)
class PrivacySignals:
    """What the browser said about tracking in this request."""

    gpc: bool = False
    dnt: bool = False

    @property
    def opt_out(self) -> bool:
        return self.gpc or self.dnt

    @property
    def source(self) -> ConsentSource:
        return ConsentSource.GPC if self.gpc else ConsentSource.DNT


NO_SIGNALS = PrivacySignals()


def privacy_signals(sec_gpc: str | None = None, dnt: str | None = None) -> PrivacySignals:
    """Read the ``Sec-GPC`` and ``DNT`` header values (``"1"`` means "do not track me")."""
    return PrivacySignals(
        gpc=(sec_gpc or "").strip() == "1",
        dnt=(dnt or "").strip() == "1",
    )


@dataclass(frozen=True)
class ConsentDecision:
    owner_id: str
    purpose: str
    granted: bool
    source: ConsentSource
    policy_version: str
    at: datetime


def provider_purpose(provider: str) -> str:
    """``provider:fal`` for the provider called ``fal``."""
    return check_purpose(PROVIDER_PREFIX + provider)


def check_purpose(purpose: str) -> str:
    if purpose in (ANALYTICS, MARKETING, OPTIONAL_COOKIES, LIKENESS):
        return purpose
    if purpose.startswith(PROVIDER_PREFIX) and _PROVIDER_NAME.match(
        purpose[len(PROVIDER_PREFIX) :]
    ):
        return purpose
    raise ValidationError(
        "unknown consent purpose (analytics, marketing, optional_cookies or provider:<name>)",
        param="purpose",
    )


def _check_owner(owner_id: str) -> str:
    if not _OWNER.match(owner_id):
        raise ValidationError("invalid owner id", param="owner_id")
    return owner_id


def _policy_purposes(policy: Policy) -> set[Purpose]:
    return {rule.purpose for dc in policy.data_classes.values() for rule in dc.purposes}


def is_offered(policy: Policy, purpose: str) -> bool:
    """Whether this deployment's policy processes data for ``purpose`` at all."""
    purpose = check_purpose(purpose)
    declared = _policy_purposes(policy)
    if purpose == ANALYTICS:
        return Purpose.ANALYTICS in declared
    if purpose == MARKETING:
        return Purpose.MARKETING in declared
    if purpose.startswith(PROVIDER_PREFIX):
        return Purpose.THIRD_PARTY_PROCESSING in declared
    # Optional cookies live in the browser, not in the policy's data classes; a likeness
    # affirmation is part of the job it comes with.
    return True


def is_opt_in(policy: Policy, purpose: str) -> bool:
    """True where nothing happens until the person says yes."""
    purpose = check_purpose(purpose)
    if purpose == ANALYTICS:
        return not policy.options.analytics_opt_out
    if purpose.startswith(PROVIDER_PREFIX):
        return policy.options.third_party_providers_require_opt_in
    return True  # marketing and optional cookies


def default_consent(policy: Policy, purpose: str, *, signals: PrivacySignals = NO_SIGNALS) -> bool:
    """What holds for someone who has never decided."""
    if not is_offered(policy, purpose) or is_opt_in(policy, purpose):
        return False
    # Opt-out purposes: a browser's do-not-track signal counts as the opt-out.
    return not signals.opt_out


@contextlib.contextmanager
def _session(runtime: Runtime, session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
        return
    with runtime.session() as own:
        yield own


def _latest(session: Session, owner_id: str, purpose: str) -> ConsentRecord | None:
    return session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.owner_id == owner_id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.seq.desc())
        .limit(1)
    ).first()


def _decision(row: ConsentRecord) -> ConsentDecision:
    return ConsentDecision(
        owner_id=row.owner_id,
        purpose=row.purpose,
        granted=row.granted,
        source=ConsentSource(row.source),
        policy_version=row.policy_version,
        at=row.created_at,
    )


def set_consent(
    runtime: Runtime,
    owner_id: str,
    purpose: str,
    granted: bool,
    *,
    source: ConsentSource = ConsentSource.USER,
    session: Session | None = None,
) -> ConsentDecision:
    """Record a grant or a withdrawal, effective immediately."""
    _check_owner(owner_id)
    purpose = check_purpose(purpose)
    if granted and not is_offered(runtime.policy, purpose):
        raise ValidationError(
            "this deployment's privacy policy does not process data for that purpose",
            param="purpose",
        )
    now = runtime.clock()
    row = ConsentRecord(
        owner_id=owner_id,
        purpose=purpose,
        granted=granted,
        source=source.value,
        policy_version=runtime.policy.version_hash,
        created_at=now,
        data_class=DataClass.CONSENT_RECORD.value,
        expires_at=runtime.policy.expires_at(DataClass.CONSENT_RECORD, now=now),
    )
    with _session(runtime, session) as active:
        if granted:
            # Withdrawing is always possible; granting what only adults may is not, for
            # someone who said they are under age (the studio, the API and the CLI alike).
            adults.refuse_under_age(runtime, owner_id, purpose, session=active)
        active.add(row)
        active.flush()
        decision = _decision(row)
    if purpose == LIKENESS and not granted:
        # The affirmation is what a saved character rests on: withdrawn, they go.
        characters.erase_characters(runtime, owner_id)
    return decision


def grant(
    runtime: Runtime,
    owner_id: str,
    purpose: str,
    *,
    source: ConsentSource = ConsentSource.USER,
    session: Session | None = None,
) -> ConsentDecision:
    return set_consent(runtime, owner_id, purpose, True, source=source, session=session)


def withdraw(
    runtime: Runtime,
    owner_id: str,
    purpose: str,
    *,
    source: ConsentSource = ConsentSource.USER,
    session: Session | None = None,
) -> ConsentDecision:
    return set_consent(runtime, owner_id, purpose, False, source=source, session=session)


def affirm_likeness(runtime: Runtime, owner_id: str) -> ConsentDecision:
    """Record that ``owner_id`` affirmed being the person their input shows, or having
    that person's permission: a ledger entry with the policy's version, nothing of the
    face or the image."""
    return set_consent(runtime, owner_id, LIKENESS, True)


def has_consent(
    runtime: Runtime,
    owner_id: str,
    purpose: str,
    *,
    signals: PrivacySignals = NO_SIGNALS,
    session: Session | None = None,
) -> bool:
    """Whether ``owner_id`` allows ``purpose`` now: their newest decision, else the default."""
    purpose = check_purpose(purpose)
    if not is_offered(runtime.policy, purpose):
        return False
    with _session(runtime, session) as active:
        if adults.is_adults_only(runtime.policy, purpose) and adults.is_under_age(
            runtime, owner_id, session=active
        ):
            return False  # whatever is on record: someone under age cannot give it
        latest = _latest(active, owner_id, purpose)
        if latest is not None:
            return latest.granted
    return default_consent(runtime.policy, purpose, signals=signals)


def honour_signals(
    runtime: Runtime, owner_id: str, signals: PrivacySignals, *, session: Session | None = None
) -> bool:
    """Record a browser's opt-out signal as an analytics withdrawal for ``owner_id``.

    Call it where requests arrive, so that work finishing later (a job's end, with no
    request in sight) still knows. Does nothing when there is no signal or the person
    already decided. Returns True when a record was written.
    """
    if not signals.opt_out or not is_offered(runtime.policy, ANALYTICS):
        return False
    _check_owner(owner_id)
    with _session(runtime, session) as active:
        if _latest(active, owner_id, ANALYTICS) is not None:
            return False
        set_consent(runtime, owner_id, ANALYTICS, False, source=signals.source, session=active)
    return True


def history(runtime: Runtime, owner_id: str) -> list[ConsentDecision]:
    """Every decision kept for ``owner_id``, oldest first (for access requests)."""
    with runtime.session() as session:
        rows = session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.owner_id == owner_id)
            .order_by(ConsentRecord.seq)
        ).all()
        return [_decision(row) for row in rows]


def current(
    runtime: Runtime,
    owner_id: str,
    *,
    providers: tuple[str, ...] = (),
    signals: PrivacySignals = NO_SIGNALS,
) -> dict[str, bool]:
    """The effective state of every purpose offered (and of the named providers)."""
    purposes = [ANALYTICS, MARKETING, OPTIONAL_COOKIES]
    purposes += [provider_purpose(name) for name in providers]
    with runtime.session() as session:
        return {
            purpose: has_consent(runtime, owner_id, purpose, signals=signals, session=session)
            for purpose in purposes
            if is_offered(runtime.policy, purpose)
        }


def delete_expired(runtime: Runtime) -> int:
    """Remove records past the policy's ``consent_record`` retention (run by the sweeper).

    The newest record per owner and purpose is the decision in force, so it is never
    removed: a withdrawal that aged out would let the default (counted, for opt-out
    analytics) come back, and a grant still relied on must stay provable. Such a record
    loses its expiry instead and stays for as long as its owner does (erasure removes it).
    Only the records it superseded go.
    """
    in_force = select(func.max(ConsentRecord.seq)).group_by(
        ConsentRecord.owner_id, ConsentRecord.purpose
    )
    return delete_expired_rows(runtime, ConsentRecord, keep=ConsentRecord.seq.in_(in_force))


__all__ = [
    "ANALYTICS",
    "LIKENESS",
    "MARKETING",
    "NO_SIGNALS",
    "OPTIONAL_COOKIES",
    "PROVIDER_PREFIX",
    "ConsentDecision",
    "ConsentSource",
    "PrivacySignals",
    "check_purpose",
    "affirm_likeness",
    "current",
    "default_consent",
    "delete_expired",
    "grant",
    "has_consent",
    "history",
    "honour_signals",
    "is_offered",
    "is_opt_in",
    "privacy_signals",
    "provider_purpose",
    "set_consent",
    "withdraw",
]
