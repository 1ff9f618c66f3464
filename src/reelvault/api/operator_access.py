"""Who may read the operations endpoints' details (``/metrics``, ``/readyz`` checks).

Job counts per engine, queue depth and which internal check fails tell an outsider how
busy and how healthy a deployment is. While the server runs keyless on loopback its
one user is the operator; once API keys exist (or a metrics token is set), the details
need the ``metrics_token`` as a Bearer credential, or a client on this very machine.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request

from reelvault.accounts.keys import keyless_mode
from reelvault.privacy.pseudonyms import client_ip, parse_trusted_proxies
from reelvault.runtime import Runtime

# Headers a reverse proxy adds: with one of them, the loopback peer is only the proxy.
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def from_loopback_client(request: Request, runtime: Runtime) -> bool:
    """The client itself is on this machine, not merely a proxy in front of it."""
    if request.client is None:
        return False
    try:
        peer = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    if not peer.is_loopback:
        return False
    if not any(name in request.headers for name in FORWARDING_HEADERS):
        return True
    # A proxy on this machine relayed the request: believe it only if it is trusted,
    # and only through X-Forwarded-For (the one form client_ip reads).
    proxies = parse_trusted_proxies(runtime.settings.trusted_proxies)
    forwarded_for = request.headers.getlist("x-forwarded-for")
    if not forwarded_for or not any(peer in network for network in proxies):
        return False
    return client_ip(peer, forwarded_for, proxies).is_loopback


def may_see_operations(request: Request, runtime: Runtime) -> bool:
    token = runtime.settings.metrics_token
    if token is None and keyless_mode(runtime):
        return True  # keyless single-user mode: the caller is the operator
    sent = _bearer(request)
    if token is not None and sent:
        return hmac.compare_digest(sent.encode(), token.get_secret_value().encode())
    return from_loopback_client(request, runtime)


__all__ = ["from_loopback_client", "may_see_operations"]
