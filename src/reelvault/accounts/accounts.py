"""Accounts: create one, sign in with e-mail and password, find, list and disable them.

An account is a way to sign in as an owner (see :mod:`reelvault.accounts.owners`); it
adds an encrypted e-mail address, an optional encrypted display name and an argon2id
password hash, nothing else personal.
Functions take the e-mail lookup key as an argument: it is a named server secret kept by
the layer above (``privacy.secret_store``), see :func:`email_lookup`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session

from reelvault.accounts.emails import email_lookup, normalise_email
from reelvault.accounts.owners import new_owner
from reelvault.accounts.passwords import hash_password, verify_password
from reelvault.db.models import Account, BrowserSession, Owner
from reelvault.db.oidc_models import OidcIdentity
from reelvault.errors import ConflictError, NotFoundError, ValidationError
from reelvault.runtime import Runtime
from reelvault.types import ObjectId

EMAIL_LOOKUP_SECRET = "accounts/email-lookup"  # noqa: S105 (the name of a secret)
ROLES = ("user", "admin")
MAX_DISPLAY_NAME_LENGTH = 80


@dataclass(frozen=True)
class AccountInfo:
    id: str
    owner_id: str
    role: str
    created_at: datetime
    email_verified: bool
    disabled: bool
    kind: str = "person"  # or "operator" (reelvault.accounts.operator)


def _info(row: Account) -> AccountInfo:
    return AccountInfo(
        id=row.id,
        owner_id=row.owner_id,
        role=row.role,
        created_at=row.created_at,
        email_verified=row.email_verified_at is not None,
        disabled=row.disabled_at is not None,
        kind=row.kind or "person",
    )


NO_PASSWORD = "!"  # noqa: S105 (marks an account without a password: nothing verifies)
"""The password hash of an account made by a sign-in provider (no argon2 hash matches)."""


def create_account(
    runtime: Runtime,
    lookup_key: bytes,
    *,
    email: str,
    password: str | None,
    age_confirmed: bool,
    role: str = "user",
    email_verified: bool = False,
    display_name: str | None = None,
) -> AccountInfo:
    """A new account with its own new owner. ``ConflictError`` when the address has one.

    ``age_confirmed``: the person said they are at least the policy's minimum age; an
    account is not made without it. ``password`` None: an account that signs in only
    through an OpenID Connect provider (until a password reset gives it one);
    ``email_verified``: the provider confirmed the address.
    """
    if not age_confirmed:
        raise ValidationError(
            f"accounts are for people aged {runtime.policy.minimum_age} or over: confirm "
            "your age to sign up",
            param="age_confirmed",
        )
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", param="role")
    normalised = normalise_email(email)
    name = clean_display_name(display_name)
    digest = email_lookup(lookup_key, normalised)
    # Before any write: a refused password stores nothing.
    password_hash = NO_PASSWORD if password is None else hash_password(password)
    with runtime.session() as session:
        if session.scalar(select(Account.id).where(Account.email_lookup == digest)):
            raise ConflictError("an account with this e-mail address exists: sign in instead")
    owner_id = new_owner(runtime, "account")
    stored = runtime.vault.put_bytes(normalised.encode())
    name_object = None if name is None else runtime.vault.put_bytes(name.encode()).object_id
    now = runtime.clock()
    row = Account(
        id="acc_" + secrets.token_hex(12),
        owner_id=owner_id,
        email_lookup=digest,
        email_object=stored.object_id,
        display_name_object=name_object,
        password_hash=password_hash,
        role=role,
        created_at=now,
        age_confirmed_at=now,
        email_verified_at=now if email_verified else None,
    )
    try:
        with runtime.session() as session:
            session.add(row)
    except DbIntegrityError:  # the same address signed up at the same moment elsewhere
        runtime.vault.shred(ObjectId(stored.object_id))
        if name_object is not None:
            runtime.vault.shred(ObjectId(name_object))
        with runtime.session() as session:
            session.execute(delete(Owner).where(Owner.id == owner_id))
        raise ConflictError("an account with this e-mail address exists: sign in instead") from None
    return _info(row)


def authenticate(
    runtime: Runtime, lookup_key: bytes, *, email: str, password: str
) -> AccountInfo | None:
    """The account these credentials open, or None. Same answer and cost whether the
    address is unknown, the password wrong or the account disabled (no enumeration)."""
    try:
        digest = email_lookup(lookup_key, normalise_email(email))
    except ValidationError:
        digest = None
    with runtime.session() as session:
        row = (
            session.scalar(select(Account).where(Account.email_lookup == digest))
            if digest
            else None
        )
        check = verify_password(row.password_hash if row is not None else None, password)
        if row is None or not check.ok or row.disabled_at is not None:
            return None
        if check.rehash is not None:  # the hashing parameters were raised since
            row.password_hash = check.rehash
        return _info(row)


def _existing(session: Session, account_id: str) -> Account:
    """The account's row, or ``NotFoundError`` naming the id the caller gave."""
    row = session.get(Account, account_id)
    if row is None:
        raise NotFoundError(f"no account {account_id}", param="account")
    return row


def _end_sessions(session: Session, account_id: str) -> None:
    session.execute(delete(BrowserSession).where(BrowserSession.account_id == account_id))


def account_for_owner(runtime: Runtime, owner_id: str) -> AccountInfo | None:
    with runtime.session() as session:
        row = session.scalar(select(Account).where(Account.owner_id == owner_id))
        return None if row is None else _info(row)


def account_email(runtime: Runtime, account_id: str) -> str | None:
    """The account's address, decrypted (for showing to its owner and for sending mail);
    None for the local operator account, which has none."""
    with runtime.session() as session:
        row = _existing(session, account_id)
        object_id = row.email_object
    if object_id is None:
        return None
    return runtime.vault.read_bytes(ObjectId(object_id)).decode()


def clean_display_name(name: str | None) -> str | None:
    """The name as it will be shown: trimmed, None when empty; refused when too long or
    holding control characters (it is shown in pages and e-mails)."""
    if name is None or not name.strip():
        return None
    cleaned = " ".join(name.split())
    if len(cleaned) > MAX_DISPLAY_NAME_LENGTH:
        raise ValidationError(
            f"a display name has at most {MAX_DISPLAY_NAME_LENGTH} characters",
            param="display_name",
        )
    if any(not char.isprintable() for char in cleaned):
        raise ValidationError("a display name cannot hold control characters", param="display_name")
    return cleaned


def account_display_name(runtime: Runtime, account_id: str) -> str | None:
    """The account's display name, decrypted, or None when it has none."""
    with runtime.session() as session:
        object_id = _existing(session, account_id).display_name_object
    if object_id is None:
        return None
    return runtime.vault.read_bytes(ObjectId(object_id)).decode()


def set_display_name(runtime: Runtime, account_id: str, name: str | None) -> None:
    """A new display name (None or blank: none); the old one is shredded, not kept."""
    cleaned = clean_display_name(name)
    new_object = None if cleaned is None else runtime.vault.put_bytes(cleaned.encode()).object_id
    with runtime.session() as session:
        row = _existing(session, account_id)
        old_object = row.display_name_object
        row.display_name_object = new_object
    if old_object is not None:
        runtime.vault.shred(ObjectId(old_object))


def find_account(runtime: Runtime, lookup_key: bytes, email: str) -> AccountInfo | None:
    digest = email_lookup(lookup_key, normalise_email(email))
    with runtime.session() as session:
        row = session.scalar(select(Account).where(Account.email_lookup == digest))
        return None if row is None else _info(row)


def get_account(runtime: Runtime, account_id: str) -> AccountInfo:
    with runtime.session() as session:
        row = _existing(session, account_id)
        return _info(row)


def list_accounts(runtime: Runtime) -> list[AccountInfo]:
    with runtime.session() as session:
        query = select(Account).order_by(Account.created_at, Account.id)
        return [_info(row) for row in session.scalars(query)]


@dataclass(frozen=True)
class AccountPage:
    items: list[AccountInfo]
    has_more: bool


def list_accounts_page(runtime: Runtime, *, limit: int, after: str | None = None) -> AccountPage:
    """Accounts oldest first, ``limit`` at a time after the account ``after`` (a cursor:
    an account id from the page before; ``ValidationError`` if there is none such)."""
    query = select(Account).order_by(Account.created_at, Account.id)
    with runtime.session() as session:
        if after is not None:
            cursor = session.get(Account, after)
            if cursor is None:
                raise ValidationError(f"unknown cursor {after!r}", param="after")
            query = query.where(
                (Account.created_at > cursor.created_at)
                | ((Account.created_at == cursor.created_at) & (Account.id > cursor.id))
            )
        rows = session.scalars(query.limit(limit + 1)).all()
        return AccountPage(items=[_info(row) for row in rows[:limit]], has_more=len(rows) > limit)


def set_disabled(runtime: Runtime, account_id: str, disabled: bool) -> AccountInfo:
    """Disable (or enable again) an account; disabling ends its sessions at once."""
    with runtime.session() as session:
        row = _existing(session, account_id)
        row.disabled_at = runtime.clock() if disabled else None
        if disabled:
            _end_sessions(session, account_id)
        return _info(row)


def mark_email_verified(runtime: Runtime, account_id: str) -> None:
    with runtime.session() as session:
        row = session.get(Account, account_id)
        if row is not None and row.email_verified_at is None:
            row.email_verified_at = runtime.clock()


def set_password(runtime: Runtime, account_id: str, password: str) -> None:
    """A new password; every session of the account ends (sign in again everywhere)."""
    password_hash = hash_password(password)
    with runtime.session() as session:
        row = _existing(session, account_id)
        row.password_hash = password_hash
        _end_sessions(session, account_id)


def set_role(runtime: Runtime, account_id: str, role: str) -> AccountInfo:
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", param="role")
    with runtime.session() as session:
        row = _existing(session, account_id)
        row.role = role
        return _info(row)


def forget_account(runtime: Runtime, owner_id: str) -> int:
    """Shred the owner's account (address and name objects, and row); the erasure calls this."""
    with runtime.session() as session:
        row = session.scalar(select(Account).where(Account.owner_id == owner_id))
        if row is None:
            return 0
        objects = [row.email_object, row.display_name_object]
        # Its sign-in links go with it (the foreign key cascades too; this does not rely
        # on the database enforcing it).
        session.execute(delete(OidcIdentity).where(OidcIdentity.account_id == row.id))
        session.delete(row)
    for object_id in objects:
        if object_id is not None:
            runtime.vault.shred(ObjectId(object_id))
    return 1


__all__ = [
    "EMAIL_LOOKUP_SECRET",
    "MAX_DISPLAY_NAME_LENGTH",
    "NO_PASSWORD",
    "ROLES",
    "AccountInfo",
    "AccountPage",
    "account_display_name",
    "account_email",
    "account_for_owner",
    "authenticate",
    "clean_display_name",
    "create_account",
    "find_account",
    "forget_account",
    "get_account",
    "list_accounts",
    "list_accounts_page",
    "mark_email_verified",
    "set_disabled",
    "set_display_name",
    "set_password",
    "set_role",
]
