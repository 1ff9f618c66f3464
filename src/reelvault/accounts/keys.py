"""API keys (stored hashed, scoped), the keyless single-user mode, and checking a key.

A key belongs to an owner (an account's, or a new one of its own when the CLI makes it)
and carries scopes (:mod:`reelvault.accounts.scopes`); ``admin`` only on a key of an
admin account or one made by the CLI. The day a key was last used is kept, never the
time (one write per key per day at most).

Keyless single-user mode (anonymous callers are the CLI's local owner) is a state a
deployment starts in and leaves for good: it holds while no API key has *ever* been
created and the server binds to loopback. Once a key has existed, losing every key
(revoked, or erased with its owner) locks the server instead of opening it.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reelvault.accounts.owners import new_owner, secret_digest
from reelvault.accounts.scopes import (
    ADMIN,
    USER_SCOPES,
    loaded_scopes,
    parse_scopes,
    stored_scopes,
)
from reelvault.db.models import Account, ApiKey, BrowserSession, DeploymentFlag
from reelvault.errors import NotFoundError, ValidationError
from reelvault.runtime import Runtime

KEY_PREFIX = "rv-"
KEY_HAS_EXISTED = "api_key_has_existed"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CreatedKey:
    id: str
    name: str
    owner_id: str
    secret: str  # shown once, never stored
    scopes: frozenset[str]
    prefix: str
    created_at: datetime


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    prefix: str
    owner_id: str
    created_at: datetime
    revoked_at: datetime | None
    scopes: frozenset[str] = USER_SCOPES
    last_used_on: date | None = None


def _admin_role(session: Session, owner_id: str) -> bool | None:
    """The owner's account's role is admin (True), user (False), or no account (None)."""
    role = session.scalar(select(Account.role).where(Account.owner_id == owner_id))
    return None if role is None else role == "admin"


def create_api_key(
    runtime: Runtime,
    *,
    name: str,
    owner_id: str | None = None,
    scopes: frozenset[str] | None = None,
) -> CreatedKey:
    """A new key for ``owner_id`` (None: a new owner of its own), every non-admin scope
    unless ``scopes`` names others. ``admin`` is refused for an account that is not admin."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("a key needs a name of 1-100 characters", param="name")
    scopes = USER_SCOPES if scopes is None else parse_scopes(scopes)
    if ADMIN in scopes and owner_id is not None:
        with runtime.session() as session:
            if _admin_role(session, owner_id) is False:
                raise ValidationError(
                    "the admin scope is only for keys of admin accounts", param="scopes"
                )
    if owner_id is None:
        owner_id = new_owner(runtime, "api_key")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id="key_" + secrets.token_hex(8),
        owner_id=owner_id,
        name=name,
        prefix=secret[:10],
        secret_hash=secret_digest(secret),
        created_at=runtime.clock(),
        scopes=stored_scopes(scopes),
    )
    with runtime.session() as session:
        session.add(key)
        _record_key_has_existed(session, key.created_at)
    runtime.remember_answer(KEYS_HAVE_EXISTED, True)
    return CreatedKey(
        id=key.id,
        name=name,
        owner_id=owner_id,
        secret=secret,
        scopes=scopes,
        prefix=key.prefix,
        created_at=key.created_at,
    )


def _key_info(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        owner_id=key.owner_id,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
        scopes=loaded_scopes(key.scopes),
        last_used_on=key.last_used_on,
    )


def list_api_keys(runtime: Runtime, *, owner_id: str | None = None) -> list[KeyInfo]:
    """Every key (the operator's view), or only ``owner_id``'s."""
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if owner_id is not None:
        query = query.where(ApiKey.owner_id == owner_id)
    with runtime.session() as session:
        return [_key_info(key) for key in session.scalars(query)]


def revoke_api_key(runtime: Runtime, key_id: str, *, owner_id: str | None = None) -> None:
    """Revoke a key; the studio sessions opened with it end at once.

    With ``owner_id``, only a key of that owner: another owner's key is "not found", the
    same as one that does not exist (ids do not leak).
    """
    with runtime.session() as session:
        key = session.get(ApiKey, key_id)
        if key is None or (owner_id is not None and key.owner_id != owner_id):
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
    scopes: frozenset[str] = USER_SCOPES


def key_in_use(runtime: Runtime, session: Session, key: ApiKey) -> ActiveKey | None:
    """A key that was just used: note the day (once a day) and say what it may do now.

    ``admin`` counts only while the key's account is still an admin (a key keeps its
    scopes when its account's role is taken away, but no longer acts on ``admin``). The
    key of a disabled account opens nothing (None) until the account is enabled again.
    """
    account = session.execute(
        select(Account.role, Account.disabled_at).where(Account.owner_id == key.owner_id)
    ).first()
    if account is not None and account.disabled_at is not None:
        return None
    today = runtime.clock().date()
    if key.last_used_on != today:
        key.last_used_on = today
    scopes = loaded_scopes(key.scopes)
    if ADMIN in scopes and account is not None and account.role != "admin":
        scopes = scopes - {ADMIN}
    return ActiveKey(id=key.id, owner_id=key.owner_id, scopes=scopes)


def key_for_secret(runtime: Runtime, secret: str) -> ActiveKey | None:
    """The active (not revoked) key with this secret, or None. Constant-time on the digest."""
    digest = secret_digest(secret)
    with runtime.session() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == digest))
        if key is None or key.revoked_at is not None:
            return None
        if not hmac.compare_digest(key.secret_hash, digest):
            return None
        return key_in_use(runtime, session, key)


def owner_for_key(runtime: Runtime, secret: str) -> str | None:
    """The owner of an active key, or None."""
    key = key_for_secret(runtime, secret)
    return None if key is None else key.owner_id


__all__ = [
    "KEYS_CONFIGURED_MAX_AGE_S",
    "KEY_HAS_EXISTED",
    "KEY_PREFIX",
    "ActiveKey",
    "CreatedKey",
    "KeyInfo",
    "anonymous_sessions_allowed",
    "create_api_key",
    "key_for_secret",
    "key_in_use",
    "keyless_mode",
    "keyless_mode_recently",
    "keys_have_existed",
    "keys_have_existed_recently",
    "list_api_keys",
    "owner_for_key",
    "revoke_api_key",
    "usable_key_exists",
    "warn_if_locked",
]
