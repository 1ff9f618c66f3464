"""Sign-in backoff against the ways round it: another spelling of the address, a forged
``X-Forwarded-For`` (no trusted proxies), and a new IPv6 address from the same /64.

A host given an IPv6 /64 picks any of its 2^64 addresses at will; counting single
addresses would let one machine spray guesses over many accounts without ever waiting.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reelvault.testing import FakeClock

from .test_accounts import PASSWORD, _signup, locked  # noqa: F401 (a fixture)


def _login(api: TestClient, email: str, password: str, *, ip: str, **headers: str) -> int:
    client = TestClient(api.app, client=(ip, 40000))
    return client.post(
        "/api/v1/account/login", json={"email": email, "password": password}, headers=headers
    ).status_code


@pytest.fixture
def frozen(locked: TestClient) -> TestClient:  # noqa: F811
    # A clock that stands still: no wait runs out while the test signs in again.
    locked.runtime.clock = FakeClock()  # type: ignore[attr-defined]
    return locked


def test_another_spelling_of_the_address_waits_too(frozen: TestClient) -> None:
    _signup(frozen, email="live@example.org")
    for number in range(5):  # from five machines: only the account's count blocks
        assert _login(frozen, "live@example.org", "not it at all", ip=f"198.51.100.{number}") == 401
    for spelling in (
        "LIVE@EXAMPLE.ORG",
        " live@example.org\t",
        "live@example.org\u00a0",
        "live@\uff25\uff38\uff21\uff2d\uff30\uff2c\uff25.org",  # full-width letters
        "live@example\u3002org",  # an ideographic full stop
    ):
        assert _login(frozen, spelling, PASSWORD, ip="192.0.2.200") == 429, repr(spelling)


def test_a_forged_forwarded_for_does_not_open_a_new_count(frozen: TestClient) -> None:
    for number in range(5):
        assert _login(frozen, f"p{number}@example.org", "guess guess", ip="198.51.100.50") == 401
    forged = {"X-Forwarded-For": "203.0.113.1"}
    assert _login(frozen, "q@example.org", "guess guess", ip="198.51.100.50", **forged) == 429


def test_addresses_of_one_ipv6_64_share_a_count(frozen: TestClient) -> None:
    for number in range(5):
        ip = f"2001:db8:1:2::{number + 1:x}"
        assert _login(frozen, f"p{number}@example.org", "guess guess", ip=ip) == 401
    assert _login(frozen, "q@example.org", "guess guess", ip="2001:db8:1:2:ffff::9") == 429
    # Another /64 (another subscriber) is not held up by it.
    assert _login(frozen, "q@example.org", "guess guess", ip="2001:db8:1:3::1") == 401


def test_an_idna_2008_domain_is_its_own_and_has_one_spelling(locked: TestClient) -> None:  # noqa: F811
    """faß.de is a registrable domain of its own (IDNA 2008), not another spelling of
    fass.de as IDNA 2003 had it: folding them would give the fass.de address's account
    to whoever signs up with faß.de first, and send its mail to the wrong domain."""
    _signup(locked, email="anna@faß.de")
    locked.cookies.clear()
    # The same domain in its A-label form is the same account ...
    assert _login(locked, "anna@xn--fa-hia.de", PASSWORD, ip="192.0.2.1") == 200
    locked.cookies.clear()
    # ... and fass.de is not it: it can have its own account.
    assert _login(locked, "anna@fass.de", PASSWORD, ip="192.0.2.1") == 401
    _signup(locked, email="anna@fass.de")
