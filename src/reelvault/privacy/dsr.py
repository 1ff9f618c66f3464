"""Data-subject requests: a due date for each, e-mail requests verified before anything.

Two channels:

* **Self-service** (the API, for the caller's own session or API key): the caller is
  authenticated, so the request is answered at once; :func:`record_self_service` keeps
  a minimal record (kind, times, counts; no owner id, no address).
* **By e-mail** (``reelvault privacy requests new KIND --email ADDR``): the operator records
  the request; a one-time token goes to the address, and nothing is returned, changed or
  erased until the token comes back (``reelvault privacy requests verify TOKEN``), which proves the
  requester controls the address. What an address links to: the notify-me signup made
  with it, the sign-in account made with it, and owners (sessions, API keys) that signed
  up with it through the API, or that the operator links with ``--owner`` after checking
  the person holds them.

Each request is due ``options.request_response_days`` after it arrives
(``reelvault privacy requests --overdue`` lists the late ones). The address is kept
encrypted until the request is resolved plus the policy's grace period; unverified
requests are shredded :data:`VERIFICATION_GRACE` after their due date.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelvault.accounts.accounts import EMAIL_LOOKUP_SECRET, find_account
from reelvault.db.dsr_models import DataSubjectRequest, OwnerContact
from reelvault.db.privacy_models import NotifySubscription
from reelvault.errors import (
    ConfigError,
    GoneError,
    KeyNotFoundError,
    NotFoundError,
    ObjectNotFoundError,
    ValidationError,
)
from reelvault.privacy import audit_log, notify
from reelvault.privacy.erase import erase_owner
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.privacy.holdings import access_summary
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.restrict import object_to_processing, set_restricted
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.types import DataClass, ObjectId, new_object_id

VERIFICATION_GRACE = timedelta(days=30)


class RequestKind(StrEnum):
    ACCESS = "access"
    EXPORT = "export"
    ERASE = "erase"
    RECTIFY = "rectify"
    RESTRICT = "restrict"
    OBJECT = "object"


class RequestStatus(StrEnum):
    AWAITING_VERIFICATION = "awaiting_verification"
    RESOLVED = "resolved"


class Channel(StrEnum):
    EMAIL = "email"
    SELF_SERVICE = "self_service"
    OPERATOR = "operator"


@dataclass(frozen=True)
class RequestInfo:
    """A request as listed to the operator: no address, no content."""

    id: str
    kind: str
    channel: str
    status: str
    created_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    expires_at: datetime | None
    overdue: bool
    result: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dict(vars(self))
        for key in ("created_at", "due_at", "resolved_at", "expires_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data


def _info(row: DataSubjectRequest, now: datetime) -> RequestInfo:
    return RequestInfo(
        id=row.id,
        kind=row.kind,
        channel=row.channel,
        status=row.status,
        created_at=row.created_at,
        due_at=row.due_at,
        resolved_at=row.resolved_at,
        expires_at=row.expires_at,
        overdue=row.status != RequestStatus.RESOLVED and row.due_at <= now,
        result=dict(row.result or {}),
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _resolved_expiry(runtime: Runtime, now: datetime) -> datetime | None:
    """Resolution time plus the policy's grace (``until_resolved_plus``), or its fixed period."""
    retention = runtime.policy.rule(DataClass.DATA_SUBJECT_REQUEST).retention
    if retention.duration is not None:
        return now + retention.duration
    return runtime.policy.expires_at(DataClass.DATA_SUBJECT_REQUEST, now=now)


def _new_row(runtime: Runtime, kind: RequestKind, channel: Channel) -> DataSubjectRequest:
    now = runtime.clock()
    return DataSubjectRequest(
        id="dsr_" + secrets.token_hex(10),
        kind=kind.value,
        channel=channel.value,
        status=RequestStatus.AWAITING_VERIFICATION.value,
        result={},
        policy_version=runtime.policy.version_hash,
        created_at=now,
        due_at=now + timedelta(days=runtime.policy.options.request_response_days),
        data_class=DataClass.DATA_SUBJECT_REQUEST.value,
    )


def record_self_service(runtime: Runtime, kind: RequestKind, result: dict[str, int]) -> str:
    """The minimal record of a request answered at once through the API (counts only)."""
    row = _new_row(runtime, kind, Channel.SELF_SERVICE)
    now = runtime.clock()
    row.status = RequestStatus.RESOLVED.value
    row.verified_at = row.resolved_at = now
    row.result = {key: int(value) for key, value in result.items()}
    row.expires_at = _resolved_expiry(runtime, now)
    with runtime.session() as session:
        session.add(row)
    audit_log.record(
        runtime, "privacy.request", kind=kind.value, channel=row.channel, request=row.id
    )
    return row.id


# -- by e-mail ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedRequest:
    id: str
    kind: str
    due_at: datetime


def _verification_message(
    smtp: SmtpSettings, to: str, kind: RequestKind, token: str, request_id: str, now: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = f"Confirm your privacy request ({kind.value})"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[-1])
    message.set_content(
        f"We received a request to {kind.value} the personal data linked to this address "
        f"(reference {request_id}).\n\n"
        "To confirm that it was you, reply to this message quoting this one-time code:\n\n"
        f"    {token}\n\n"
        "Nothing is shown, changed or deleted until we receive it. If you did not make this "
        "request, ignore this message.\n"
    )
    return message


def create_request(
    runtime: Runtime,
    smtp: SmtpSettings | None,
    *,
    kind: RequestKind,
    address: str,
    owner_id: str | None = None,
) -> CreatedRequest:
    """Record an e-mailed request and send its one-time verification code to ``address``."""
    if smtp is None:
        raise ConfigError(
            "requests by e-mail need SMTP settings (smtp_host, smtp_from, public_base_url)"
        )
    address = notify.normalise_address(address)
    token = secrets.token_urlsafe(24)
    row = _new_row(runtime, kind, Channel.EMAIL)
    row.address_hash = notify.address_hash(runtime, address)
    row.address_object = new_object_id()
    row.token_hash = _token_hash(token)
    row.owner_id = owner_id
    # Unverified requests stay answerable past their due date (listed as overdue), then go.
    row.expires_at = row.due_at + VERIFICATION_GRACE
    runtime.vault.put_bytes(address.encode("utf-8"), object_id=ObjectId(row.address_object))
    try:
        with runtime.session() as session:
            session.add(row)
        with notify.Mailer(smtp) as mailer:
            mailer.send(_verification_message(smtp, address, kind, token, row.id, runtime.clock()))
    except BaseException:
        runtime.vault.shred(ObjectId(row.address_object))
        with runtime.session() as session:
            stored = session.get(DataSubjectRequest, row.id)
            if stored is not None:
                session.delete(stored)
        raise
    audit_log.record(
        runtime, "privacy.request", kind=kind.value, channel=row.channel, request=row.id
    )
    return CreatedRequest(id=row.id, kind=kind.value, due_at=row.due_at)


@dataclass
class Outcome:
    """What verifying a request did. ``data`` holds the access answer (for the operator to
    send to the verified address); ``owners`` are the linked owner ids (for an export)."""

    request_id: str
    kind: str
    owners: list[str]
    counts: dict[str, int]
    data: dict[str, Any] | None = None


def _account_owner(runtime: Runtime, address_object: str | None) -> str | None:
    """The owner of the sign-in account made with the request's (verified) address."""
    if not address_object:
        return None
    try:
        address = runtime.vault.read_bytes(ObjectId(address_object)).decode("utf-8")
        account = find_account(runtime, get_secret(runtime, EMAIL_LOOKUP_SECRET), address)
    except (KeyNotFoundError, ObjectNotFoundError, ValidationError):
        return None
    return None if account is None else account.owner_id


def _linked(
    runtime: Runtime, address_hash: str | None, owner_id: str | None
) -> tuple[list[str], list[str]]:
    """(owner ids, notify subscription ids) linked to the request's address (the
    account made with it is added by the caller, see :func:`_account_owner`)."""
    with runtime.session() as session:
        subscriptions = list(
            session.scalars(
                select(NotifySubscription.id).where(NotifySubscription.address_hash == address_hash)
            )
        )
        owners = set(
            session.scalars(
                select(OwnerContact.owner_id).where(OwnerContact.subscription_id.in_(subscriptions))
            )
        )
    if owner_id:
        owners.add(owner_id)
    return sorted(owners), subscriptions


def _shred_subscription(runtime: Runtime, subscription_id: str) -> bool:
    with runtime.session() as session:
        row = session.get(NotifySubscription, subscription_id)
        if row is None:
            return False
        runtime.vault.shred(ObjectId(row.address_object))
        session.delete(row)
        for link in session.scalars(
            select(OwnerContact).where(OwnerContact.subscription_id == subscription_id)
        ):
            session.delete(link)
    return True


def _rectify(runtime: Runtime, subscriptions: Sequence[str], new_address: str | None) -> int:
    if new_address is None:
        raise ValidationError("a rectify request needs the corrected address", param="new_email")
    new_address = notify.normalise_address(new_address)
    changed = 0
    for subscription_id in subscriptions:
        with runtime.session() as session:
            row = session.get(NotifySubscription, subscription_id)
            if row is None:
                continue
            old = row.address_object
            row.address_object = new_object_id()
            row.address_hash = notify.address_hash(runtime, new_address)
            runtime.vault.put_bytes(
                new_address.encode("utf-8"), object_id=ObjectId(row.address_object)
            )
        runtime.vault.shred(ObjectId(old))
        changed += 1
    return changed


def verify(runtime: Runtime, token: str, *, new_address: str | None = None) -> Outcome:
    """Act on the request whose code this is; the code works once.

    Export requests are resolved here too: the caller (the CLI) writes the archive of
    ``Outcome.owners`` right after, with :func:`reelvault.privacy.export.stream_export`.
    """
    now = runtime.clock()
    with runtime.session() as session:
        row = session.scalars(
            select(DataSubjectRequest).where(DataSubjectRequest.token_hash == _token_hash(token))
        ).first()
        if row is None:
            raise NotFoundError("no request with this code (already used, or mistyped)")
        if row.expires_at is not None and row.expires_at <= now:
            raise GoneError("this code has expired; ask the person to send the request again")
        row.token_hash = None
        row.verified_at = now
        request_id, kind = row.id, RequestKind(row.kind)
        address_hash, linked_owner = row.address_hash, row.owner_id
        address_object = row.address_object
        # Unlinked before acting, so erasing the owner leaves this request's record.
        row.owner_id = None
    owners, subscriptions = _linked(runtime, address_hash, linked_owner)
    account_owner = _account_owner(runtime, address_object)
    if account_owner is not None and account_owner not in owners:
        owners = sorted([*owners, account_owner])
    counts: dict[str, int] = {"owners": len(owners), "contacts": len(subscriptions)}
    data: dict[str, Any] | None = None
    if kind is RequestKind.ACCESS:
        data = {
            "contacts": len(subscriptions),
            "owners": [access_summary(runtime, owner_id) for owner_id in owners],
        }
    elif kind is RequestKind.ERASE:
        for owner_id in owners:
            counts["jobs"] = counts.get("jobs", 0) + erase_owner(runtime, owner_id).jobs
        counts["contacts_erased"] = sum(_shred_subscription(runtime, s) for s in subscriptions)
    elif kind is RequestKind.RECTIFY:
        counts["rectified"] = _rectify(runtime, subscriptions, new_address)
    elif kind is RequestKind.RESTRICT:
        for owner_id in owners:
            set_restricted(runtime, owner_id, True)
    elif kind is RequestKind.OBJECT:
        for owner_id in owners:
            object_to_processing(runtime, owner_id)
        # Objecting to marketing by e-mail: the address is no longer used, so it goes.
        counts["contacts_erased"] = sum(_shred_subscription(runtime, s) for s in subscriptions)
    resolve(runtime, request_id, counts)
    return Outcome(request_id=request_id, kind=kind.value, owners=owners, counts=counts, data=data)


def resolve(runtime: Runtime, request_id: str, counts: dict[str, int] | None = None) -> None:
    """Mark a request answered; its grace period (then deletion) starts now."""
    now = runtime.clock()
    with runtime.session() as session:
        row = session.get(DataSubjectRequest, request_id)
        if row is None:
            raise NotFoundError(f"no request {request_id}", param="request_id")
        row.status = RequestStatus.RESOLVED.value
        row.resolved_at = now
        row.result = {**(row.result or {}), **(counts or {})}
        row.expires_at = _resolved_expiry(runtime, now)
        # Once answered, nothing links the record to a person but the (encrypted) address
        # kept for follow-up questions during the grace period.
        row.owner_id = None
    audit_log.record(runtime, "privacy.request_resolved", request=request_id)


def get_request(runtime: Runtime, request_id: str) -> RequestInfo:
    """One request as the operator sees it (``NotFoundError`` if there is none such)."""
    with runtime.session() as session:
        row = session.get(DataSubjectRequest, request_id)
        if row is None:
            raise NotFoundError(f"no request {request_id}", param="request_id")
        return _info(row, runtime.clock())


def list_requests(runtime: Runtime, *, overdue_only: bool = False) -> list[RequestInfo]:
    now = runtime.clock()
    with runtime.session() as session:
        query = select(DataSubjectRequest).order_by(DataSubjectRequest.due_at)
        if overdue_only:
            query = query.where(
                DataSubjectRequest.status != RequestStatus.RESOLVED.value,
                DataSubjectRequest.due_at <= now,
            )
        return [_info(row, now) for row in session.scalars(query)]


def delete_expired(runtime: Runtime) -> int:
    """Shred requests past ``expires_at`` (resolved + grace, or never verified)."""

    def shred_address(session: Session, row: DataSubjectRequest) -> None:
        if row.address_object:
            runtime.vault.shred(ObjectId(row.address_object))

    return delete_expired_rows(runtime, DataSubjectRequest, with_row=shred_address)


__all__ = [
    "VERIFICATION_GRACE",
    "Channel",
    "CreatedRequest",
    "Outcome",
    "RequestInfo",
    "RequestKind",
    "RequestStatus",
    "create_request",
    "delete_expired",
    "get_request",
    "list_requests",
    "record_self_service",
    "resolve",
    "verify",
]
