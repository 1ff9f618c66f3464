"""Named random keys kept in the vault, so that destroying one is crypto-shredding.

A row in ``privacy_secrets`` names the key and points at its vault object; the 32
random bytes exist only encrypted. Used for the daily IP salt (destroyed when the day
ends, so yesterday's pseudonyms cannot be linked to today's) and the notify-me lookup key.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from reelvault.db.privacy_models import PrivacySecret
from reelvault.errors import KeyNotFoundError
from reelvault.runtime import Runtime
from reelvault.types import ObjectId, new_object_id
from reelvault.vault import Vault

SECRET_BYTES = 32

# Per vault, per process: reading the vault on every request would cost a decrypt each.
_cache: weakref.WeakKeyDictionary[Vault, dict[str, bytes]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cached(vault: Vault) -> dict[str, bytes]:
    with _lock:
        entry = _cache.get(vault)
        if entry is None:
            entry = {}
            _cache[vault] = entry
        return entry


def _read(runtime: Runtime, name: str) -> bytes | None:
    with runtime.session() as session:
        row = session.get(PrivacySecret, name)
        object_id = None if row is None else row.object_id
    if object_id is None:
        return None
    try:
        return runtime.vault.read_bytes(ObjectId(object_id))
    except KeyNotFoundError:  # destroyed by another process between our two reads
        return None


def get_secret(runtime: Runtime, name: str, *, expires_at: datetime | None = None) -> bytes:
    """The secret called ``name``, created (32 random bytes) on first use.

    Safe from several processes: when two create the same name at once, the loser
    shreds its own object and uses the winner's.
    """
    cache = _cached(runtime.vault)
    value = cache.get(name)
    if value is not None:
        return value
    for _ in range(3):
        value = _read(runtime, name)
        if value is not None:
            break
        candidate = secrets.token_bytes(SECRET_BYTES)
        object_id = new_object_id()
        runtime.vault.put_bytes(candidate, object_id=object_id)
        try:
            with runtime.session() as session:
                session.add(
                    PrivacySecret(
                        name=name,
                        object_id=object_id,
                        created_at=runtime.clock(),
                        expires_at=expires_at,
                    )
                )
        except DbIntegrityError:
            runtime.vault.shred(object_id)
            continue
        value = candidate
        break
    if value is None:  # pragma: no cover - three lost races in a row
        raise KeyNotFoundError("could not create or read a privacy secret")
    cache[name] = value
    return value


def read_secret(runtime: Runtime, name: str) -> bytes | None:
    """The secret called ``name`` as stored now, or None; never creates one.

    Reads the database and the vault each time (no cache): for checks that must see what
    is really there, such as verifying the audit chain.
    """
    return _read(runtime, name)


def destroy_secrets(runtime: Runtime, names: list[str]) -> int:
    """Crypto-shred the named secrets (key first, then ciphertext) and drop their rows."""
    if not names:
        return 0
    cache = _cached(runtime.vault)
    with runtime.session() as session:
        rows = session.scalars(select(PrivacySecret).where(PrivacySecret.name.in_(names))).all()
        for row in rows:
            runtime.vault.shred(ObjectId(row.object_id))
        session.execute(delete(PrivacySecret).where(PrivacySecret.name.in_(names)))
    for name in names:
        cache.pop(name, None)
    return len(rows)


def secret_names(runtime: Runtime, prefix: str) -> list[str]:
    with runtime.session() as session:
        return list(
            session.scalars(
                select(PrivacySecret.name)
                .where(PrivacySecret.name.startswith(prefix, autoescape=True))
                .order_by(PrivacySecret.name)
            )
        )


def destroy_expired_secrets(runtime: Runtime) -> int:
    """Shred every secret whose ``expires_at`` has passed (run by the sweeper)."""
    now = runtime.clock()
    with runtime.session() as session:
        names = list(
            session.scalars(
                select(PrivacySecret.name).where(
                    PrivacySecret.expires_at.is_not(None), PrivacySecret.expires_at <= now
                )
            )
        )
    return destroy_secrets(runtime, names)


__all__ = [
    "SECRET_BYTES",
    "destroy_expired_secrets",
    "destroy_secrets",
    "get_secret",
    "read_secret",
    "secret_names",
]
