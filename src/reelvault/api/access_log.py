"""The access log: method, route template, status and duration; never who or what.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's
``BaseHTTPMiddleware`` wraps every request in a task group and memory streams, which
costs more than many endpoints do. The client address, query string and body are never
logged (DESIGN.md: nothing personal in logs); the route is its template
(``/v1/videos/{video_id}``), so ids stay out too.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("reelvault.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not log.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500  # what the client sees when the app fails before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            # The router records the matched route in the scope it was given.
            path = getattr(scope.get("route"), "path", "unmatched")
            elapsed_ms = (time.monotonic() - started) * 1000
            log.info(
                "%s %s %d %.0fms",
                scope["method"],
                path,
                status,
                elapsed_ms,
                extra={"status_code": status, "duration_s": round(elapsed_ms / 1000, 4)},
            )


__all__ = ["AccessLog"]
