"""ORM models. Every row that holds personal data records its data class and ``expires_at``.

No column ever holds prompt text, file contents, e-mail addresses or IP addresses in
plaintext: personal content lives encrypted in the vault and rows point at it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reelvault.db.base import Base, UTCDateTime


class Job(Base):
    """One generation job: its parameters, state, lease and the vault objects it owns."""

    __tablename__ = "jobs"
    # The queue's claim: the oldest queued job. Without it the claim walks created_at from
    # the first job ever and filters out every finished one, so it slows with history.
    __table_args__ = (Index("ix_jobs_claim", "status", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    data_class: Mapped[str] = mapped_column(String(32), default="job_metadata")
    policy_version: Mapped[str] = mapped_column(String(32))

    task: Mapped[str] = mapped_column(String(32))
    engine: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    fps: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
    # Engine parameters are technical settings (camera move, style), never personal data:
    # free-text ones (a negative prompt) are kept with the prompt, encrypted, instead.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(32), default="queued")
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the job row itself (technical metadata) is deleted; None = until deleted.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)

    output_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_frames: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    output_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Whether the finished video has a sound track (a model's own, or a dance's music).
    output_has_audio: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # mp4 (H.264 + AAC, the default) or webm (VP9, video only).
    output_format: Mapped[str] = mapped_column(String(8), default="mp4", server_default="mp4")
    # Where to POST a signed notice when the job ends (http/https only, SSRF-checked).
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Lineage of a derived video: the job it was made from (an id only, never that job's
    # prompt; no foreign key, so deleting the source leaves what was made from it) and how
    # (remix, extension, edit). None for a video made from scratch.
    source_job_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    derivation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # An extension's engine timeline: the frames of the first video of its line (an
    # extension of an extension goes on along the same timeline, not a longer one).
    timeline_frames: Mapped[int | None] = mapped_column(Integer, nullable=True)

    objects: Mapped[list[StoredObject]] = relationship(
        back_populates="job", cascade="all, delete-orphan", passive_deletes=True
    )

    def object_of_kind(self, kind: str) -> StoredObject | None:
        return next((obj for obj in self.objects if obj.kind == kind), None)


class StoredObject(Base):
    """A vault object (encrypted blob + wrapped key) and the policy facts about it."""

    __tablename__ = "stored_objects"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # prompt, input_image, output_video, ...
    data_class: Mapped[str] = mapped_column(String(32), index=True)
    content_type: Mapped[str] = mapped_column(String(64))
    plaintext_size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Retention kind "job": shredded when the job ends, whatever the outcome.
    expires_with_job: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)

    job: Mapped[Job | None] = relationship(back_populates="objects")


class Owner(Base):
    """Who jobs belong to: an API key holder, a browser session or this machine's CLI.

    Pseudonymous: an owner row holds no name, e-mail or address.
    """

    __tablename__ = "owners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # local, api_key, session
    data_class: Mapped[str] = mapped_column(String(32), default="job_metadata")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # Vault object holding the owner's webhook signing secret (a credential, so encrypted).
    webhook_secret_object: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ApiKey(Base):
    """An API key. Only a SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Space-separated scope names (reelvault.accounts.scopes), e.g. "privacy videos:read".
    scopes: Mapped[str] = mapped_column(String(200))
    # The day (UTC) the key was last used, never a time of day: a timestamp per request
    # would be a log of the person's activity. Written at most once a day per key.
    last_used_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class BrowserSession(Base):
    """A pseudonymous browser session: the cookie holds a random token, we keep its hash."""

    __tablename__ = "browser_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The API key this session was opened with (pasted into the studio), or None for an
    # anonymous session. A key's sessions end with it (revoked or erased).
    key_id: Mapped[str | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # The account signed in with this session (e-mail and password), or None.
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True
    )


class Account(Base):
    """A person who signs in with an e-mail address and a password (optional feature).

    Pseudonymous like every row: the address is kept encrypted in the vault
    (``email_object``) and found by ``email_lookup``, a keyed HMAC of the normalised
    address, so neither this table nor a copy of it reveals who has an account. The
    password is an argon2id hash. The account acts through its owner (``owner_id``): jobs,
    keys and sessions belong to the owner, and erasing the owner ends the account.
    """

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), unique=True, index=True
    )
    # None only for the local operator account (``kind`` "operator"): it signs in nowhere.
    email_lookup: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    email_object: Mapped[str | None] = mapped_column(String(32), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The name the person chose to be shown (optional), encrypted in the vault like the address.
    display_name_object: Mapped[str | None] = mapped_column(String(32), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="user")  # user, admin
    # "person" (signs in with e-mail and password) or "operator": the one account, made
    # on first need, that owns the keys ``reelvault keys create`` makes (role admin).
    kind: Mapped[str] = mapped_column(String(16), default="person", server_default="person")
    # Per-account limit overrides set by an admin ({"video_seconds_per_month": 600, ...};
    # reelvault.accounts.quota_overrides), None: the plan's. Counts only, no personal data.
    quota: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The person confirmed at sign-up that they are at least the policy's minimum age.
    age_confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AccountToken(Base):
    """A single-use link sent by e-mail (verify the address, reset the password).

    Only the SHA-256 of the random token is kept; it works once, before ``expires_at``.
    """

    __tablename__ = "account_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))  # verify_email, password_reset
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DeploymentFlag(Base):
    """A fact about this deployment that, once recorded, is never unrecorded.

    ``api_key_has_existed``: some API key was created here once, so a server without a
    usable key is locked rather than open (keyless single-user mode is over for good).
    Holds no personal data.
    """

    __tablename__ = "deployment_flags"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One notice to send about a job, retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# The privacy tables live in their own module; importing it registers them on Base.
from reelvault.db import (  # noqa: E402, F401
    billing_models,
    dsr_models,
    moderation_models,
    oidc_models,
    privacy_models,
    vault_keys,
)

__all__ = [
    "ApiKey",
    "BrowserSession",
    "DeploymentFlag",
    "Job",
    "Owner",
    "StoredObject",
    "WebhookDelivery",
]
