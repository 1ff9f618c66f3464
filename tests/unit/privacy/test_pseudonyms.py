"""IP pseudonyms: stable within a day, unlinkable across days, raw address never stored."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from reelvault.errors import ValidationError
from reelvault.privacy.pseudonyms import (
    client_ip,
    current_salt,
    ip_pseudonym,
    parse_ip,
    parse_trusted_proxies,
    truncate_ip,
)
from reelvault.privacy.secret_store import secret_names
from reelvault.testing import FakeClock

from .conftest import OpenRuntime

IP = "203.0.113.77"


def test_same_address_same_day_gives_the_same_pseudonym(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime()
    first = ip_pseudonym(runtime, IP)
    clock.advance(hours=10)
    assert ip_pseudonym(runtime, IP) == first
    assert ip_pseudonym(runtime, "::ffff:203.0.113.77") == first
    assert ip_pseudonym(runtime, "203.0.113.78") != first
    assert IP not in first and first.startswith("ip_")


def test_yesterdays_salt_is_destroyed_so_pseudonyms_cannot_be_linked(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime()
    monday = ip_pseudonym(runtime, IP)
    monday_salt = current_salt(runtime)
    objects_monday = set(runtime.vault.object_ids())
    clock.advance(days=1)
    tuesday = ip_pseudonym(runtime, IP)
    assert tuesday != monday
    assert current_salt(runtime) != monday_salt
    assert secret_names(runtime, "ip-salt/") == ["ip-salt/2026-11-24"]
    # Crypto-shredded: the vault object that held Monday's salt is gone.
    assert not objects_monday & set(runtime.vault.object_ids())


def test_a_second_process_uses_the_same_salt(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime()
    other = open_runtime(name="rt")  # same data directory, separate runtime (and cache)
    assert ip_pseudonym(runtime, IP) == ip_pseudonym(other, IP)


def test_the_raw_address_is_never_written(open_runtime: OpenRuntime, tmp_path: Path) -> None:
    runtime = open_runtime()
    for address in (IP, "2001:db8:85a3::8a2e:370:7334"):
        ip_pseudonym(runtime, address)
    runtime.close()
    for path in (tmp_path / "rt").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert IP.encode() not in data
            assert ipaddress.ip_address(IP).packed not in data
            assert b"2001:db8:85a3" not in data


def test_truncation_keeps_only_the_network() -> None:
    assert truncate_ip(IP) == "203.0.113.0"
    assert truncate_ip("2001:db8:85a3:1234::1") == "2001:db8:85a3::"
    assert truncate_ip(IP, v4_prefix=16) == "203.0.0.0"
    assert truncate_ip("[2001:db8::1]:443") == "2001:db8::"


def test_parse_ip_accepts_ports_and_refuses_junk_without_echoing_it() -> None:
    assert str(parse_ip("203.0.113.7:51234")) == "203.0.113.7"
    assert str(parse_ip("[2001:db8::1]:443")) == "2001:db8::1"
    with pytest.raises(ValidationError) as caught:
        parse_ip("not-an-ip.example")
    assert "not-an-ip" not in str(caught.value)


PROXIES = parse_trusted_proxies(["10.0.0.0/8", "::1"])


def test_forwarded_for_is_ignored_from_an_untrusted_peer() -> None:
    assert str(client_ip("198.51.100.9", "1.2.3.4", PROXIES)) == "198.51.100.9"


def test_forwarded_for_is_read_from_the_right_through_trusted_proxies() -> None:
    # The client claims 1.2.3.4, but our proxies saw it coming from 198.51.100.9.
    header = "1.2.3.4, 198.51.100.9, 10.0.0.2"
    assert str(client_ip("10.0.0.1", header, PROXIES)) == "198.51.100.9"
    assert str(client_ip("::1", ["1.2.3.4", "198.51.100.9"], PROXIES)) == "198.51.100.9"


def test_forwarded_for_of_only_proxies_gives_the_leftmost() -> None:
    assert str(client_ip("10.0.0.1", "10.0.0.3, 10.0.0.2", PROXIES)) == "10.0.0.3"
    assert str(client_ip("10.0.0.1", None, PROXIES)) == "10.0.0.1"


def test_a_malformed_hop_stops_at_the_proxy_that_forwarded_it() -> None:
    assert str(client_ip("10.0.0.1", "1.2.3.4, garbage", PROXIES)) == "10.0.0.1"


def test_bad_trusted_proxy_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        parse_trusted_proxies(["10.0.0.0/33"])
