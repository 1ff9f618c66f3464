"""Browser sessions of the studio: a random cookie token, stored as its digest, for a
pseudonymous owner of its own or for an API key's owner until the key is revoked."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from reelvault.accounts.accounts import AccountInfo
from reelvault.accounts.keys import ActiveKey
from reelvault.accounts.owners import new_owner, secret_digest
from reelvault.db.models import Account, ApiKey, BrowserSession
from reelvault.runtime import Runtime

SESSION_LIFETIME = timedelta(days=30)


@dataclass(frozen=True)
class SessionInfo:
    owner_id: str
    key_id: str | None  # the API key it was opened with
    account_id: str | None = None  # the account signed in with it

    @property
    def anonymous(self) -> bool:
        """Opened with neither a key nor an account: a pseudonym of its own."""
        return self.key_id is None and self.account_id is None


def start_session(
    runtime: Runtime,
    *,
    key: ActiveKey | None = None,
    account: AccountInfo | None = None,
    replaces: str | None = None,
) -> tuple[str, str]:
    """A new browser session: (cookie token, owner id). Always a fresh random token.

    Without ``key``, the session is its own new pseudonymous owner; with one, it acts as
    that key's owner until the key is revoked; with ``account``, as the account's owner
    until it signs out or is disabled. ``replaces``: the token this browser held
    before, ended here, so that an identifier known before a sign-in is useless after it.
    """
    if key is not None:
        owner_id = key.owner_id
    elif account is not None:
        owner_id = account.owner_id
    else:
        owner_id = new_owner(runtime, "session")
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
                account_id=account.id if account is not None else None,
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
        if row.account_id is not None:
            account = session.get(Account, row.account_id)
            if account is None or account.disabled_at is not None:
                return None
        return SessionInfo(owner_id=row.owner_id, key_id=row.key_id, account_id=row.account_id)


def end_session(runtime: Runtime, token: str) -> None:
    """Sign out: the session's row goes, so its cookie opens nothing any more."""
    with runtime.session() as session:
        row = session.get(BrowserSession, secret_digest(token))
        if row is not None:
            session.delete(row)


def owner_for_session(runtime: Runtime, token: str) -> str | None:
    found = session_for_token(runtime, token)
    return None if found is None else found.owner_id


__all__ = [
    "SESSION_LIFETIME",
    "SessionInfo",
    "end_session",
    "owner_for_session",
    "session_for_token",
    "start_session",
]
