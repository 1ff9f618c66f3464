"""Account passwords: argon2id hashes (RFC 9106), rehashed when the parameters change.

argon2-cffi's defaults are RFC 9106's second recommended option (64 MiB, 3 passes, 4
lanes). A wrong password and an unknown account cost the same time: the caller verifies
against :data:`DUMMY_HASH` when there is no account, so timing does not tell which.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from reelvault.errors import ValidationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a bound keeps a request's cost bounded


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def dummy_hash() -> str:
    """A hash of nothing anyone knows, verified against when no account matches."""
    return hasher().hash("reelvault: no such account")


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    rehash: str | None = None  # a new hash to store: the parameters changed since


def check_password_rules(password: str) -> None:
    """Refuse a password too short to resist guessing, or too long to hash cheaply."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters", param="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"a password has at most {MAX_PASSWORD_LENGTH} characters", param="password"
        )


def hash_password(password: str) -> str:
    check_password_rules(password)
    return hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> PasswordCheck:
    """Whether ``password`` matches ``stored_hash`` (None: no account, still costs a hash)."""
    too_long = len(password) > MAX_PASSWORD_LENGTH  # no stored password is: bounded cost
    # An account made by a sign-in provider has no password (no argon2 hash): it costs
    # the same as a wrong one, so timing does not tell such accounts apart.
    usable = stored_hash is not None and stored_hash.startswith("$argon2")
    target = stored_hash if usable and not too_long and stored_hash else dummy_hash()
    try:
        hasher().verify(target, password[:MAX_PASSWORD_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return PasswordCheck(ok=False)
    if stored_hash is None or not usable or too_long:
        return PasswordCheck(ok=False)
    rehash = hasher().hash(password) if hasher().check_needs_rehash(stored_hash) else None
    return PasswordCheck(ok=True, rehash=rehash)


__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PasswordCheck",
    "check_password_rules",
    "dummy_hash",
    "hash_password",
    "hasher",
    "verify_password",
]
