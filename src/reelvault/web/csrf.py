"""CSRF protection for requests that change state: a double-submit token.

Browsers attach the session cookie to every request to this origin, so a request that
arrives with it proves nothing about who composed it. The studio reads the ``rv_csrf``
cookie (readable by scripts of this origin only) and echoes it in the ``X-CSRF-Token``
header; another site can make the browser send the cookie but cannot read it.

Requests with an ``Authorization: Bearer`` key carry no ambient credential and are
exempt. Requests with neither a key nor a session (the local owner of a loopback
server without keys) are refused when the browser says they come from another site,
so a web page cannot use a local server's keyless mode behind its user's back.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from reelvault.api.deps import SESSION_COOKIE
from reelvault.api.hosts import HostAllowList
from reelvault.errors import ForbiddenError

CSRF_COOKIE = "rv_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def _has_bearer(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _cross_site(request: Request) -> bool:
    """What the browser tells us about where the request was composed."""
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    if fetch_site in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False  # not a browser (curl, SDKs) or a same-origin navigation
    if origin == "null":
        return True  # sandboxed frames, file:// pages
    # Judged by the Host allow-list, not by the Host header: after a DNS rebind both
    # headers name the attacker's site and would agree with each other.
    allow_list: HostAllowList = request.app.state.host_allow_list
    host = request.headers.get("host", "")
    return not allow_list.allows_origin(origin, host_header=host, scheme=request.url.scheme)


TOKEN_AUTHORISED_PATHS = frozenset(
    {"/api/v1/privacy/notify/unsubscribe", "/api/v1/privacy/notify/confirm"}
)


async def csrf_protect(request: Request) -> None:
    """FastAPI dependency: refuse a state-changing request that may be forged (403).

    ``async`` because it only reads headers: a plain ``def`` would cost every request a
    round trip through the thread pool.
    """
    if request.method.upper() in SAFE_METHODS or _has_bearer(request):
        return
    if request.url.path in TOKEN_AUTHORISED_PATHS and request.query_params.get("token"):
        # One-click links (RFC 8058 unsubscribe, double opt-in): the unguessable token in
        # the URL is the authorisation, and mail clients post them without any cookie.
        return
    if request.cookies.get(SESSION_COOKIE):
        cookie = request.cookies.get(CSRF_COOKIE, "")
        header = request.headers.get(CSRF_HEADER, "")
        if not cookie or not header or not hmac.compare_digest(cookie, header):
            raise ForbiddenError(
                "missing or wrong CSRF token: send the rv_csrf cookie's value in X-CSRF-Token",
                param="csrf",
            )
        return
    if _cross_site(request):
        raise ForbiddenError("cross-site requests need an API key", param="csrf")


CsrfProtected = Annotated[None, Depends(csrf_protect)]

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "CsrfProtected",
    "csrf_protect",
    "new_csrf_token",
]
