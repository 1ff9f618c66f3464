"""Owners of jobs and their credentials: API keys (stored hashed) and browser sessions.

Owner ids are random pseudonyms; nothing here holds a name, an e-mail or an address.

Keyless single-user mode (anonymous callers are the CLI's local owner) is a state a
deployment starts in and leaves for good: it holds while no API key has *ever* been
created and the server binds to loopback. Once a key has existed, losing every key
(revoked, or erased with its owner) locks the server instead of opening it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reelvault.db.models import ApiKey, BrowserSession, DeploymentFlag, Owner
from reelvault.errors import NotFoundError, ValidationError
from reelvault.runtime import Runtime
from reelvault.types import LOCAL_OWNER, ObjectId

KEY_PREFIX = "rv-"
SESSION_LIFETIME = timedelta(days=30)
KEY_HAS_EXISTED = "api_key_has_existed"

log = logging.getLogger(__name__)


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
        _record_key_has_existed(session, key.created_at)
    runtime.remember_answer(KEYS_HAVE_EXISTED, True)
    return CreatedKey(id=key.id, name=name, owner_id=owner_id, secret=secret)


def list_api_keys(runtime: Runtime) -> list[KeyInfo]:
    with runtime.session() as session:
        keys = session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()
        return [
            KeyInfo(k.id, k.name, k.prefix, k.owner_id, k.created_at, k.revoked_at) for k in keys
        ]


def revoke_api_key(runtime: Runtime, key_id: str) -> None:
    """Revoke a key; the studio sessions opened with it end at once."""
    with runtime.session() as session:
        key = session.get(ApiKey, key_id)
        if key is None:
            raise NotFoundError(f"no API key {key_id}", param="key_id")
        key.revoked_at = key.revoked_at or runtime.clock()
        session.execute(delete(BrowserSession).where(BrowserSession.key_id == key_id))
    warn_if_locked(runtime)


# -- keyless single-user mode ----------------------------------------------------------------

KEYS_HAVE_EXISTED = "keys_have_existed"
KEYS_CONFIGURED_MAX_AGE_S = 1.0
"""How stale a "no key has ever existed" answer may be. Every anonymous request asks; a
key created in this process counts at once, one created by another process (``reelvault
keys create`` beside a running server) within this many seconds. "Yes, a key has existed"
never goes stale: it cannot become untrue."""


def _record_key_has_existed(session: Session, when: datetime) -> None:
    if session.get(DeploymentFlag, KEY_HAS_EXISTED) is None:
        session.add(DeploymentFlag(name=KEY_HAS_EXISTED, set_at=when))


def keys_have_existed(runtime: Runtime) -> bool:
    """True once any API key was ever created on this deployment (and forever after)."""
    if runtime.recent_answer(KEYS_HAVE_EXISTED, math.inf) is True:
        return True
    with runtime.session() as session:
        existed = session.get(DeploymentFlag, KEY_HAS_EXISTED) is not None
    runtime.remember_answer(KEYS_HAVE_EXISTED, existed)
    return existed


def keys_have_existed_recently(runtime: Runtime) -> bool | None:
    """:func:`keys_have_existed` from memory: True forever once seen, False for a second."""
    if runtime.recent_answer(KEYS_HAVE_EXISTED, math.inf) is True:
        return True
    return runtime.recent_answer(KEYS_HAVE_EXISTED, KEYS_CONFIGURED_MAX_AGE_S)


def keyless_mode(runtime: Runtime) -> bool:
    """Whether requests without credentials are the local owner (single-user mode).

    Only while no API key has ever existed here and the server binds to loopback: never
    entered because keys disappeared, and never on an address others can reach.
    """
    return runtime.settings.host_is_loopback and not keys_have_existed(runtime)


def keyless_mode_recently(runtime: Runtime) -> bool | None:
    """:func:`keyless_mode` answered from memory, or None (ask :func:`keyless_mode`)."""
    if not runtime.settings.host_is_loopback:
        return False
    existed = keys_have_existed_recently(runtime)
    return None if existed is None else not existed


def anonymous_sessions_allowed(runtime: Runtime) -> bool:
    """Whether a browser without a key may have a working pseudonymous session."""
    return runtime.settings.anonymous_sessions or keyless_mode(runtime)


def usable_key_exists(runtime: Runtime) -> bool:
    """Whether any API key that is not revoked exists."""
    with runtime.session() as session:
        return (
            session.scalar(select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1))
            is not None
        )


def warn_if_locked(runtime: Runtime) -> bool:
    """Log (without personal data) when no usable key is left; True if so."""
    if not keys_have_existed(runtime) or usable_key_exists(runtime):
        return False
    log.warning(
        "no usable API key is left: the server is locked (requests without a key get 401) "
        "until a key is created with `reelvault keys create --name NAME`"
    )
    return True


# -- checking credentials --------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveKey:
    id: str
    owner_id: str


def key_for_secret(runtime: Runtime, secret: str) -> ActiveKey | None:
    """The active (not revoked) key with this secret, or None. Constant-time on the digest."""
    digest = _digest(secret)
    with runtime.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == digest))
        if key is None or key.revoked_at is not None:
            return None
        if not hmac.compare_digest(key.secret_hash, digest):
            return None
        return ActiveKey(id=key.id, owner_id=key.owner_id)


def owner_for_key(runtime: Runtime, secret: str) -> str | None:
    """The owner of an active key, or None."""
    key = key_for_secret(runtime, secret)
    return None if key is None else key.owner_id


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
            old = session.get(BrowserSession, _digest(replaces))
            if old is not None:
                session.delete(old)
        session.add(
            BrowserSession(
                token_hash=_digest(token),
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
        row = session.get(BrowserSession, _digest(token))
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
    "KEY_HAS_EXISTED",
    "KEY_PREFIX",
    "LOCAL_OWNER",
    "ActiveKey",
    "CreatedKey",
    "KeyInfo",
    "SessionInfo",
    "anonymous_sessions_allowed",
    "create_api_key",
    "ensure_owner",
    "key_for_secret",
    "keyless_mode",
    "keyless_mode_recently",
    "keys_have_existed",
    "list_api_keys",
    "new_owner",
    "owner_for_key",
    "owner_for_session",
    "revoke_api_key",
    "session_for_token",
    "start_session",
    "usable_key_exists",
    "warn_if_locked",
    "webhook_secret",
]
