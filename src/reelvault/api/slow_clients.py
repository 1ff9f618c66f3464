"""A deadline for request bodies, so that a trickling upload cannot hold a worker slot.

The body may take ``body_timeout_seconds`` plus the time its size needs at
``body_min_bytes_per_second``: a 200 MB video on a slow line is fine, one byte a second
is not. Past the deadline the client gets a 408 in the project's error shape and the
connection is closed (``Connection: close``), whatever the route was doing with the
body. Once the body is in, ``receive`` is the server's own again: streaming routes wait
on it for the client to go away, for as long as the stream lasts.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelvault.http.errors import error_response


class _BodyTooSlowError(Exception):
    """Raised inside the app from ``receive``; caught again by :class:`BodyDeadline`."""


class BodyDeadline:
    def __init__(self, app: ASGIApp, *, timeout_seconds: float, min_bytes_per_second: int) -> None:
        self.app = app
        self.timeout_seconds = timeout_seconds
        self.min_bytes_per_second = min_bytes_per_second

    def _allowed(self, received: int) -> float:
        if self.min_bytes_per_second <= 0:
            return self.timeout_seconds
        return self.timeout_seconds + received / self.min_bytes_per_second

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        received = 0
        body_done = False
        timed_out = False
        response_started = False

        async def receive_in_time() -> Message:
            nonlocal received, body_done, timed_out
            if body_done:
                return await receive()
            remaining = started + self._allowed(received) - loop.time()
            try:
                async with asyncio.timeout(max(remaining, 0.0)):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                raise _BodyTooSlowError from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
            else:
                body_done = True  # http.disconnect: nothing more will come
            return message

        async def send_unless_replaced(message: Message) -> None:
            nonlocal response_started
            if timed_out:
                # Whatever the route made of the missing body (a 400 for "no JSON", a
                # 500 for an exception), the truth is a timeout: answered below.
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive_in_time, send_unless_replaced)
        except _BodyTooSlowError:
            pass
        except Exception:
            if not timed_out:
                raise
        if timed_out and not response_started:
            response = error_response(
                Request(scope),
                status=408,
                code="request_timeout",
                message="the request body took too long to arrive",
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)


__all__ = ["BodyDeadline"]
