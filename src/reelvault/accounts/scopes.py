"""What an API key may do: its scopes, and what sessions and the local owner may do.

A key carries a set of scopes, chosen when it is made; a request made with it reaches
only the routes of those scopes (403 ``insufficient_scope`` otherwise). Browser sessions
signed in to an account act with every scope of a user, ``admin`` only for an account
whose role is admin. Stored on the key row as a space-separated, sorted list (the OAuth
2.0 ``scope`` form).
"""

from __future__ import annotations

from collections.abc import Iterable

from reelvault.errors import ValidationError

VIDEOS_READ = "videos:read"
VIDEOS_WRITE = "videos:write"
PRIVACY = "privacy"
ADMIN = "admin"

ALL_SCOPES: tuple[str, ...] = (VIDEOS_READ, VIDEOS_WRITE, PRIVACY, ADMIN)
USER_SCOPES: frozenset[str] = frozenset({VIDEOS_READ, VIDEOS_WRITE, PRIVACY})
"""Every scope but ``admin``: what a key gets when none are named, what keys made before
scopes existed were given (migration ..._key_scopes), and what a user's session acts with."""

SCOPE_HELP = {
    VIDEOS_READ: "list and read jobs and videos, their content and progress events",
    VIDEOS_WRITE: "create, cancel, delete and remix jobs and videos; the webhook secret",
    PRIVACY: "the privacy self-service under /api/v1/privacy, and the account itself",
    ADMIN: "the operator's routes; only on keys of admin accounts or made by the CLI",
}


def parse_scopes(names: Iterable[str]) -> frozenset[str]:
    """Checked scope names; ``ValidationError`` naming the first unknown one."""
    scopes = frozenset(name.strip() for name in names)
    for name in sorted(scopes):
        if name not in ALL_SCOPES:
            raise ValidationError(
                f"unknown scope {name!r}: the scopes are {', '.join(ALL_SCOPES)}", param="scopes"
            )
    if not scopes:
        raise ValidationError("a key needs at least one scope", param="scopes")
    return scopes


def stored_scopes(scopes: Iterable[str]) -> str:
    return " ".join(sorted(scopes))


def loaded_scopes(stored: str) -> frozenset[str]:
    return frozenset(stored.split())


def ordered(scopes: Iterable[str]) -> list[str]:
    """In the documented order (read, write, privacy, admin), for showing."""
    held = set(scopes)
    return [name for name in ALL_SCOPES if name in held]


__all__ = [
    "ADMIN",
    "ALL_SCOPES",
    "PRIVACY",
    "SCOPE_HELP",
    "USER_SCOPES",
    "VIDEOS_READ",
    "VIDEOS_WRITE",
    "loaded_scopes",
    "ordered",
    "parse_scopes",
    "stored_scopes",
]
