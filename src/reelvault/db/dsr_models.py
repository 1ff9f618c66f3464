"""Tables of data-subject rights: requests, per-owner privacy flags, owner-to-contact links.

As everywhere, nothing here holds an e-mail address in plaintext: a request's address is a
vault object found through a keyed hash, and verification tokens are stored as SHA-256.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Select, String, select
from sqlalchemy.orm import Mapped, mapped_column

from reelvault.db.base import Base, UTCDateTime


class OwnerPrivacy(Base):
    """Decisions an owner made about their own data: restriction and the age declaration.

    ``restricted``: data kept, nothing processed (queued jobs are held, new ones refused).
    ``under_age``: the owner declared being under the policy's minimum age, so nothing
    personal is collected for them.
    """

    __tablename__ = "owner_privacy"

    owner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    age_declared: Mapped[bool] = mapped_column(Boolean, default=False)
    under_age: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Kept while the owner exists; removed by erasure with everything else of the owner.
    data_class: Mapped[str] = mapped_column(String(32), default="consent_record")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class OwnerContact(Base):
    """A notify-me signup made by an owner through the API, so erasure can find it."""

    __tablename__ = "owner_contacts"

    owner_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data_class: Mapped[str] = mapped_column(String(32), default="contact")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class DataSubjectRequest(Base):
    """One request to access, export, erase, rectify, restrict or object.

    ``expires_at`` stays empty until the request is resolved; then it is the resolution
    time plus the policy's grace period (``data_subject_request`` retention).
    """

    __tablename__ = "data_subject_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))  # email, self_service, operator
    status: Mapped[str] = mapped_column(String(24), index=True)
    address_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    address_object: Mapped[str | None] = mapped_column(String(32), nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # Counts only (what was found, exported, erased), never content.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    policy_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    data_class: Mapped[str] = mapped_column(String(32), default="data_subject_request")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


def held_owner_ids() -> Select[Any]:
    """Owners whose processing is restricted: the queue leaves their jobs queued."""
    return select(OwnerPrivacy.owner_id).where(OwnerPrivacy.restricted.is_(True))


__all__ = ["DataSubjectRequest", "OwnerContact", "OwnerPrivacy", "held_owner_ids"]
