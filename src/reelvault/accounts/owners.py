"""Owners of jobs: random pseudonyms (nothing here holds a name, an e-mail or an address),
and each owner's webhook signing secret, kept in the vault."""

from __future__ import annotations

import base64
import hashlib
import secrets

from reelvault.db.models import Owner
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER, ObjectId


def secret_digest(secret: str) -> str:
    """How API keys and session tokens are stored: their SHA-256.

    Secrets are 256-bit random values, so a plain SHA-256 is enough (no dictionary to try).
    """
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


__all__ = ["LOCAL_OWNER", "ensure_owner", "new_owner", "secret_digest", "webhook_secret"]
