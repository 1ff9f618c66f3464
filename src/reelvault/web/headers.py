"""Security headers and cookies for the studio's pages, and the studio's sessions."""

from __future__ import annotations

import hmac

from fastapi import Request
from starlette.responses import Response

from reelvault.accounts.accounts import AccountInfo
from reelvault.accounts.keys import ActiveKey, anonymous_sessions_allowed, keyless_mode
from reelvault.accounts.sessions import session_for_token, start_session
from reelvault.http.cookies import (
    csrf_cookie_name,
    is_https,
    session_cookie_name,
    session_token,
)
from reelvault.http.deps import ApiContext
from reelvault.runtime import Runtime
from reelvault.web.csrf import csrf_key, csrf_token_for

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cache-Control": "no-store",
}


def _set_csrf_cookie(request: Request, response: Response, runtime: Runtime, token: str) -> None:
    # Readable by this origin's scripts on purpose (they echo it); bound to the session.
    response.set_cookie(
        csrf_cookie_name(request, runtime.settings),
        csrf_token_for(csrf_key(runtime), token),
        path="/",
        httponly=False,
        samesite="strict",
        secure=is_https(request, runtime.settings),
    )


def issue_session(
    request: Request,
    response: Response,
    runtime: Runtime,
    *,
    key: ActiveKey | None = None,
    account: AccountInfo | None = None,
) -> None:
    """Start a session with a new id (never one the browser brought) and its CSRF token.

    The session the browser held before, if any, ends: an id known before a sign-in is
    worth nothing after it (session fixation). Over TLS the cookies carry ``__Host-``.
    """
    previous = session_token(request, runtime.settings)
    token, _owner = start_session(runtime, key=key, account=account, replaces=previous)
    response.set_cookie(
        session_cookie_name(request, runtime.settings),
        token,
        max_age=runtime.settings.session_lifetime_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request, runtime.settings),
    )
    _set_csrf_cookie(request, response, runtime, token)


def clear_session_cookies(request: Request, response: Response, runtime: Runtime) -> None:
    """Tell the browser to drop its session and CSRF cookies (after signing out)."""
    secure = is_https(request, runtime.settings)
    for name in (
        session_cookie_name(request, runtime.settings),
        csrf_cookie_name(request, runtime.settings),
    ):
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")


def ensure_browser_session(request: Request, response: Response, ctx: ApiContext) -> bool:
    """Keep this browser's working session, or start an anonymous one where allowed.

    Returns whether the browser has a working session afterwards. An anonymous session is
    each browser's own random owner (nothing links it to a person); it is offered only in
    keyless single-user mode or where ``anonymous_sessions`` allows it, and then counted
    per network address (:class:`RateLimitedError` when too many are started).
    """
    runtime = ctx.runtime
    token = session_token(request, runtime.settings)
    found = session_for_token(runtime, token) if token else None
    allowed = anonymous_sessions_allowed(runtime)
    if token and found is not None and (not found.anonymous or allowed):
        expected = csrf_token_for(csrf_key(runtime), token)
        held = request.cookies.get(csrf_cookie_name(request, runtime.settings), "")
        if not hmac.compare_digest(held.encode(), expected.encode()):
            _set_csrf_cookie(request, response, runtime, token)
        return True
    if not allowed:
        return False
    if not keyless_mode(runtime):
        ctx.address_limits.check_new_session(request, runtime)
    issue_session(request, response, runtime)
    return True


__all__ = [
    "CONTENT_SECURITY_POLICY",
    "PAGE_HEADERS",
    "clear_session_cookies",
    "ensure_browser_session",
    "is_https",
    "issue_session",
]
