"""Cross-origin requests from browsers: only from the origins ``cors_allow_origins`` lists.

With the list empty (the default) no middleware is installed: browsers keep every other
site's pages from reading answers (same-origin policy), and a preflight (``OPTIONS``
with ``Access-Control-Request-Method``) finds no route and gets 405 without any CORS
header. With origins listed, Starlette's ``CORSMiddleware`` answers for them, with
credentials (cookies, ``Authorization``) allowed. Starlette would also send
``Access-Control-Allow-Credentials`` and the allowed methods to an origin not on the
list (harmless without ``Access-Control-Allow-Origin``, but telling); here such an
origin gets no CORS header at all, and its preflight a bare 403.

Cookie requests from a listed origin still need the CSRF header (``web.csrf``), which
another origin cannot read: listed origins are meant for API clients with keys.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Send

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-CSRF-Token", "Range")
EXPOSED_HEADERS = ("Retry-After", "Content-Range", "Content-Disposition", "Location")
PREFLIGHT_MAX_AGE_S = 600


class OriginAllowList(CORSMiddleware):
    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=True,
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_S,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        if not self.is_allowed_origin(origin=request_headers["origin"]):
            return PlainTextResponse("this origin may not call this API", status_code=403)
        return super().preflight_response(request_headers)

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if (
            message["type"] == "http.response.start"
            and origin is not None
            and not self.is_allowed_origin(origin=origin)
        ):
            headers = MutableHeaders(scope=message)
            headers.append("Vary", "Origin")
            await send(message)
            return
        await super().send(message, send, request_headers)


__all__ = ["ALLOWED_HEADERS", "ALLOWED_METHODS", "OriginAllowList"]
