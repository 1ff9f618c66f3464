"""The HTTP server's configuration, in one place for ``reelvault serve`` and live tests.

uvicorn's defaults leave a slow client a connection for as long as it likes: there is
no limit on how long the request line and headers may take (one byte every few seconds
keeps a connection, and its memory, forever) and no cap on connections. Here the
headers get ``header_timeout_seconds``, idle keep-alive connections
``keep_alive_timeout_seconds``, and beyond ``max_connections`` the server answers 503.
Request bodies have their own deadline, in the app (api/slow_clients.py), so that it
holds under any ASGI server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reelvault.config import Settings

# The project's error shape (http/errors.py), written by hand: no app has seen the request.
_BODY = (
    b'{"error":{"code":"request_timeout","message":'
    b'"the request headers took too long to arrive","param":null}}'
)
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/json\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n"
    b"connection: close\r\n"
    b"\r\n" + _BODY
)


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's line and headers.

    The clock starts when the connection opens (a client that connects and says nothing
    is timed too) and again at the first byte of each further request on a kept-alive
    connection; it stops when the headers are complete. uvicorn's keep-alive timer only
    covers the silence between requests, and stops at the first byte.
    """

    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            # Nothing else is being written on this connection: say why it ends.
            self.transport.write(REQUEST_TIMEOUT)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()


def protocol_with_header_timeout(seconds: float) -> type[HttpToolsProtocol]:
    """uvicorn builds its protocol from a class: one whose deadline is ``seconds``."""
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), {"header_timeout": seconds})


def server_config(app: Any, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration every live server of reelvault uses."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": protocol_with_header_timeout(settings.header_timeout_seconds),
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        "limit_concurrency": settings.max_connections,
        "server_header": False,  # "Server: uvicorn" tells a prober what to try
        "access_log": False,  # uvicorn's access log would record client addresses
        "log_level": settings.log_level.lower(),
        "log_config": None,  # uvicorn's records go to our handler, through the guard (logs.py)
        "timeout_graceful_shutdown": 30,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


__all__ = ["HeaderTimeoutProtocol", "protocol_with_header_timeout", "server_config"]
