"""Security headers and cookies for the studio's pages."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from reelvault.api.deps import SESSION_COOKIE
from reelvault.jobs.owners import SESSION_LIFETIME, owner_for_session, start_session
from reelvault.jobs.runtime import Runtime
from reelvault.web.csrf import CSRF_COOKIE, new_csrf_token

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


def is_https(request: Request, runtime: Runtime) -> bool:
    public = runtime.settings.public_base_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def ensure_browser_session(request: Request, response: Response, runtime: Runtime) -> None:
    """Give this browser a pseudonymous session (and its CSRF token) if it has none.

    Each browser is its own random owner: nothing links it to a person, and its jobs
    are invisible to other browsers and to the CLI's local owner.
    """
    secure = is_https(request, runtime)
    token = request.cookies.get(SESSION_COOKIE)
    if not token or owner_for_session(runtime, token) is None:
        token, _owner = start_session(runtime)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    if not request.cookies.get(CSRF_COOKIE):
        # Readable by this origin's scripts on purpose (double submit); useless elsewhere.
        response.set_cookie(
            CSRF_COOKIE,
            new_csrf_token(),
            path="/",
            httponly=False,
            samesite="strict",
            secure=secure,
        )


__all__ = ["CONTENT_SECURITY_POLICY", "PAGE_HEADERS", "ensure_browser_session", "is_https"]
