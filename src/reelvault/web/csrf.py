"""CSRF protection for requests that change state: a token bound to the session.

Browsers attach the session cookie to every request to this origin, so a request that
arrives with it proves nothing about who composed it. The studio reads the ``rv_csrf``
cookie (readable by scripts of this origin only) and echoes it in the ``X-CSRF-Token``
header; another site can make the browser send the cookie but cannot read it.

The token is an HMAC of the session token under a server secret kept in the vault, not
a random value compared with its cookie: a token planted in the browser (or taken from
another session) does not validate, and a new session id comes with a new token.

Requests with an ``Authorization: Bearer`` key carry no ambient credential and are
exempt. Requests with neither a key nor a session (the local owner of a loopback
server without keys) are refused when the browser says they come from another site,
so a web page cannot use a local server's keyless mode behind its user's back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import weakref
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool

from reelvault.errors import ForbiddenError
from reelvault.http.cookies import CSRF_COOKIE, session_token
from reelvault.http.hosts import HostAllowList
from reelvault.jobs.runtime import Runtime
from reelvault.privacy.secret_store import get_secret
from reelvault.vault import Vault

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_KEY_NAME = "studio/csrf-key"

# The key per vault, in memory: the check runs on the event loop and must not do I/O.
_keys: weakref.WeakKeyDictionary[Vault, bytes] = weakref.WeakKeyDictionary()


def csrf_key(runtime: Runtime) -> bytes:
    """The server secret CSRF tokens are derived with (created on first use; does I/O)."""
    key = _keys.get(runtime.vault)
    if key is None:
        key = get_secret(runtime, CSRF_KEY_NAME)
        _keys[runtime.vault] = key
    return key


def csrf_token_for(key: bytes, session: str) -> str:
    """The CSRF token of the session whose cookie token is ``session``."""
    mac = hmac.new(key, b"reelvault-csrf\0" + session.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


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
    runtime: Runtime = request.app.state.ctx.runtime
    session = session_token(request, runtime.settings)
    if session:
        key = _keys.get(runtime.vault)
        if key is None:
            key = await run_in_threadpool(csrf_key, runtime)
        header = request.headers.get(CSRF_HEADER, "")
        if not header or not hmac.compare_digest(csrf_token_for(key, session), header):
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
    "csrf_key",
    "csrf_protect",
    "csrf_token_for",
]
