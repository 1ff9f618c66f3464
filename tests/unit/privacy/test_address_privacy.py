"""The one place a network address is read (``AddressLimits.pseudonym``, behind trusted
proxies through ``X-Forwarded-For``) keeps only today's keyed hash of it.

Driven through HTTP against the real app: anonymous studio sessions on a server with
keys are limited per address, so every request reads the address. Afterwards the raw
addresses (the client's and the proxy's, as text or packed bytes) are in no file of the
data directory (database and its WAL, vault, key files) and in no log record or output,
while the limiter's buckets are named by the pseudonym of the client behind the proxy.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.http.address_limits import counted_address
from reelvault.privacy.pseudonyms import PSEUDONYM_PREFIX, ip_pseudonym, parse_ip
from reelvault.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from tests.storage_backends import database_holds

SESSION = "/api/v1/studio/session"
PROXY = "10.20.30.40"
CLIENTS = ("198.51.100.23", "2001:db8:85a3::7334")
JOB = {"engine": "fake", "prompt": "a lantern", "size": "64x48", "fps": 8, "seconds": 1}


@contextmanager
def _app_behind_a_proxy(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    settings = settings_for(
        tmp_path,
        anonymous_sessions=True,
        anonymous_sessions_per_hour=2,
        anonymous_jobs_per_minute=5,
        rate_limit_per_minute=60,
        trusted_proxies=["10.0.0.0/8"],
    )
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="none")
    try:
        with TestClient(app, client=(PROXY, 50000)) as client:
            yield client, runtime
    finally:
        runtime.close()


def _studio_from(client: TestClient, address: str) -> TestClient:
    """A browser at ``address`` whose requests reach us through the proxy."""
    browser = TestClient(client.app, client=(PROXY, 50001))
    browser.headers["X-Forwarded-For"] = address
    return browser


def _forms(address: str) -> list[bytes]:
    parsed = ipaddress.ip_address(address)
    return [address.encode(), parsed.exploded.encode(), parsed.packed]


def test_an_address_read_over_http_is_kept_only_as_its_pseudonym(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.DEBUG), _app_behind_a_proxy(tmp_path) as (client, runtime):
        create_api_key(runtime, name="operator")
        for address in CLIENTS:
            browser = _studio_from(client, address)
            assert browser.post(SESSION).status_code == 200
            csrf = {"X-CSRF-Token": browser.cookies.get("rv_csrf") or ""}
            made = browser.post("/api/v1/jobs", json=JOB, headers=csrf)
            assert made.status_code == 201, made.text
        # The address counted is the client's behind the proxy: two sessions an hour.
        assert _studio_from(client, CLIENTS[0]).post(SESSION).status_code == 200
        assert _studio_from(client, CLIENTS[0]).post(SESSION).status_code == 429
        # The buckets are named by today's pseudonyms (an IPv6 client's of its /64), and
        # by nothing else.
        expected = {ip_pseudonym(runtime, counted_address(parse_ip(a))) for a in CLIENTS}
        limits = client.app.state.ctx.address_limits  # type: ignore[attr-defined]
        # Each bucket is named by a keyed digest: the prefix and 32 hex digits, no address.
        for name in (*limits.sessions._buckets, *limits.jobs._buckets):
            assert isinstance(name, str) and name.startswith(PSEUDONYM_PREFIX), name
            assert re.fullmatch(r"[0-9a-f]{32}", name.removeprefix(PSEUDONYM_PREFIX)), name
        assert set(limits.sessions._buckets) == expected
        assert set(limits.jobs._buckets) == expected
        on_sqlite = runtime.db.dialect.name == "sqlite"
        if not on_sqlite:  # a server database: its rows, not files under tmp_path
            for address in (*CLIENTS, PROXY):
                for form in _forms(address):
                    assert not database_holds(runtime.db, form), f"{address} in the database"
    captured = capfd.readouterr()
    logged = "\n".join(
        [captured.out, captured.err, caplog.text]
        + [record.getMessage() for record in caplog.records]
    ).encode()
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert not on_sqlite or any(path.suffix == ".db" for path in files)
    for address in (*CLIENTS, PROXY):
        for form in _forms(address):
            assert form not in logged, f"{address} logged"
            for path in files:
                assert form not in path.read_bytes(), f"{address} stored in {path.name}"
