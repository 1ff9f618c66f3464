"""Which account an OpenID Connect identity signs in to, linking or creating one.

1. An identity linked before (same issuer and subject) signs in to its account.
2. Otherwise the provider must say the address is verified (``email_verified`` true),
   or nothing happens: an address anyone can type into a provider proves nothing.
3. An account with that address is linked only when this server verified the address
   too; an unverified local account could be someone else's claim to the address.
4. No account: a new one is made (the address counts as verified) when the person
   confirmed the minimum age at the start of the sign-in.

The subject is kept only as an HMAC under a server secret (:data:`SUBJECT_KEY_SECRET`).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from reelvault.accounts.accounts import AccountInfo, create_account, find_account, get_account
from reelvault.accounts.oidc.id_token import ProviderIdentity
from reelvault.db.oidc_models import OidcIdentity
from reelvault.errors import BadRequestError, ConflictError, ForbiddenError, ValidationError
from reelvault.runtime import Runtime

SUBJECT_KEY_SECRET = "accounts/oidc-subject"  # noqa: S105 (the name of a secret)
EMAIL_NOT_VERIFIED = (
    "the sign-in provider did not confirm an e-mail address for this sign-in: confirm "
    "it with the provider, or sign up with e-mail and password"
)
LOCAL_NOT_VERIFIED = (
    "an account with this e-mail address exists and its address is not confirmed yet: "
    "sign in with its password and confirm the address, then this sign-in links to it"
)
DISABLED = "this account is disabled"


def subject_hash(key: bytes, issuer: str, subject: str) -> str:
    message = issuer.encode() + b"\0" + subject.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _linked(runtime: Runtime, digest: str) -> str | None:
    with runtime.session() as session:
        return session.scalar(
            select(OidcIdentity.account_id).where(OidcIdentity.subject_hash == digest)
        )


def link_identity(
    runtime: Runtime, digest: str, account_id: str, provider: str, now: datetime
) -> None:
    try:
        with runtime.session() as session:
            session.add(
                OidcIdentity(
                    subject_hash=digest, account_id=account_id, provider=provider, created_at=now
                )
            )
    except DbIntegrityError:  # the same person's other tab linked it a moment ago
        if _linked(runtime, digest) != account_id:
            raise ConflictError("this sign-in is linked to another account") from None


def _account_for_address(
    runtime: Runtime, lookup_key: bytes, email: str, age_confirmed: bool
) -> AccountInfo:
    existing = find_account(runtime, lookup_key, email)
    if existing is not None:
        if not existing.email_verified:
            raise ConflictError(LOCAL_NOT_VERIFIED)
        return existing
    try:
        return create_account(
            runtime,
            lookup_key,
            email=email,
            password=None,
            age_confirmed=age_confirmed,
            email_verified=True,
        )
    except ValidationError as exc:
        if exc.param == "age_confirmed":  # a 400 for a browser, saying how to go on
            raise BadRequestError(
                exc.message + " (sign in again from a link with age_confirmed=true)",
                param="age_confirmed",
            ) from None
        raise


def linked_providers(runtime: Runtime, account_id: str) -> list[str]:
    """The names of the providers this account signs in with (for its owner to see)."""
    with runtime.session() as session:
        names = session.scalars(
            select(OidcIdentity.provider).where(OidcIdentity.account_id == account_id)
        )
        return sorted(set(names))


def sign_in_identity(
    runtime: Runtime,
    *,
    lookup_key: bytes,
    subject_key: bytes,
    provider: str,
    issuer: str,
    identity: ProviderIdentity,
    age_confirmed: bool,
) -> AccountInfo:
    """The account this identity signs in to (see the module's rules)."""
    digest = subject_hash(subject_key, issuer, identity.subject)
    account_id = _linked(runtime, digest)
    if account_id is not None:
        account = get_account(runtime, account_id)
    elif not identity.email_verified or identity.email is None:
        raise ForbiddenError(EMAIL_NOT_VERIFIED)
    else:
        account = _account_for_address(runtime, lookup_key, identity.email, age_confirmed)
    if account.disabled:
        raise ForbiddenError(DISABLED)
    if account_id is None:
        link_identity(runtime, digest, account.id, provider, runtime.clock())
    return account


__all__ = [
    "SUBJECT_KEY_SECRET",
    "link_identity",
    "linked_providers",
    "sign_in_identity",
    "subject_hash",
]
