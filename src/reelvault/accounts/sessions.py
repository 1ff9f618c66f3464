"""Browser sessions of the studio: a random cookie token, stored as its digest, for a
pseudonymous owner of its own or for an API key's owner until the key is revoked."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from reelvault.accounts.keys import ActiveKey
from reelvault.accounts.owners import new_owner, secret_digest
from reelvault.db.models import ApiKey, BrowserSession
from reelvault.runtime import Runtime

SESSION_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class SessionInfo:
    owner_id: str
    key_id: str | None  # None: an anonymous session

    @property
    def anonymous(self) -> bool:
        return self.key_id is None


def start_session(
    runtime: Runtime, *, key: ActiveKey | None = None, replaces: str | None = None
) -> tuple[str, str]:
    """A new browser session: (cookie token, owner id). Always a fresh random token.

    Without ``key``, the session is its own new pseudonymous owner; with one, it acts as
    that key's owner until the key is revoked. ``replaces``: the token this browser held
    before, ended here, so that an identifier known before a sign-in is useless after it.
    """
    owner_id = key.owner_id if key is not None else new_owner(runtime, "session")
    token = secrets.token_urlsafe(32)
    now = runtime.clock()
    with runtime.session() as session:
        if replaces:
            old = session.get(BrowserSession, secret_digest(replaces))
            if old is not None:
                session.delete(old)
        session.add(
            BrowserSession(
                token_hash=secret_digest(token),
                owner_id=owner_id,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
                key_id=key.id if key is not None else None,
            )
        )
    return token, owner_id


def session_for_token(runtime: Runtime, token: str) -> SessionInfo | None:
    """The live session this token was issued for, or None (unknown, expired, key revoked)."""
    with runtime.session() as session:
        row = session.get(BrowserSession, secret_digest(token))
        if row is None or row.expires_at <= runtime.clock():
            return None
        if row.key_id is not None:
            key = session.get(ApiKey, row.key_id)
            if key is None or key.revoked_at is not None:
                return None
        return SessionInfo(owner_id=row.owner_id, key_id=row.key_id)


def owner_for_session(runtime: Runtime, token: str) -> str | None:
    found = session_for_token(runtime, token)
    return None if found is None else found.owner_id


__all__ = [
    "SESSION_LIFETIME",
    "SessionInfo",
    "owner_for_session",
    "session_for_token",
    "start_session",
]
