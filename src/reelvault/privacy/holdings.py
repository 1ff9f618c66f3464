"""What the service holds about one owner: the answer to an access request.

:func:`access_summary` counts and describes (no content); :func:`owner_record` is the
full machine-readable record used by the export, with kept prompts and contact
addresses decrypted. A visitor we hold nothing about gets an honest ``holds_data: false``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelvault.db.billing_models import BillingAccount, BillingUsage
from reelvault.db.character_models import Character
from reelvault.db.dsr_models import DataSubjectRequest, OwnerContact, OwnerPrivacy
from reelvault.db.models import Account, ApiKey, BrowserSession, Job, Owner, StoredObject
from reelvault.db.privacy_models import ConsentRecord, NotifySubscription
from reelvault.errors import KeyNotFoundError, ObjectNotFoundError
from reelvault.jobs import characters, objects
from reelvault.jobs.views import JobView
from reelvault.privacy import consent
from reelvault.runtime import Runtime
from reelvault.types import DataClass, ObjectId

BILLING_NOTE = (
    "not held: this service keeps no payment or subscription data; payments, where "
    "enabled, go through the payment processor"
)
BILLING_HELD = (
    "held: the payment processor's customer id, your plan and subscription status, and "
    "the seconds of video used per month; never card data (payments go through the "
    "processor only)"
)
NOTHING = "We hold no personal data linked to you."


def _billing_counts(session: Session, owner_id: str, account_id: str | None) -> dict[str, int]:
    status = session.get(BillingAccount, account_id) if account_id else None
    months = session.scalar(
        select(func.count()).select_from(BillingUsage).where(BillingUsage.owner_id == owner_id)
    )
    return {"subscriptions": int(status is not None), "usage_months": int(months or 0)}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def access_summary(runtime: Runtime, owner_id: str) -> dict[str, Any]:
    """Counts per kind of data held, with each class's retention from the live policy."""
    policy = runtime.policy
    with runtime.session() as session:
        statuses = Counter(
            session.scalars(select(Job.status).where(Job.owner_id == owner_id)).all()
        )
        stored = session.execute(
            select(StoredObject.data_class, func.count(), func.sum(StoredObject.plaintext_size))
            .join(Job, StoredObject.job_id == Job.id)
            .where(Job.owner_id == owner_id)
            .group_by(StoredObject.data_class)
        ).all()
        consents = session.scalar(
            select(func.count())
            .select_from(ConsentRecord)
            .where(ConsentRecord.owner_id == owner_id)
        )
        contacts = session.scalar(
            select(func.count()).select_from(OwnerContact).where(OwnerContact.owner_id == owner_id)
        )
        requests = session.scalar(
            select(func.count())
            .select_from(DataSubjectRequest)
            .where(DataSubjectRequest.owner_id == owner_id)
        )
        keys = session.scalar(
            select(func.count()).select_from(ApiKey).where(ApiKey.owner_id == owner_id)
        )
        sessions = session.scalar(
            select(func.count())
            .select_from(BrowserSession)
            .where(BrowserSession.owner_id == owner_id)
        )
        account_id = session.scalar(select(Account.id).where(Account.owner_id == owner_id))
        owner = session.get(Owner, owner_id)
        flags = session.get(OwnerPrivacy, owner_id)
        webhook_secret = bool(owner is not None and owner.webhook_secret_object)
        billing = _billing_counts(session, owner_id, account_id)
        saved = session.execute(
            select(func.count(), func.sum(Character.media_bytes)).where(
                Character.owner_id == owner_id
            )
        ).one()
    held: dict[str, Any] = {}
    if statuses:
        held[DataClass.JOB_METADATA.value] = {"jobs": sum(statuses.values()), **statuses}
    for data_class, count, size in stored:
        held[data_class] = {"objects": int(count), "bytes": int(size or 0)}
    if consents:
        held[DataClass.CONSENT_RECORD.value] = {"decisions": int(consents)}
    if contacts:
        held[DataClass.CONTACT.value] = {"addresses": int(contacts)}
    if requests:
        held[DataClass.DATA_SUBJECT_REQUEST.value] = {"requests": int(requests)}
    if account_id is not None:  # the e-mail address and password hash of a sign-in account
        held[DataClass.ACCOUNT.value] = {"accounts": 1}
    if any(billing.values()):
        held[DataClass.BILLING_STATUS.value] = billing
    if saved[0]:
        held[DataClass.CHARACTER.value] = {"characters": int(saved[0]), "bytes": int(saved[1])}
    for entry_name, entry in held.items():
        rule = policy.rule(DataClass(entry_name))
        entry["retention"] = rule.retention.describe()
        entry["encrypted"] = rule.encrypted
    holds = bool(held) or webhook_secret or flags is not None
    identity = {
        "owner_id": owner_id,
        "kind": owner.kind if owner is not None else None,
        "account_id": account_id,
        "api_keys": int(keys or 0),
        "browser_sessions": int(sessions or 0),
        "webhook_secret": webhook_secret,
    }
    if holds:
        text = "Counts of what we hold about you, by kind of data, with how long we keep it."
    elif owner is not None:
        text = NOTHING + " Only the random ID of your session or API key exists."
    else:
        text = NOTHING
    return {
        "holds_data": holds,
        "summary": text,
        "identity": identity,
        "held": held,
        "restricted": bool(flags and flags.restricted),
        "billing_status": BILLING_HELD if any(billing.values()) else BILLING_NOTE,
        "policy_version": policy.version_hash,
        "generated_at": runtime.clock().isoformat(),
    }


def _read_prompt(runtime: Runtime, object_id: str) -> tuple[str | None, dict[str, Any]]:
    try:
        return objects.read_prompt_document(runtime.vault, ObjectId(object_id))
    except (KeyNotFoundError, ObjectNotFoundError):
        return None, {}  # expired between the query and the read


def job_record(runtime: Runtime, job: Job) -> dict[str, Any]:
    """One job as exported: its metadata, its kept prompt, its files (names only)."""
    view = JobView.of(job)
    record: dict[str, Any] = {
        key: (_iso(value) if isinstance(value, datetime) else value)
        for key, value in vars(view).items()
    }
    # The client's own URL, held encrypted with the job until its notice is sent.
    record["webhook_url"] = objects.webhook_url_of(runtime.vault, job)
    kept = job.object_of_kind(objects.PROMPT) or job.object_of_kind(objects.JOB_PROMPT)
    prompt, free_text = _read_prompt(runtime, kept.id) if kept is not None else (None, {})
    record["prompt"] = prompt
    # Free-text parameters (a negative prompt) are kept with the prompt, for as long.
    record["params"] = {**record["params"], **free_text}
    record["files"] = [
        {
            "kind": row.kind,
            "data_class": row.data_class,
            "content_type": row.content_type,
            "bytes": row.plaintext_size,
            "expires_at": _iso(row.expires_at),
        }
        for row in job.objects
        if row.kind not in (objects.PROMPT, objects.JOB_PROMPT)
    ]
    return record


def _key_record(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes.split(),
        "created_at": _iso(key.created_at),
        "last_used_on": key.last_used_on.isoformat() if key.last_used_on else None,
        "revoked_at": _iso(key.revoked_at),
    }


def _character_records(runtime: Runtime, owner_id: str) -> list[dict[str, Any]]:
    """Saved characters with their names (the export adds each one's photo or video)."""
    return [
        {
            "id": view.id,
            "name": view.name,
            "media_type": view.media_type,
            "created_at": _iso(view.created_at),
            "expires_at": _iso(view.expires_at),
        }
        for view in characters.list_characters(runtime, owner_id)
    ]


def owner_record(runtime: Runtime, owner_id: str) -> dict[str, Any]:
    """Everything held about ``owner_id`` except media bytes (the export adds those)."""
    with runtime.session() as session:
        jobs = session.scalars(
            select(Job).where(Job.owner_id == owner_id).order_by(Job.created_at, Job.id)
        ).all()
        job_records = [job_record(runtime, job) for job in jobs]
        keys = session.scalars(select(ApiKey).where(ApiKey.owner_id == owner_id)).all()
        key_records = [_key_record(key) for key in keys]
        links = session.scalars(
            select(OwnerContact.subscription_id).where(OwnerContact.owner_id == owner_id)
        ).all()
        subscriptions = [
            row for row in (session.get(NotifySubscription, link) for link in links) if row
        ]
        contact_records = [
            {
                "purpose": "notify-me",
                "status": row.status,
                "created_at": _iso(row.created_at),
                "address": _read_address(runtime, row.address_object),
            }
            for row in subscriptions
        ]
        requests = session.scalars(
            select(DataSubjectRequest).where(DataSubjectRequest.owner_id == owner_id)
        ).all()
        account = session.scalar(select(Account).where(Account.owner_id == owner_id))
        account_record = None if account is None else _account_record(runtime, account)
        billing_row = None if account is None else session.get(BillingAccount, account.id)
        usage_rows = session.scalars(
            select(BillingUsage).where(BillingUsage.owner_id == owner_id)
        ).all()
        billing_record = {
            "customer_id": billing_row.customer_id if billing_row else None,
            "plan": billing_row.plan if billing_row else None,
            "subscription_status": billing_row.subscription_status if billing_row else None,
            "usage": [
                {"month": row.month, "video_seconds": row.video_seconds} for row in usage_rows
            ],
        }
        flags = session.get(OwnerPrivacy, owner_id)
        privacy_flags = {
            "age_declared": bool(flags and flags.age_declared),
            "under_minimum_age": bool(flags and flags.under_age),
            "age_declared_at": _iso(flags.declared_at) if flags else None,
            "restricted": bool(flags and flags.restricted),
            "restricted_at": _iso(flags.restricted_at) if flags else None,
        }
        request_records = [
            {
                "id": row.id,
                "kind": row.kind,
                "status": row.status,
                "created_at": _iso(row.created_at),
                "due_at": _iso(row.due_at),
                "resolved_at": _iso(row.resolved_at),
            }
            for row in requests
        ]
    history = consent.history(runtime, owner_id)
    return {
        "owner_id": owner_id,
        "summary": access_summary(runtime, owner_id),
        "jobs": job_records,
        "characters": _character_records(runtime, owner_id),
        "consents": {
            "effective": consent.current(runtime, owner_id),
            "history": [
                {
                    "purpose": item.purpose,
                    "granted": item.granted,
                    "source": item.source.value,
                    "policy_version": item.policy_version,
                    "at": item.at.isoformat(),
                }
                for item in history
            ],
        },
        "account": account_record,
        "api_keys": key_records,
        "contacts": contact_records,
        "requests": request_records,
        "privacy_flags": privacy_flags,
        "subscription_status": billing_record["subscription_status"],
        "billing": billing_record,
        "billing_status": BILLING_HELD if billing_row or usage_rows else BILLING_NOTE,
    }


def _account_record(runtime: Runtime, account: Account) -> dict[str, Any]:
    """The sign-in account, address decrypted; never the password hash (not the person's
    data to take away, and a copy of it would only help someone guess the password)."""
    return {
        "id": account.id,
        "email": _read_address(runtime, account.email_object),
        "display_name": (
            None
            if account.display_name_object is None
            else _read_address(runtime, account.display_name_object)
        ),
        "role": account.role,
        "created_at": _iso(account.created_at),
        "age_confirmed_at": _iso(account.age_confirmed_at),
        "email_verified_at": _iso(account.email_verified_at),
        "disabled_at": _iso(account.disabled_at),
    }


def _read_address(runtime: Runtime, object_id: str | None) -> str | None:
    if object_id is None:  # the local operator account has no address
        return None
    try:
        return runtime.vault.read_bytes(ObjectId(object_id)).decode("utf-8")
    except (KeyNotFoundError, ObjectNotFoundError):
        return None


__all__ = [
    "BILLING_HELD",
    "BILLING_NOTE",
    "NOTHING",
    "access_summary",
    "job_record",
    "owner_record",
]
