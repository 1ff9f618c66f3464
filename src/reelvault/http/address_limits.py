"""Limits per network address: anonymous studio sessions, their jobs, account sign-ups.

Where a deployment lets browsers without a key have a session (``anonymous_sessions``),
minting fresh sessions must not escape the per-owner limits: so new sessions per address
per hour, and job submissions per address per minute, are counted too. The address is
never kept: it is reduced at once to :func:`~reelvault.privacy.pseudonyms.ip_pseudonym`,
a keyed hash under a salt destroyed each day, and only that names a bucket: in memory for
sessions and jobs, in the database for sign-ups (:mod:`reelvault.privacy.attempts`), so
that every API node of a deployment counts an address's sign-ups together.
Behind reverse proxies listed in ``trusted_proxies``, ``X-Forwarded-For`` names the client.
An IPv6 client is counted by its /64: a host is given a whole /64 and may pick any
address in it, so counting single addresses would give it 2^64 fresh buckets.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from starlette.requests import HTTPConnection

from reelvault.config import Settings
from reelvault.errors import RateLimitedError, ValidationError
from reelvault.http.ratelimit import RateLimiter
from reelvault.privacy import attempts
from reelvault.privacy.pseudonyms import (
    IPAddress,
    IPNetwork,
    client_ip,
    ip_pseudonym,
    parse_trusted_proxies,
)
from reelvault.runtime import Runtime

UNKNOWN_ADDRESS = "ip_unknown"
"""The one bucket shared by peers whose address is not an IP (a Unix socket, a test client)."""
IPV6_PREFIX = 64
"""An IPv6 client is counted by this prefix: the /64 a subscriber's network is given."""
SIGNUPS = "signup"
SIGNUP_WINDOW = timedelta(hours=1)


def counted_address(address: IPAddress) -> IPAddress:
    """The address a limit counts: an IPv4 client's own, an IPv6 client's /64."""
    if isinstance(address, ipaddress.IPv6Address):
        return ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False).network_address
    return address


@dataclass
class AddressLimits:
    sessions: RateLimiter
    jobs: RateLimiter
    signups_per_hour: int
    proxies: tuple[IPNetwork, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressLimits:
        return cls(
            sessions=RateLimiter.per_hour(settings.anonymous_sessions_per_hour),
            jobs=RateLimiter(settings.anonymous_jobs_per_minute),
            signups_per_hour=settings.signups_per_address_per_hour,
            proxies=parse_trusted_proxies(settings.trusted_proxies),
        )

    def pseudonym(self, request: HTTPConnection, runtime: Runtime) -> str:
        """The caller's address as today's keyed hash (does I/O: call from a thread)."""
        peer = request.client.host if request.client is not None else None
        if not peer:
            return UNKNOWN_ADDRESS
        forwarded = request.headers.getlist("x-forwarded-for") or None
        try:
            client = client_ip(peer, forwarded, self.proxies)
            return ip_pseudonym(runtime, counted_address(client))
        except ValidationError:
            return UNKNOWN_ADDRESS

    def check_new_session(self, request: HTTPConnection, runtime: Runtime) -> None:
        """Count one new anonymous session for this address, or raise 429."""
        if self.sessions.per_minute > 0:
            self.sessions.check(self.pseudonym(request, runtime))

    def check_submission(self, request: HTTPConnection, runtime: Runtime) -> None:
        """Count one submission from an anonymous session at this address, or raise 429."""
        if self.jobs.per_minute > 0:
            self.jobs.check(self.pseudonym(request, runtime))

    def check_signup(self, request: HTTPConnection, runtime: Runtime) -> None:
        """Count one account sign-up from this address, or raise 429 (does I/O).

        At most ``signups_per_hour`` in an hour from the address's first sign-up; the
        refused ones are counted too, but do not make the hour longer.
        """
        limit = self.signups_per_hour
        if limit <= 0:
            return
        counted = attempts.bump(
            runtime, SIGNUPS, self.pseudonym(request, runtime), SIGNUP_WINDOW, sliding=False
        )
        if counted.count > limit:
            wait = max(1, math.ceil((counted.expires_at - runtime.clock()).total_seconds()))
            raise RateLimitedError(
                f"too many sign-ups from this network: at most {limit} per hour; retry in {wait} s",
                retry_after=wait,
            )


__all__ = ["IPV6_PREFIX", "UNKNOWN_ADDRESS", "AddressLimits", "counted_address"]
