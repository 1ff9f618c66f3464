"""Check an ID token: signed by the provider's key, for this client, fresh, this nonce.

The signature is checked with joserfc (the JOSE library authlib itself moved to; its own
``authlib.jose`` is deprecated) against the provider's key set, allowing only the
asymmetric algorithms the provider announces. The claims are checked by authlib's
``CodeIDToken`` (OpenID Connect Core 3.1.3.7): ``iss`` is the configured issuer, ``aud``
holds the client id (and ``azp`` is it when there are several), ``exp`` has not passed
(60 s leeway for clocks), ``iat`` is there, and ``nonce`` is the one this sign-in sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError

from reelvault.accounts.oidc.discovery import ProviderMetadata, signing_keys
from reelvault.errors import BadRequestError

LEEWAY_SECONDS = 60
TOKEN_REFUSED = "the sign-in provider's answer did not check out: start the sign-in again"  # noqa: S105 (a message)


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in (kept in memory only, never logged)."""

    subject: str
    email: str | None
    email_verified: bool


def _decode(id_token: str, metadata: ProviderMetadata) -> jwt.Token:
    algorithms = list(metadata.signing_algorithms)
    try:
        return jwt.decode(id_token, signing_keys(metadata), algorithms=algorithms)
    except InvalidKeyIdError:  # a key it lacks: the provider may have rotated its keys
        return jwt.decode(id_token, signing_keys(metadata, refresh=True), algorithms=algorithms)


def verify_id_token(
    id_token: str, metadata: ProviderMetadata, *, client_id: str, nonce: str, now: int
) -> ProviderIdentity:
    """The identity in a valid ID token; :class:`BadRequestError` for any other."""
    try:
        token = _decode(id_token, metadata)
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": metadata.issuer},
                "aud": {"essential": True, "value": client_id},
                "sub": {"essential": True},
            },
            params={"nonce": nonce, "client_id": client_id},
        )
        claims.validate(now=now, leeway=LEEWAY_SECONDS)
    except JoseError:
        raise BadRequestError(TOKEN_REFUSED) from None
    return _identity(token.claims)


def _identity(claims: dict[str, Any]) -> ProviderIdentity:
    subject = claims.get("sub")
    email = claims.get("email")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise BadRequestError(TOKEN_REFUSED)
    verified = claims.get("email_verified")
    return ProviderIdentity(
        subject=subject,
        email=email if isinstance(email, str) else None,
        # Strictly true: some providers send the string "true"; only a JSON true counts.
        email_verified=verified is True,
    )


__all__ = ["ProviderIdentity", "verify_id_token"]
