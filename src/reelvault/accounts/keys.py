"""API keys (stored hashed), the keyless single-user mode, and checking a key.

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
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reelvault.accounts.owners import new_owner, secret_digest
from reelvault.db.models import ApiKey, BrowserSession, DeploymentFlag
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
        secret_hash=secret_digest(secret),
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
    digest = secret_digest(secret)
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
