"""Erasure: everything of one owner crypto-shredded now, in one call.

What goes: every job (prompts, uploads, outputs: keys destroyed, then ciphertext; then
the rows and their webhook deliveries), every saved character (its media and name), the
owner's webhook secret, consent records, notify-me addresses signed up through the API,
earlier privacy requests, privacy flags, and, unless the identity is kept, the billing
status (the payment customer id) and plan usage, the API keys, browser sessions and the
owner row itself, so the pseudonym links to nothing afterwards.

What stays: anonymous usage counters (they never held the owner), and a minimal record
that an erasure happened, made by the caller (a ``data_subject_request`` row with counts
only and no owner id, kept for the policy's grace period) plus an audit entry with counts.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, select

from reelvault.accounts.accounts import forget_account
from reelvault.accounts.billing import forget_billing
from reelvault.accounts.keys import warn_if_locked
from reelvault.db.dsr_models import DataSubjectRequest, OwnerContact, OwnerPrivacy
from reelvault.db.models import ApiKey, BrowserSession, Job, Owner
from reelvault.db.privacy_models import ConsentRecord, NotifySubscription
from reelvault.db.session import truncate_wal
from reelvault.jobs import characters, objects
from reelvault.privacy import audit_log
from reelvault.runtime import Runtime
from reelvault.types import ObjectId

BATCH = 200

log = logging.getLogger(__name__)


@dataclass
class ErasureReport:
    """Counts only."""

    jobs: int = 0
    characters: int = 0
    objects_shredded: int = 0
    consent_records: int = 0
    contacts: int = 0
    requests: int = 0
    api_keys: int = 0
    sessions: int = 0
    accounts: int = 0
    billing_records: int = 0
    owner_records: int = 0
    scratch_removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _erase_jobs(runtime: Runtime, owner_id: str, report: ErasureReport) -> None:
    while True:
        with runtime.session() as session:
            jobs = session.scalars(select(Job).where(Job.owner_id == owner_id).limit(BATCH)).all()
            if not jobs:
                return
            for job in jobs:
                report.objects_shredded += objects.shred_rows(
                    runtime.vault, session, list(job.objects)
                )
                scratch = runtime.settings.scratch_dir / job.id
                if scratch.is_dir():
                    # A worker running this job notices the row is gone and stops.
                    shutil.rmtree(scratch, ignore_errors=True)
                    report.scratch_removed += 1
                session.delete(job)
                report.jobs += 1


def _erase_contacts(runtime: Runtime, owner_id: str, report: ErasureReport) -> None:
    with runtime.session() as session:
        links = session.scalars(select(OwnerContact).where(OwnerContact.owner_id == owner_id)).all()
        for link in links:
            row = session.get(NotifySubscription, link.subscription_id)
            if row is not None:
                runtime.vault.shred(ObjectId(row.address_object))
                session.delete(row)
                report.contacts += 1
            session.delete(link)


def _erase_requests(runtime: Runtime, owner_id: str, report: ErasureReport) -> None:
    with runtime.session() as session:
        rows = session.scalars(
            select(DataSubjectRequest).where(DataSubjectRequest.owner_id == owner_id)
        ).all()
        for row in rows:
            if row.address_object:
                runtime.vault.shred(ObjectId(row.address_object))
            session.delete(row)
            report.requests += 1


def erase_owner(
    runtime: Runtime, owner_id: str, *, keep_identity: bool = False, action: str = "privacy.erase"
) -> ErasureReport:
    """Crypto-shred everything of ``owner_id``. Idempotent: a second call finds nothing.

    ``keep_identity`` keeps the owner row, its API keys, sessions and privacy flags (used
    when an owner declares being under age: their data goes, the pseudonym stays so the
    gate keeps holding).
    """
    report = ErasureReport()
    _erase_jobs(runtime, owner_id, report)
    report.characters = characters.erase_characters(runtime, owner_id)
    report.objects_shredded += 2 * report.characters  # each: its media and its name
    _erase_contacts(runtime, owner_id, report)
    _erase_requests(runtime, owner_id, report)
    if not keep_identity:  # its own transaction: it shreds the address object
        # Billing first: it finds the account by owner (the customer id is personal data).
        report.billing_records = forget_billing(runtime, owner_id)
        report.accounts = forget_account(runtime, owner_id)
    with runtime.session() as session:
        report.consent_records = _rowcount(
            session.execute(delete(ConsentRecord).where(ConsentRecord.owner_id == owner_id))
        )
        owner = session.get(Owner, owner_id)
        if owner is not None and owner.webhook_secret_object:
            runtime.vault.shred(ObjectId(owner.webhook_secret_object))
            owner.webhook_secret_object = None
            report.objects_shredded += 1
        if not keep_identity:
            report.api_keys = _rowcount(
                session.execute(delete(ApiKey).where(ApiKey.owner_id == owner_id))
            )
            report.sessions = _rowcount(
                session.execute(delete(BrowserSession).where(BrowserSession.owner_id == owner_id))
            )
            session.execute(delete(OwnerPrivacy).where(OwnerPrivacy.owner_id == owner_id))
            if owner is not None:
                session.delete(owner)
                report.owner_records = 1
    # Counts only: the audit trail shows that an erasure ran, never whose.
    counts: dict[str, Any] = report.as_dict()
    audit_log.record(runtime, action, **counts)
    if not truncate_wal(runtime.db):
        log.warning("erasure: the database log is busy; the next retention sweep empties it")
    if report.api_keys:
        # The last key may have gone with its owner: the server is then locked (never
        # open to anonymous callers), and the operator should hear about it.
        warn_if_locked(runtime)
    return report


__all__ = ["ErasureReport", "erase_owner"]
