"""Browser sessions of the studio: a random cookie token, stored as its digest, for a
pseudonymous owner of its own or for an API key's owner until the key is revoked."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from reelvault.accounts.accounts import AccountInfo
from reelvault.accounts.keys import ActiveKey, key_in_use
from reelvault.accounts.owners import new_owner, secret_digest
from reelvault.accounts.scopes import ADMIN, USER_SCOPES
from reelvault.db.models import Account, ApiKey, BrowserSession
from reelvault.runtime import Runtime

SESSION_LIFETIME = timedelta(days=30)  # the default of the session_lifetime_days setting
IDLE_SLIDE_STEP = timedelta(minutes=1)
"""A session's idle deadline moves at most once per this step: one write per minute of use."""


def _lifetime(runtime: Runtime) -> timedelta:
    return timedelta(days=runtime.settings.session_lifetime_days)


def _deadline(runtime: Runtime, created_at: datetime, now: datetime) -> datetime:
    """When a session used at ``now`` ends: idle timeout, capped by the absolute lifetime."""
    idle = timedelta(hours=runtime.settings.session_idle_hours)
    return min(created_at + _lifetime(runtime), now + idle)


@dataclass(frozen=True)
class SessionInfo:
    owner_id: str
    key_id: str | None  # the API key it was opened with
    account_id: str | None = None  # the account signed in with it
    # What it may do: a key's session its key's scopes; an account's every scope of a
    # user (admin too for an admin account); an anonymous one every scope of a user.
    scopes: frozenset[str] = USER_SCOPES

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
                expires_at=_deadline(runtime, now, now),
                key_id=key.id if key is not None else None,
                account_id=account.id if account is not None else None,
            )
        )
    return token, owner_id


def session_for_token(runtime: Runtime, token: str) -> SessionInfo | None:
    """The live session this token was issued for, or None (unknown, expired, key revoked)."""
    with runtime.session() as session:
        row = session.get(BrowserSession, secret_digest(token))
        now = runtime.clock()
        if row is None or row.expires_at <= now:
            return None
        scopes = USER_SCOPES
        if row.key_id is not None:
            key = session.get(ApiKey, row.key_id)
            if key is None or key.revoked_at is not None:
                return None
            active = key_in_use(runtime, session, key)
            if active is None:  # the key's account is disabled
                return None
            scopes = active.scopes
        if row.account_id is not None:
            account = session.get(Account, row.account_id)
            if account is None or account.disabled_at is not None:
                return None
            scopes = USER_SCOPES | {ADMIN} if account.role == "admin" else USER_SCOPES
        # Idle timeout: each use moves the end to now + idle (never past the lifetime).
        deadline = _deadline(runtime, row.created_at, now)
        if deadline - row.expires_at >= IDLE_SLIDE_STEP:
            row.expires_at = deadline
        return SessionInfo(
            owner_id=row.owner_id, key_id=row.key_id, account_id=row.account_id, scopes=scopes
        )


def end_session(runtime: Runtime, token: str) -> None:
    """Sign out: the session's row goes, so its cookie opens nothing any more."""
    with runtime.session() as session:
        row = session.get(BrowserSession, secret_digest(token))
        if row is not None:
            session.delete(row)


def end_sessions_of(runtime: Runtime, owner_id: str) -> int:
    """Sign out everywhere: every session acting as this owner ends."""
    with runtime.session() as session:
        result = session.execute(delete(BrowserSession).where(BrowserSession.owner_id == owner_id))
        return int(getattr(result, "rowcount", 0) or 0)


HANDLE_LENGTH = 16
"""A session's handle in lists: the start of its token's digest. It names the session to
its own account and opens nothing (the cookie is the token, not its digest)."""


@dataclass(frozen=True)
class SessionSummary:
    handle: str
    created_at: datetime
    expires_at: datetime
    opened_with_key: bool


def sessions_of(runtime: Runtime, owner_id: str) -> list[SessionSummary]:
    """The live sessions acting as this owner, newest first (no address or browser name
    is kept, so none can be shown)."""
    now = runtime.clock()
    with runtime.session() as session:
        rows = session.scalars(
            select(BrowserSession)
            .where(BrowserSession.owner_id == owner_id, BrowserSession.expires_at > now)
            .order_by(BrowserSession.created_at.desc())
        ).all()
        return [
            SessionSummary(
                handle=row.token_hash[:HANDLE_LENGTH],
                created_at=row.created_at,
                expires_at=row.expires_at,
                opened_with_key=row.key_id is not None,
            )
            for row in rows
        ]


def session_handle(token: str) -> str:
    return secret_digest(token)[:HANDLE_LENGTH]


def end_session_by_handle(runtime: Runtime, owner_id: str, handle: str) -> bool:
    """End one session of this owner, named by its handle; False if it has none by that name
    (another owner's session is not found either)."""
    if len(handle) != HANDLE_LENGTH:
        return False
    with runtime.session() as session:
        rows = session.scalars(
            select(BrowserSession).where(BrowserSession.owner_id == owner_id)
        ).all()
        for row in rows:
            # Digests of random tokens: not secret byte by byte (see secret_digest), but
            # compared in constant time all the same.
            if hmac.compare_digest(row.token_hash[:HANDLE_LENGTH], handle):
                session.delete(row)
                return True
    return False


def owner_for_session(runtime: Runtime, token: str) -> str | None:
    found = session_for_token(runtime, token)
    return None if found is None else found.owner_id


__all__ = [
    "SESSION_LIFETIME",
    "SessionInfo",
    "SessionSummary",
    "end_session",
    "end_session_by_handle",
    "end_sessions_of",
    "owner_for_session",
    "session_for_token",
    "session_handle",
    "sessions_of",
    "start_session",
]
