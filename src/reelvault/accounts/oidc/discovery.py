"""A provider's endpoints and signing keys, from its discovery document, cached.

``{issuer}/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0) names the
authorization and token endpoints and the key set (JWKS) ID tokens are signed with. The
document must name the configured issuer exactly (section 4.3), and its endpoints must
use https when the issuer does. Documents are kept for an hour; a key set is fetched
again when a token names a key it lacks (the provider rotated its keys), at most once a
minute, so a stream of forged key ids cannot make this server hammer the provider.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from reelvault.accounts.oidc.fetch import PROVIDER_FAILED, ProviderAnswerError, provider_json

DOCUMENT_TTL_SECONDS = 3600.0
KEYS_TTL_SECONDS = 3600.0
KEYS_REFRESH_MIN_SECONDS = 60.0
WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    # How this server proves itself at the token endpoint: basic unless only post is offered.
    token_auth: str
    signing_algorithms: tuple[str, ...]


_lock = threading.Lock()
_documents: dict[str, tuple[float, ProviderMetadata]] = {}
_key_sets: dict[str, tuple[float, KeySet]] = {}


def _endpoint(document: dict[str, Any], name: str, issuer: str) -> str:
    value = document.get(name)
    if not isinstance(value, str):
        raise ProviderAnswerError(PROVIDER_FAILED)
    scheme = urlsplit(value).scheme
    if scheme not in ("https", "http") or (scheme == "http" and issuer.startswith("https:")):
        raise ProviderAnswerError(PROVIDER_FAILED)
    return value


def _parse(document: dict[str, Any], issuer: str) -> ProviderMetadata:
    if document.get("issuer") != issuer:  # Discovery 4.3: exactly the configured one
        raise ProviderAnswerError(PROVIDER_FAILED)
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    if not isinstance(methods, list) or not isinstance(algorithms, list):
        raise ProviderAnswerError(PROVIDER_FAILED)
    # Never "none" (an unsigned token) nor an HMAC (keyed with the client secret, which
    # this server would then have to trust the provider to keep to itself).
    asymmetric = tuple(
        name for name in algorithms if isinstance(name, str) and name[:2] in ("RS", "PS", "ES")
    )
    if not asymmetric:
        raise ProviderAnswerError(PROVIDER_FAILED)
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=_endpoint(document, "authorization_endpoint", issuer),
        token_endpoint=_endpoint(document, "token_endpoint", issuer),
        jwks_uri=_endpoint(document, "jwks_uri", issuer),
        token_auth=(
            "client_secret_post"
            if "client_secret_basic" not in methods and "client_secret_post" in methods
            else "client_secret_basic"
        ),
        signing_algorithms=asymmetric,
    )


def provider_metadata(issuer: str) -> ProviderMetadata:
    """The provider's endpoints (cached for an hour)."""
    now = time.monotonic()
    with _lock:
        cached = _documents.get(issuer)
    if cached is not None and cached[0] > now:
        return cached[1]
    status, document = provider_json("GET", issuer.rstrip("/") + WELL_KNOWN)
    if status != 200:
        raise ProviderAnswerError(PROVIDER_FAILED)
    metadata = _parse(document, issuer)
    with _lock:
        _documents[issuer] = (now + DOCUMENT_TTL_SECONDS, metadata)
    return metadata


def signing_keys(metadata: ProviderMetadata, *, refresh: bool = False) -> KeySet:
    """The provider's public keys; ``refresh``: fetch again (unless fetched a minute ago)."""
    now = time.monotonic()
    with _lock:
        cached = _key_sets.get(metadata.jwks_uri)
    if cached is not None:
        fetched_at = cached[0] - KEYS_TTL_SECONDS
        fresh = cached[0] > now and not refresh
        if fresh or (refresh and now - fetched_at < KEYS_REFRESH_MIN_SECONDS):
            return cached[1]
    status, document = provider_json("GET", metadata.jwks_uri)
    if status != 200:
        raise ProviderAnswerError(PROVIDER_FAILED)
    try:
        keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, KeyError, TypeError, ValueError):
        raise ProviderAnswerError(PROVIDER_FAILED) from None
    with _lock:
        _key_sets[metadata.jwks_uri] = (now + KEYS_TTL_SECONDS, keys)
    return keys


def forget_cached() -> None:
    """Drop every cached document and key set (a test's provider restarted)."""
    with _lock:
        _documents.clear()
        _key_sets.clear()


__all__ = ["ProviderMetadata", "forget_cached", "provider_metadata", "signing_keys"]
