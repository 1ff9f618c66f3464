"""Sign-in with OpenID Connect providers: ``/auth/oidc/{provider}/login`` and ``/callback``.

A browser follows ``login`` to the provider and comes back to ``callback``; on success
it gets a new session (a new id, as with a password sign-in) and is sent to the studio.
The first sign-in with a provider may make an account, and accounts are for people of
at least the policy's minimum age: the login link then needs ``age_confirmed=true``
(the studio asks before following it). Without it, a sign-in that would make an account
is refused and nothing is stored. See docs/accounts.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from starlette.responses import RedirectResponse, Response

from reelvault.accounts.accounts import EMAIL_LOOKUP_SECRET
from reelvault.accounts.oidc.discovery import provider_metadata
from reelvault.accounts.oidc.flow import authorization_url, redeem_code
from reelvault.accounts.oidc.identities import SUBJECT_KEY_SECRET, sign_in_identity
from reelvault.accounts.oidc.logins import LOGIN_LIFETIME, begin_login, take_login
from reelvault.config_accounts import OidcProvider
from reelvault.errors import BadRequestError, NotFoundError
from reelvault.http.cookies import HOST_PREFIX, is_https
from reelvault.http.deps import RuntimeDep
from reelvault.http.error_schema import ErrorOut
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.web.headers import issue_session

router = APIRouter(prefix="/auth/oidc", tags=["account"])

BROWSER_COOKIE = "rv_oidc"
AFTER_SIGN_IN = "/"
ProviderName = Annotated[
    str, Path(max_length=32, description="The provider's name in `oidc_providers`.")
]


class ProviderOut(BaseModel):
    id: str
    display_name: str
    login_url: str


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorOut} for status in statuses}


def _provider(runtime: Runtime, name: str) -> OidcProvider:
    found = runtime.settings.oidc_providers.get(name)
    if found is None:
        raise NotFoundError("no sign-in provider by this name", param="provider")
    return found


def _cookie_name(request: Request, runtime: Runtime) -> str:
    https = is_https(request, runtime.settings)
    return HOST_PREFIX + BROWSER_COOKIE if https else BROWSER_COOKIE


def _redirect_uri(request: Request, runtime: Runtime, name: str) -> str:
    # Registered at the provider, so it must not depend on how a proxy rewrote the request.
    base = runtime.settings.public_base_url
    if base:
        return f"{base.rstrip('/')}/auth/oidc/{name}/callback"
    return str(request.url_for("oidc_callback", provider=name))


@router.get("/providers", response_model=list[ProviderOut])
def oidc_providers(runtime: RuntimeDep) -> list[ProviderOut]:
    """The configured sign-in providers, for the studio's buttons (names only)."""
    return [
        ProviderOut(id=name, display_name=p.display_name, login_url=f"/auth/oidc/{name}/login")
        for name, p in sorted(runtime.settings.oidc_providers.items())
    ]


@router.get(
    "/{provider}/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "To the provider's sign-in page."}, **_errors(404, 503)},
)
def oidc_login(
    provider: ProviderName,
    request: Request,
    runtime: RuntimeDep,
    age_confirmed: Annotated[
        bool,
        Query(
            description="The person confirms being at least the policy's minimum age: "
            "needed when this sign-in makes a new account."
        ),
    ] = False,
) -> Response:
    """Begin signing in with an OpenID Connect provider: a redirect to it.

    Authorization code flow with PKCE (S256), a single-use `state` and a `nonce`, valid
    for 10 minutes in this browser (an HttpOnly cookie binds them to it).
    """
    settings = _provider(runtime, provider)
    provider_metadata(settings.issuer)  # first: an unreachable provider leaves no row
    pending = begin_login(runtime, provider, age_confirmed=age_confirmed)
    target = authorization_url(settings, pending, _redirect_uri(request, runtime, provider))
    response = RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        _cookie_name(request, runtime),
        pending.browser_token,
        max_age=int(LOGIN_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",  # the provider's redirect back is a cross-site top-level GET
        secure=is_https(request, runtime.settings),
    )
    return response


@router.get(
    "/{provider}/callback",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {"description": "Signed in: to the studio, with a new session cookie."},
        **_errors(400, 403, 404, 409, 503),
    },
)
def oidc_callback(
    provider: ProviderName,
    request: Request,
    runtime: RuntimeDep,
    state: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Where the provider sends the browser back; signs in and redirects to the studio.

    400: the state is missing, unknown, used, expired or from another browser, the code
    was refused, or the ID token did not check out (signature, issuer, audience, expiry,
    nonce); also a first sign-in that would make an account without `age_confirmed`.
    403: the provider did not confirm the e-mail address, or the account is disabled.
    409: an account has the address but has not confirmed it (sign in with its password
    and confirm it first). Nothing is linked or created on any refusal.
    """
    settings = _provider(runtime, provider)
    login = take_login(
        runtime,
        provider,
        state=state,
        browser_token=request.cookies.get(_cookie_name(request, runtime)),
    )
    if error is not None or not code:
        raise BadRequestError("the sign-in provider did not sign you in: start again")
    identity = redeem_code(
        runtime, settings, login, code=code, redirect_uri=_redirect_uri(request, runtime, provider)
    )
    account = sign_in_identity(
        runtime,
        lookup_key=get_secret(runtime, EMAIL_LOOKUP_SECRET),
        subject_key=get_secret(runtime, SUBJECT_KEY_SECRET),
        provider=provider,
        issuer=settings.issuer,
        identity=identity,
        age_confirmed=login.age_confirmed,
    )
    response = RedirectResponse(
        AFTER_SIGN_IN, status_code=303, headers={"Cache-Control": "no-store"}
    )
    issue_session(request, response, runtime, account=account)
    response.delete_cookie(_cookie_name(request, runtime), path="/")
    return response


__all__ = ["router"]
