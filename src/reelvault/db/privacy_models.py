"""Tables of the privacy mechanisms: audit chain, secrets, consent, usage counters, notify-me.

Like every model, rows that hold anything about a person carry their data class and an
``expires_at`` from the policy. None of these tables holds an e-mail or IP address in
plaintext: addresses are vault objects found through a keyed hash, IPs never get here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelvault.db.base import Base, UTCDateTime


class AuditEntry(Base):
    """One link of the hash chain: ``hash`` covers this entry and ``prev_hash``."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(80))
    # Counts, ids (random pseudonyms) and flags only; checked before anything is written.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    data_class: Mapped[str] = mapped_column(String(32), default="audit_entry")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class AuditAnchor(Base):
    """Where the chain starts after old entries were pruned by retention (one row, id 1)."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacySecret(Base):
    """A named random key kept in the vault (so destroying it is crypto-shredding).

    Used for the daily IP salt (``ip-salt/<date>``) and the notify-me lookup key.
    """

    __tablename__ = "privacy_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    object_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class ConsentRecord(Base):
    """One grant or withdrawal; the newest record per owner and purpose is what counts."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_owner_purpose", "owner_id", "purpose", "seq"),)

    # Autoincrement gives a total order even when two records share a timestamp.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(80))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(16))  # user, gpc, dnt, operator
    policy_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data_class: Mapped[str] = mapped_column(String(32), default="consent_record")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class UsageCounter(Base):
    """An aggregate count of job outcomes for one cell (day x feature x ... x outcome).

    There is deliberately no owner, session, job id or time finer than a day.
    """

    __tablename__ = "usage_counters"
    __table_args__ = (
        UniqueConstraint(
            "day",
            "feature",
            "engine",
            "resolution",
            "duration",
            "outcome",
            name="uq_usage_counters_cell",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    feature: Mapped[str] = mapped_column(String(32))
    engine: Mapped[str] = mapped_column(String(64))
    resolution: Mapped[str] = mapped_column(String(16))
    duration: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer, default=0)
    data_class: Mapped[str] = mapped_column(String(32), default="usage_event")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class NotifySubscription(Base):
    """A notify-me signup. The address is a vault object; ``address_hash`` is a keyed hash.

    One address may have several signups, one per owner who asked: each has its own
    double opt-in, so a signup never reveals or joins another owner's (``OwnerContact``
    links an owner to their own signups only).
    """

    __tablename__ = "notify_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    address_object: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, confirmed
    # Hashes of the link tokens; the tokens themselves exist only in the e-mails.
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    unsubscribe_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    policy_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data_class: Mapped[str] = mapped_column(String(32), default="contact")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class OutgoingMail(Base):
    """One e-mail sent for a request nobody vouched for (a notify-me confirmation), kept for
    the outgoing-mail budget's window only.

    No address: ``recipient_hash`` is a keyed hash under a key of its own (not the notify-me
    lookup key), so these rows cannot be joined to the signups without the vault.
    """

    __tablename__ = "outgoing_mail"
    __table_args__ = (Index("ix_outgoing_mail_recipient_sent", "recipient_hash", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_hash: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    data_class: Mapped[str] = mapped_column(String(32), default="contact")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class AttemptCounter(Base):
    """Attempts counted for a limit shared by every API process: failed sign-ins per
    account and per network address, sign-ups per address.

    Nothing personal in plaintext: ``subject_hash`` is a keyed hash, under a key of its
    own kept in the vault, of what is counted (an e-mail's lookup digest, today's address
    pseudonym). A row outlives its window by nothing: ``expires_at`` is when its count
    would start over, and the sweeper deletes it then.
    """

    __tablename__ = "attempt_counters"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data_class: Mapped[str] = mapped_column(String(32), default="account")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


__all__ = [
    "AttemptCounter",
    "AuditAnchor",
    "AuditEntry",
    "ConsentRecord",
    "NotifySubscription",
    "OutgoingMail",
    "PrivacySecret",
    "UsageCounter",
]
