"""IP addresses in, pseudonyms out: the raw address is never stored, logged or counted.

Where an address is needed (rate limiting, abuse), :func:`ip_pseudonym` reduces it to a
keyed hash under a salt that is created each UTC day and crypto-shredded when the day
is over, so a hash from yesterday cannot be linked to one from today, not even by us.
:func:`truncate_ip` keeps only the network part, for coarse statistics.
:func:`client_ip` finds the client behind trusted reverse proxies (``X-Forwarded-For``).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from reelvault.errors import ValidationError
from reelvault.privacy.secret_store import destroy_secrets, get_secret, secret_names
from reelvault.runtime import Runtime

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SALT_PREFIX = "ip-salt/"
PSEUDONYM_PREFIX = "ip_"


def parse_ip(value: str | IPAddress) -> IPAddress:
    """An address from text (``[v6]:port`` and ``v4:port`` forms accepted), mapped v6 → v4.

    Raises :class:`ValidationError` (without echoing the value) when it is not an address.
    """
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        address: IPAddress = value
    else:
        text = value.strip()
        if text.startswith("["):  # [2001:db8::1]:443
            text = text[1 : text.find("]")] if "]" in text else text
        elif text.count(":") == 1:  # 203.0.113.7:51234
            text = text.split(":", 1)[0]
        text = text.split("%", 1)[0]  # drop an IPv6 zone id
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise ValidationError("not an IP address", param="ip") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def truncate_ip(value: str | IPAddress, *, v4_prefix: int = 24, v6_prefix: int = 48) -> str:
    """The network part only: ``203.0.113.77`` → ``203.0.113.0``, v6 to its /48."""
    address = parse_ip(value)
    prefix = v4_prefix if address.version == 4 else v6_prefix
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def _salt_name(day: date) -> str:
    return f"{SALT_PREFIX}{day.isoformat()}"


def current_salt(runtime: Runtime) -> bytes:
    """Today's salt (UTC day of ``runtime.clock``); every other day's salt is destroyed."""
    now = runtime.clock()
    today = now.astimezone(UTC).date()
    name = _salt_name(today)
    stale = [other for other in secret_names(runtime, SALT_PREFIX) if other != name]
    destroy_secrets(runtime, stale)
    midnight = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    return get_secret(runtime, name, expires_at=midnight)


def ip_pseudonym(runtime: Runtime, value: str | IPAddress) -> str:
    """A keyed hash of the address, stable for one UTC day and unlinkable across days."""
    address = parse_ip(value)
    digest = hmac.new(current_salt(runtime), address.packed, hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def parse_trusted_proxies(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from settings text (``10.0.0.0/8``, ``127.0.0.1``, ``::1``)."""
    networks: list[IPNetwork] = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            # The value is not echoed: error messages never carry addresses.
            raise ValidationError(
                "a trusted proxy entry is not an address or network", param="trusted_proxies"
            ) from None
    return tuple(networks)


def _trusted(address: IPAddress, proxies: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_ip(
    peer: str | IPAddress,
    forwarded_for: str | Iterable[str] | None,
    trusted_proxies: Iterable[IPNetwork],
) -> IPAddress:
    """The address of the client, seen through trusted reverse proxies.

    ``X-Forwarded-For`` is believed only as far as it was written by proxies we trust:
    it is read from the right (the hop nearest to us), skipping trusted proxies, and the
    first untrusted address is the client. A spoofed left-hand part written by the
    client itself is never reached. A malformed entry ends the walk at the proxy that
    forwarded it. Several header lines are joined in order, as RFC 7230 allows.
    """
    proxies = tuple(trusted_proxies)
    current = parse_ip(peer)
    if forwarded_for is None or not _trusted(current, proxies):
        return current
    lines = [forwarded_for] if isinstance(forwarded_for, str) else list(forwarded_for)
    hops = [part.strip() for line in lines for part in line.split(",") if part.strip()]
    for hop in reversed(hops):
        try:
            candidate = parse_ip(hop)
        except ValidationError:
            return current
        current = candidate
        if not _trusted(candidate, proxies):
            return candidate
    return current


__all__ = [
    "IPAddress",
    "IPNetwork",
    "client_ip",
    "current_salt",
    "ip_pseudonym",
    "parse_ip",
    "parse_trusted_proxies",
    "truncate_ip",
]
