"""A size cap on small JSON bodies (the account routes), answered with 413 before parsing.

FastAPI reads a route's whole body into memory before the route (or any dependency) can
look at it, so a cap there comes too late. This middleware refuses a ``Content-Length``
over the cap at once, and otherwise reads the body itself, at most ``max_bytes`` plus
one chunk, before handing it on: a chunked body that grows past the cap gets the same
413 in the project's error shape, and nothing of it reaches a route.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelvault.http.errors import error_response

ACCOUNT_PREFIX = "/api/v1/account"
MAX_ACCOUNT_BODY_BYTES = 16 * 1024
"""Account requests carry an address, a password (at most 1,024 characters), a token."""


class BodyCap:
    def __init__(self, app: ASGIApp, *, prefix: str, max_bytes: int) -> None:
        self.app = app
        self.prefix = prefix
        self.max_bytes = max_bytes

    def _applies(self, scope: Scope) -> bool:
        path: str = scope["path"]
        return path == self.prefix or path.startswith(self.prefix + "/")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            Request(scope),
            status=413,
            code="payload_too_large",
            message=f"the request body is larger than {self.max_bytes} bytes",
            headers={"Connection": "close"},  # the rest of the body is not read
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._applies(scope):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, when it comes

        await self.app(scope, replay, send)


__all__ = ["ACCOUNT_PREFIX", "MAX_ACCOUNT_BODY_BYTES", "BodyCap"]
