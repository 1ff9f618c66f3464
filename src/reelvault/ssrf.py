"""The one guard against server-side request forgery: may this server connect there?

Webhook targets (:mod:`reelvault.jobs.webhooks`) and the URLs a remote provider hands
back (:mod:`reelvault.engines.remote.http`) both go through it. Two rules:

* **Judge the address, including the IPv4 address an IPv6 address carries.** Python's
  ``is_global`` calls ``[::127.0.0.1]``, ``[64:ff9b::7f00:1]`` (NAT64) or
  ``[2002:7f00:1::]`` (6to4) public, yet each of them reaches 127.0.0.1 through a
  translator or the host's own stack. :func:`embedded_ipv4` decodes every form that
  embeds an IPv4 address and :func:`is_public_address` judges what is embedded too.
* **Resolve once and connect to the address that was checked.** A second lookup at
  connect time could answer differently (DNS rebinding). :class:`PinnedTransport`
  resolves the host, checks every address it got, and sends the request to the first
  one, keeping the host name for the ``Host`` header and for TLS (SNI and the
  certificate check).

It sits just above :mod:`reelvault.errors` in the layers and knows nothing of jobs or
engines: callers turn :class:`AddressRefusedError` into their own error.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""Host name and port -> the address texts it resolves to (one DNS lookup)."""
Judge = Callable[[IPAddress], bool]

_V6 = ipaddress.IPv6Network
# IPv6 ranges that embed an IPv4 address (RFC 4291, 6052, 8215, 3056, 4380, 6145).
_COMPATIBLE = _V6("::/96")  # deprecated IPv4-compatible, ::a.b.c.d (also :: and ::1)
_MAPPED = _V6("::ffff:0:0/96")  # IPv4-mapped, ::ffff:a.b.c.d
_TRANSLATED = _V6("::ffff:0:0:0/96")  # SIIT IPv4-translated, ::ffff:0:a.b.c.d
_NAT64 = _V6("64:ff9b::/96")  # NAT64 well-known prefix
_NAT64_LOCAL = _V6("64:ff9b:1::/48")  # NAT64 local-use prefix (RFC 6052 /48 layout)
_SIX_TO_FOUR = _V6("2002::/16")
_TEREDO = _V6("2001::/32")

# Never public whatever Python's tables say (they differ between Python versions):
# the local-use NAT64 prefix reaches the operator's own network, the discard prefix,
# documentation, ORCHIDs, site-local, unique-local, link-local and multicast.
_NOT_PUBLIC_V6 = tuple(
    _V6(text)
    for text in (
        "64:ff9b:1::/48",
        "100::/64",
        "2001:db8::/32",
        "2001:10::/28",
        "2001:20::/28",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_LOW32 = 0xFFFFFFFF


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (none for an ordinary one).

    Teredo carries two: its server and its (obfuscated) client address.
    """
    value = int(address)
    if address in _COMPATIBLE or address in _MAPPED or address in _TRANSLATED:
        return (ipaddress.IPv4Address(value & _LOW32),)
    if address in _NAT64:
        return (ipaddress.IPv4Address(value & _LOW32),)
    if address in _NAT64_LOCAL:
        # RFC 6052 with a /48 prefix: bits 48-63 hold the first half, bits 64-71 are
        # the reserved "u" octet, bits 72-87 hold the second half.
        high = (value >> 64) & 0xFFFF
        low = (value >> 40) & 0xFFFF
        return (ipaddress.IPv4Address(high << 16 | low),)
    if address in _SIX_TO_FOUR:
        return (ipaddress.IPv4Address((value >> 80) & _LOW32),)
    if address in _TEREDO:
        server = ipaddress.IPv4Address((value >> 64) & _LOW32)
        client = ipaddress.IPv4Address(~value & _LOW32)
        return (server, client)
    return ()


def _public_v4(address: ipaddress.IPv4Address) -> bool:
    return address.is_global and not address.is_multicast


def is_public_address(address: IPAddress) -> bool:
    """True when connecting to ``address`` reaches only the public internet."""
    if isinstance(address, ipaddress.IPv4Address):
        return _public_v4(address)
    if address.scope_id:
        return False  # a zone index only makes sense on a local link
    embedded = embedded_ipv4(address)
    if any(not _public_v4(inner) for inner in embedded):
        return False
    if any(address in network for network in _NOT_PUBLIC_V6):
        return False
    return address.is_global and not address.is_multicast


class AddressRefusedError(Exception):
    """The host does not resolve, or resolves to an address this server must not reach.

    The message names neither the host nor the address (callers word their own error).
    """

    def __init__(self, reason: Literal["unresolvable", "private"]) -> None:
        super().__init__(reason)
        self.reason = reason


def system_resolver(host: str, port: int) -> list[str]:
    """One ``getaddrinfo`` lookup: the address texts, zone index kept."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefusedError("unresolvable") from None
    return [str(info[4][0]) for info in infos]


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one (brackets and zone index allowed)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def checked_addresses(
    host: str,
    port: int,
    *,
    resolver: Resolver | None = None,
    judge: Judge = is_public_address,
) -> list[IPAddress]:
    """Resolve ``host`` once (``resolver``, default :func:`system_resolver`); every
    address must pass ``judge`` (a literal too).

    Raises :class:`AddressRefusedError`. All addresses are judged, not only the first,
    so a name with one public and one private address is refused whichever the
    system would pick.
    """
    literal = literal_address(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        try:
            lookup = resolver or system_resolver  # looked up now: tests replace it
            addresses = [ipaddress.ip_address(text) for text in lookup(host, port)]
        except ValueError:
            raise AddressRefusedError("unresolvable") from None
    if not addresses:
        raise AddressRefusedError("unresolvable")
    if not all(judge(address) for address in addresses):
        raise AddressRefusedError("private")
    return addresses


def _default_port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


class PinnedTransport(httpx.BaseTransport):
    """Sends each request to an address the guard checked, resolved once for it.

    The URL's host stays in the ``Host`` header (set when the request was built) and
    becomes the TLS server name, so SNI and the certificate check are those of the
    name; only the TCP connection goes to the pinned address. Connections are not kept
    alive: a pooled connection is keyed by address, and reusing one made for another
    name would send that name's TLS session a request for this one.
    """

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        judge: Judge = is_public_address,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self.resolver = resolver
        self.judge = judge
        self.inner = inner or httpx.HTTPTransport(
            limits=httpx.Limits(max_keepalive_connections=0), trust_env=False
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host
        address = checked_addresses(
            host, _default_port(url), resolver=self.resolver, judge=self.judge
        )[0]
        extensions: dict[str, Any] = dict(request.extensions)
        if url.scheme == "https" and literal_address(host) is None:
            extensions["sni_hostname"] = host
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=str(address)),
            headers=request.headers,  # Host: the name, as built from the original URL
            stream=request.stream,
            extensions=extensions,
        )
        return self.inner.handle_request(pinned)

    def close(self) -> None:
        self.inner.close()


def guarded_client(
    *,
    allow_private: bool,
    timeout: httpx.Timeout | float,
    headers: Mapping[str, str] | None = None,
    inner: httpx.BaseTransport | None = None,
    resolver: Resolver | None = None,
) -> httpx.Client:
    """An httpx client whose every request goes through :class:`PinnedTransport`.

    With ``allow_private`` (an operator's choice) nothing is checked or pinned. Proxy
    settings from the environment are ignored when guarding: a proxy would do its own
    lookup, after the check.
    """
    if allow_private:
        return httpx.Client(
            timeout=timeout, follow_redirects=False, headers=headers, transport=inner
        )
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        headers=headers,
        trust_env=False,
        transport=PinnedTransport(resolver=resolver, inner=inner),
    )


__all__ = [
    "AddressRefusedError",
    "IPAddress",
    "Judge",
    "PinnedTransport",
    "Resolver",
    "checked_addresses",
    "embedded_ipv4",
    "guarded_client",
    "is_public_address",
    "literal_address",
    "system_resolver",
]
