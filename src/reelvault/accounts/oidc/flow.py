"""The two halves of a sign-in: send the browser to the provider, take its answer.

Authorization code flow (OpenID Connect Core 3.1) with PKCE S256 (RFC 7636), a random
``state`` (matched server-side, once) and ``nonce`` (must come back inside the ID
token). The code is exchanged with the verifier at the token endpoint, authenticated
with the client secret; the ID token from that answer is verified before anyone signs in.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from reelvault.accounts.oidc.discovery import provider_metadata
from reelvault.accounts.oidc.fetch import PROVIDER_FAILED, ProviderAnswerError, provider_json
from reelvault.accounts.oidc.id_token import ProviderIdentity, verify_id_token
from reelvault.accounts.oidc.logins import PendingLogin, ReturningLogin
from reelvault.config_accounts import OidcProvider
from reelvault.errors import BadRequestError
from reelvault.runtime import Runtime

SCOPES = "openid email"
CODE_REFUSED = "the sign-in provider did not accept this sign-in: start the sign-in again"


def authorization_url(provider: OidcProvider, pending: PendingLogin, redirect_uri: str) -> str:
    metadata = provider_metadata(provider.issuer)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": pending.code_challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return metadata.authorization_endpoint + separator + query


def redeem_code(
    runtime: Runtime,
    provider: OidcProvider,
    login: ReturningLogin,
    *,
    code: str,
    redirect_uri: str,
) -> ProviderIdentity:
    """Exchange the code (with the PKCE verifier) and verify the ID token it brings."""
    metadata = provider_metadata(provider.issuer)
    secret = provider.client_secret.get_secret_value()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": login.code_verifier,
    }
    auth: tuple[str, str] | None = None
    if metadata.token_auth == "client_secret_post":  # noqa: S105 (a method name)
        form |= {"client_id": provider.client_id, "client_secret": secret}
    else:
        # RFC 6749 2.3.1: both form-encoded before they go into the Basic header.
        auth = (quote(provider.client_id, safe=""), quote(secret, safe=""))
    status, answer = provider_json("POST", metadata.token_endpoint, data=form, auth=auth)
    if status == 400:  # invalid_grant: a used, expired or foreign code, a wrong verifier
        raise BadRequestError(CODE_REFUSED)
    id_token = answer.get("id_token")
    if status != 200 or not isinstance(id_token, str):
        raise ProviderAnswerError(PROVIDER_FAILED)
    return verify_id_token(
        id_token,
        metadata,
        client_id=provider.client_id,
        nonce=login.nonce,
        now=int(runtime.clock().timestamp()),
    )


__all__ = ["SCOPES", "authorization_url", "redeem_code"]
