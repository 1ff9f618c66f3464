"""The names of the studio's cookies, which depend on whether the studio is served over TLS.

Over TLS the cookies carry the ``__Host-`` prefix: browsers accept such a cookie only when
it is ``Secure``, has ``Path=/`` and no ``Domain``, so a sibling subdomain or a network
attacker on plain HTTP cannot plant one (session fixation). Over TLS only the prefixed
names are read; a cookie under the plain name is ignored there.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from reelvault.config import Settings

SESSION_COOKIE = "rv_session"
CSRF_COOKIE = "rv_csrf"
HOST_PREFIX = "__Host-"
SESSION_COOKIES = (SESSION_COOKIE, HOST_PREFIX + SESSION_COOKIE)


def is_https(request: HTTPConnection, settings: Settings) -> bool:
    """Served over TLS: the request came over https, or the public URL says so (a proxy)."""
    public = settings.public_base_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def session_cookie_name(request: HTTPConnection, settings: Settings) -> str:
    return HOST_PREFIX + SESSION_COOKIE if is_https(request, settings) else SESSION_COOKIE


def csrf_cookie_name(request: HTTPConnection, settings: Settings) -> str:
    return HOST_PREFIX + CSRF_COOKIE if is_https(request, settings) else CSRF_COOKIE


def session_token(request: HTTPConnection, settings: Settings) -> str | None:
    """The session cookie's value under the name this origin uses, if any."""
    return request.cookies.get(session_cookie_name(request, settings)) or None


def has_session_cookie(request: HTTPConnection) -> bool:
    """Any session cookie at all (cheap: no settings needed), for the keyless fast path."""
    cookies = request.cookies
    return any(cookies.get(name) for name in SESSION_COOKIES)


__all__ = [
    "CSRF_COOKIE",
    "HOST_PREFIX",
    "SESSION_COOKIE",
    "csrf_cookie_name",
    "has_session_cookie",
    "is_https",
    "session_cookie_name",
    "session_token",
]
