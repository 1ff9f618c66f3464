"""Owners nothing needs any more: deleted, with everything recorded about them, after a grace.

An owner row (the random pseudonym of a browser session or an API key holder) and the rows
keyed by it (privacy flags such as the age answer or a restriction, the consent decision
in force per purpose, links to the notify-me signups they made, their revoked API keys)
have no retention period of their own, on purpose: the age answer and an analytics opt-out
must hold for as long as the person's data does, or a child could later give an adult
consent and an opt-out would lapse. Instead they live exactly as long as something needs
the owner, plus the policy's ``idle_owner_grace``.

An owner is *needed* while any of these exists: a job of theirs (any status), a browser
session that has not expired, an API key that is not revoked, a privacy request naming
them (kept until resolved plus its grace), a character they saved, a notify-me signup
they made (news is checked against their age answer and marketing consent when it is
sent), or a restriction they asked for (art. 18: their data is kept, so is the owner).
The CLI's ``local`` owner is this machine's own user, with no session or key to expire:
it goes only when erased.

The sweeper calls :func:`sweep_idle_owners` on every pass. The grace is counted from the
first pass that finds an owner unneeded (stored as the owner's ``expires_at``); a pass
that finds it needed again clears the date. Rows keyed by an owner id that has no owner
row (left by older versions) go once nothing needs that id and they are older than the
grace; links to signups that no longer exist go at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Select, delete, literal, select, union, update
from sqlalchemy.orm import Session

from reelvault.db.character_models import Character
from reelvault.db.dsr_models import DataSubjectRequest, OwnerContact, OwnerPrivacy
from reelvault.db.models import ApiKey, BrowserSession, Job, Owner
from reelvault.db.privacy_models import ConsentRecord, NotifySubscription
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER, ObjectId

BATCH = 5_000  # owner ids per statement: well under SQLite's bound-parameter cap


@dataclass
class IdleOwnerReport:
    """Counts only."""

    owners_deleted: int = 0
    revoked_keys_removed: int = 0
    owner_rows_removed: int = 0  # flags, consent decisions, keys, sessions, contact links

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def as_fields(self) -> dict[str, int]:
        return asdict(self)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def needed_owner_ids(now: datetime) -> CompoundSelect[tuple[str]]:
    """Every owner id something still needs at ``now`` (see the module docstring)."""
    return union(
        select(Job.owner_id),
        select(BrowserSession.owner_id).where(BrowserSession.expires_at > now),
        select(ApiKey.owner_id).where(ApiKey.revoked_at.is_(None)),
        select(DataSubjectRequest.owner_id).where(DataSubjectRequest.owner_id.is_not(None)),
        select(OwnerContact.owner_id).join(
            NotifySubscription, NotifySubscription.id == OwnerContact.subscription_id
        ),
        select(OwnerPrivacy.owner_id).where(OwnerPrivacy.restricted.is_(True)),
        select(Character.owner_id),
        select(literal(LOCAL_OWNER)),
    )


def _idle_owners_due(now: datetime) -> Select[str]:
    return (
        select(Owner.id)
        .where(
            Owner.expires_at.is_not(None),
            Owner.expires_at <= now,
            Owner.id.not_in(needed_owner_ids(now)),
        )
        .limit(BATCH)
    )


def _delete_owner_rows(session: Session, owner_ids: list[str]) -> int:
    """Everything keyed by these owner ids, except the owner rows themselves."""
    removed = 0
    for table in (ConsentRecord, OwnerPrivacy, OwnerContact, BrowserSession, ApiKey):
        removed += _rowcount(session.execute(delete(table).where(table.owner_id.in_(owner_ids))))
    return removed


def delete_idle_owners(runtime: Runtime, report: IdleOwnerReport) -> None:
    """Owners unneeded since longer than the grace, with their flags, consents and keys."""
    now = runtime.clock()
    while True:
        with runtime.session() as session:
            owner_ids = list(session.scalars(_idle_owners_due(now)))
            if not owner_ids:
                return
            secrets = [
                ObjectId(object_id)
                for object_id in session.scalars(
                    select(Owner.webhook_secret_object).where(
                        Owner.id.in_(owner_ids), Owner.webhook_secret_object.is_not(None)
                    )
                )
                if object_id
            ]
            # Keys first (as everywhere): an interrupted pass leaves rows the next one retries.
            runtime.vault.shred_many(secrets)
            report.owner_rows_removed += _delete_owner_rows(session, owner_ids)
            report.owners_deleted += _rowcount(
                session.execute(delete(Owner).where(Owner.id.in_(owner_ids)))
            )


def mark_idle_owners(runtime: Runtime) -> None:
    """Start the grace for owners found unneeded; stop it for those needed again."""
    now = runtime.clock()
    grace = runtime.policy.options.idle_owner_grace
    with runtime.session() as session:
        session.execute(
            update(Owner)
            .where(Owner.expires_at.is_not(None), Owner.id.in_(needed_owner_ids(now)))
            .values(expires_at=None)
        )
        session.execute(
            update(Owner)
            .where(Owner.expires_at.is_(None), Owner.id.not_in(needed_owner_ids(now)))
            .values(expires_at=now + grace)
        )


def remove_revoked_keys(runtime: Runtime) -> int:
    """API keys revoked longer ago than the grace: nothing can use them, so the rows go."""
    cutoff = runtime.clock() - runtime.policy.options.idle_owner_grace
    with runtime.session() as session:
        revoked = select(ApiKey.id).where(
            ApiKey.revoked_at.is_not(None), ApiKey.revoked_at <= cutoff
        )
        # Their studio sessions ended at revocation; any left would end here (ON DELETE CASCADE).
        session.execute(delete(BrowserSession).where(BrowserSession.key_id.in_(revoked)))
        return _rowcount(session.execute(delete(ApiKey).where(ApiKey.id.in_(revoked))))


def remove_dangling_rows(runtime: Runtime) -> int:
    """Rows keyed by an owner id with no owner row, or linking to a signup that is gone."""
    now = runtime.clock()
    cutoff = now - runtime.policy.options.idle_owner_grace
    unowned: Any = [select(Owner.id), needed_owner_ids(now)]
    recent_decisions = select(ConsentRecord.owner_id).where(ConsentRecord.created_at > cutoff)
    with runtime.session() as session:
        removed = _rowcount(
            session.execute(
                delete(OwnerContact).where(
                    OwnerContact.subscription_id.not_in(select(NotifySubscription.id))
                )
            )
        )
        removed += _rowcount(
            session.execute(
                delete(ConsentRecord).where(
                    *(ConsentRecord.owner_id.not_in(ids) for ids in unowned),
                    ConsentRecord.owner_id.not_in(recent_decisions),
                )
            )
        )
        removed += _rowcount(
            session.execute(
                delete(OwnerPrivacy).where(
                    *(OwnerPrivacy.owner_id.not_in(ids) for ids in unowned),
                    OwnerPrivacy.updated_at <= cutoff,
                )
            )
        )
        removed += _rowcount(
            session.execute(
                delete(OwnerContact).where(
                    *(OwnerContact.owner_id.not_in(ids) for ids in unowned),
                    OwnerContact.created_at <= cutoff,
                )
            )
        )
        return removed


def sweep_idle_owners(runtime: Runtime) -> IdleOwnerReport:
    """One pass, run by the retention sweeper after everything else has expired. Idempotent."""
    report = IdleOwnerReport()
    report.revoked_keys_removed = remove_revoked_keys(runtime)
    delete_idle_owners(runtime, report)
    mark_idle_owners(runtime)
    report.owner_rows_removed += remove_dangling_rows(runtime)
    return report


__all__ = [
    "IdleOwnerReport",
    "delete_idle_owners",
    "mark_idle_owners",
    "needed_owner_ids",
    "remove_dangling_rows",
    "remove_revoked_keys",
    "sweep_idle_owners",
]
