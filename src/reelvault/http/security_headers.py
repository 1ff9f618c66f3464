"""Security headers on every response: pages, API JSON, files, errors and refusals alike.

Pages set their own Content-Security-Policy (the studio's, see ``web.headers``); every
other response gets :data:`API_CSP`, which lets the answer load nothing and be framed by
nobody: a JSON body or a download opened in a tab cannot run anything (media get
:data:`MEDIA_CSP`, which lets the browser's own viewer play them, and no more). A policy without
``frame-ancestors`` gets ``frame-ancestors 'none'`` added, so no response can be framed
(clickjacking). ``Strict-Transport-Security`` is sent only when the request came over
TLS (or ``public_base_url`` is https, behind a proxy): over plain HTTP browsers ignore
it, and a local server on http://127.0.0.1 must not be pinned to https.

A pure ASGI middleware, outermost, so refusals made by other middleware (wrong Host,
slow bodies, oversized bodies) carry the headers too. The ``Server`` header is turned
off where the server is started (``app.server``): it is written below ASGI.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelvault.config import Settings
from reelvault.http.cookies import is_https

API_CSP = "default-src 'none'; frame-ancestors 'none'"
"""The policy of every response that does not bring its own (JSON, files, errors)."""
MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'none'"
"""For a video, image or sound opened in a tab: the browser shows it in a document of its
own that loads the same URL again, which ``default-src 'none'`` would block."""
MEDIA_TYPES = ("video/", "image/", "audio/")
HSTS = "max-age=31536000"
"""One year; no ``includeSubDomains``: other names under the domain are not ours to pin."""

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _with_frame_ancestors(policy: str) -> str:
    if "frame-ancestors" in policy:
        return policy
    return policy.rstrip("; ") + "; frame-ancestors 'none'"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = is_https(HTTPConnection(scope), self.settings)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
                policy = headers.get("content-security-policy")
                if policy is None:
                    media = headers.get("content-type", "").startswith(MEDIA_TYPES)
                    policy = MEDIA_CSP if media else API_CSP
                headers["Content-Security-Policy"] = _with_frame_ancestors(policy)
                if https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["API_CSP", "COMMON_HEADERS", "HSTS", "MEDIA_CSP", "SecurityHeaders"]
