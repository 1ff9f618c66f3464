"""The Host names this server answers to, and whether an Origin is one of its pages.

DNS rebinding: a page on ``evil.example`` points its own name at 127.0.0.1 once the
browser has loaded it; from then on the browser treats the local server as the page's
own origin, sends ``Host: evil.example`` and lets the page read every answer (the
local owner's export ZIP included). Both the Host and the Origin header are the
attacker's then, so comparing one with the other proves nothing. A server that
answers only to names its operator gave it is out of reach whatever the attacker's
DNS says: the allow-list is ``localhost``, ``127.0.0.1`` and ``[::1]``, the host of
``public_base_url``, the concrete bind address, and the ``allowed_hosts`` setting.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from reelvault.config import Settings
from reelvault.http.errors import error_response

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "*"})  # noqa: S104 (names, not a bind)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Liveness and readiness probes (Kubernetes sends the pod address as Host) answer
# booleans only; /readyz details need a credential of their own (api/routes/ops.py).
UNCHECKED_PATHS = frozenset({"/healthz", "/readyz"})


def _canonical_name(name: str) -> str:
    """Lower case, no trailing dot, IP literals in their one spelling (no brackets)."""
    name = name.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return ipaddress.ip_address(name).compressed
    except ValueError:
        return name


def split_host(value: str) -> tuple[str, int | None] | None:
    """A Host header (``name[:port]``, ``[v6][:port]``) as (name, port); None if malformed."""
    value = value.strip()
    if not value or any(char in value for char in "/?#@\\ \t"):
        return None
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return _canonical_name(parts.hostname), port


@dataclass(frozen=True)
class HostAllowList:
    names: frozenset[str]
    suffixes: tuple[str, ...]  # "*.example.com" allows any "<label>.example.com"
    public_origin: tuple[str, str, int] | None  # (scheme, name, port) of public_base_url

    @classmethod
    def from_settings(cls, settings: Settings) -> HostAllowList:
        names = {_canonical_name(name) for name in LOOPBACK_NAMES}
        suffixes: list[str] = []
        for entry in settings.allowed_hosts:
            entry = entry.strip().lower()
            if entry.startswith("*."):
                suffixes.append(entry[1:])
            elif entry:
                split = split_host(entry)
                names.add(split[0] if split is not None else _canonical_name(entry))
        if settings.host.strip() not in WILDCARD_BINDS:
            names.add(_canonical_name(settings.host))
        public_origin = None
        if settings.public_base_url:
            public = urlsplit(settings.public_base_url)
            if public.hostname and public.scheme in DEFAULT_PORTS:
                name = _canonical_name(public.hostname)
                names.add(name)
                port = public.port or DEFAULT_PORTS[public.scheme]
                public_origin = (public.scheme, name, port)
        return cls(frozenset(names), tuple(suffixes), public_origin)

    def allows_name(self, name: str) -> bool:
        return name in self.names or any(
            name.endswith(suffix) and len(name) > len(suffix) for suffix in self.suffixes
        )

    def allows(self, host_header: str) -> bool:
        split = split_host(host_header)
        return split is not None and self.allows_name(split[0])

    def allows_origin(self, origin: str, *, host_header: str, scheme: str) -> bool:
        """Whether ``origin`` is a page of this server, judged by the allow-list.

        The public origin counts whatever Host a reverse proxy forwards. Another origin
        counts when its name is allowed and its port is the one this request came in on:
        ``http://localhost:3000`` (another local server) is not ``localhost:8000``.
        """
        try:
            parts = urlsplit(origin)
            origin_port = parts.port
        except ValueError:
            return False
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return False
        name = _canonical_name(parts.hostname)
        port = origin_port or DEFAULT_PORTS[parts.scheme]
        if (parts.scheme, name, port) == self.public_origin:
            return True
        if not self.allows_name(name):
            return False
        request_host = split_host(host_header)
        if request_host is None:
            return False
        request_port = request_host[1] or DEFAULT_PORTS.get(scheme, 80)
        return port == request_port


class HostCheck:
    """ASGI middleware: a request whose Host is not on the allow-list gets a 400.

    A plain ASGI middleware (see api/access_log.py for why), outermost, so a refused
    request reaches nothing else.
    """

    def __init__(self, app: ASGIApp, allow_list: HostAllowList) -> None:
        self.app = app
        self.allow_list = allow_list

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in UNCHECKED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.allow_list.allows(Headers(scope=scope).get("host", "")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        # The name is not echoed: it is the client's text.
        response = error_response(
            Request(scope),
            status=400,
            code="invalid_host",
            message=(
                "this server does not answer to that Host name; an operator adds its own "
                "names with the allowed_hosts setting"
            ),
            param="host",
        )
        await response(scope, receive, send)


__all__ = ["HostAllowList", "HostCheck", "split_host"]
