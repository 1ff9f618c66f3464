"""Owners of jobs and their credentials: API keys (stored hashed) and browser sessions.

Owner ids are random pseudonyms; nothing here holds a name, an e-mail or an address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from reelvault.db.models import ApiKey, BrowserSession, Owner
from reelvault.errors import NotFoundError, ValidationError
from reelvault.jobs.runtime import Runtime
from reelvault.types import LOCAL_OWNER, ObjectId

KEY_PREFIX = "rv-"
SESSION_LIFETIME = timedelta(days=30)


def _digest(secret: str) -> str:
    # Secrets are 256-bit random values, so a plain SHA-256 is enough (no dictionary to try).
    return hashlib.sha256(secret.encode()).hexdigest()


def new_owner(runtime: Runtime, kind: str) -> str:
    owner_id = "own_" + secrets.token_hex(12)
    now = runtime.clock()
    with runtime.session() as session:
        session.add(Owner(id=owner_id, kind=kind, created_at=now, last_seen_at=now))
    return owner_id


def ensure_owner(runtime: Runtime, owner_id: str, kind: str) -> None:
    """Create the owner row if missing (the CLI's ``local`` owner is created lazily)."""
    with runtime.session() as session:
        if session.get(Owner, owner_id) is None:
            now = runtime.clock()
            session.add(Owner(id=owner_id, kind=kind, created_at=now, last_seen_at=now))


@dataclass(frozen=True)
class CreatedKey:
    id: str
    name: str
    owner_id: str
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    prefix: str
    owner_id: str
    created_at: datetime
    revoked_at: datetime | None


def create_api_key(runtime: Runtime, *, name: str, owner_id: str | None = None) -> CreatedKey:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("a key needs a name of 1-100 characters", param="name")
    if owner_id is None:
        owner_id = new_owner(runtime, "api_key")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id="key_" + secrets.token_hex(8),
        owner_id=owner_id,
        name=name,
        prefix=secret[:10],
        secret_hash=_digest(secret),
        created_at=runtime.clock(),
    )
    with runtime.session() as session:
        session.add(key)
    runtime.remember_answer(KEYS_CONFIGURED, True)
    return CreatedKey(id=key.id, name=name, owner_id=owner_id, secret=secret)


def list_api_keys(runtime: Runtime) -> list[KeyInfo]:
    with runtime.session() as session:
        keys = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
        return [
            KeyInfo(k.id, k.name, k.prefix, k.owner_id, k.created_at, k.revoked_at) for k in keys
        ]


def revoke_api_key(runtime: Runtime, key_id: str) -> None:
    with runtime.session() as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            raise NotFoundError(f"no API key {key_id}", param="key_id")
        key.revoked_at = key.revoked_at or runtime.clock()


KEYS_CONFIGURED = "keys_configured"
KEYS_CONFIGURED_MAX_AGE_S = 1.0
"""How stale the "is any API key configured?" answer may be. Every request asks; a key
created in this process counts at once, one created by another process (``reelvault keys
create`` beside a running server) within this many seconds."""


def keys_configured(runtime: Runtime) -> bool:
    """True once any key exists: from then on, requests must authenticate."""
    with runtime.session() as session:
        configured = session.scalar(select(ApiKey.id).limit(1)) is not None
    runtime.remember_answer(KEYS_CONFIGURED, configured)
    return configured


def keys_configured_recently(runtime: Runtime) -> bool | None:
    """:func:`keys_configured` as asked within the last second, or None (ask again)."""
    return runtime.recent_answer(KEYS_CONFIGURED, KEYS_CONFIGURED_MAX_AGE_S)


def owner_for_key(runtime: Runtime, secret: str) -> str | None:
    """The owner of an active key, or None. Constant-time comparison on the digest."""
    digest = _digest(secret)
    with runtime.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == digest))
        if key is None or key.revoked_at is not None:
            return None
        if not hmac.compare_digest(key.secret_hash, digest):
            return None
        return key.owner_id


def start_session(runtime: Runtime) -> tuple[str, str]:
    """A new pseudonymous browser session: (cookie token, owner id)."""
    owner_id = new_owner(runtime, "session")
    token = secrets.token_urlsafe(32)
    now = runtime.clock()
    with runtime.session() as session:
        session.add(
            BrowserSession(
                token_hash=_digest(token),
                owner_id=owner_id,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
    return token, owner_id


def owner_for_session(runtime: Runtime, token: str) -> str | None:
    with runtime.session() as session:
        row = session.get(BrowserSession, _digest(token))
        if row is None or row.expires_at <= runtime.clock():
            return None
        return row.owner_id


def webhook_secret(runtime: Runtime, owner_id: str, *, rotate: bool = False) -> str:
    """The owner's Standard Webhooks secret (``whsec_`` + base64), created on first use."""
    ensure_owner(runtime, owner_id, "local" if owner_id == LOCAL_OWNER else "api_key")
    with runtime.session() as session:
        owner = session.get(Owner, owner_id)
        assert owner is not None
        if owner.webhook_secret_object and not rotate:
            raw = runtime.vault.read_bytes(ObjectId(owner.webhook_secret_object))
            return "whsec_" + base64.b64encode(raw).decode()
        old = owner.webhook_secret_object
        raw = secrets.token_bytes(32)
        stored = runtime.vault.put_bytes(raw)
        owner.webhook_secret_object = stored.object_id
    if old:
        runtime.vault.shred(ObjectId(old))
    return "whsec_" + base64.b64encode(raw).decode()


__all__ = [
    "KEY_PREFIX",
    "LOCAL_OWNER",
    "CreatedKey",
    "KeyInfo",
    "create_api_key",
    "ensure_owner",
    "keys_configured",
    "keys_configured_recently",
    "list_api_keys",
    "new_owner",
    "owner_for_key",
    "owner_for_session",
    "revoke_api_key",
    "start_session",
    "webhook_secret",
]
