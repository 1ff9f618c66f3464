"""Account routes are bounded: sign-ups per network address (429 with Retry-After, counted
by the address pseudonym, an IPv6 client by its /64) and the size of their bodies (413)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.accounts.keys import create_api_key
from reelvault.db.models import Account
from reelvault.http.body_cap import MAX_ACCOUNT_BODY_BYTES

from .conftest import make_client

PASSWORD = "correct horse battery"


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[TestClient]:
    client, runtime = make_client(tmp_path, signups_per_address_per_hour=2)
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        create_api_key(runtime, name="operator")
        yield client
    runtime.close()


def _accounts(client: TestClient) -> int:
    with client.runtime.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def _signup_from(client: TestClient, address: str, email: str) -> int:
    browser = TestClient(client.app, client=(address, 40000))
    answer = browser.post(
        "/api/v1/account/signup",
        json={"email": email, "password": PASSWORD, "age_confirmed": True},
    )
    if answer.status_code == 429:
        assert int(answer.headers["retry-after"]) > 0
    return answer.status_code


def test_sign_ups_are_limited_per_network_address(limited: TestClient) -> None:
    assert _signup_from(limited, "203.0.113.7", "a@example.org") == 202
    assert _signup_from(limited, "203.0.113.7", "b@example.org") == 202
    assert _signup_from(limited, "203.0.113.7", "c@example.org") == 429
    assert _accounts(limited) == 2  # the refused one made nothing
    # Another address has its own allowance; another address in the same IPv6 /64 not.
    assert _signup_from(limited, "198.51.100.9", "c@example.org") == 202
    assert _signup_from(limited, "2001:db8:1:2::1", "d@example.org") == 202
    assert _signup_from(limited, "2001:db8:1:2::2", "e@example.org") == 202
    assert _signup_from(limited, "2001:db8:1:2:ffff::3", "f@example.org") == 429


def test_a_known_address_counts_like_a_new_one(limited: TestClient) -> None:
    assert _signup_from(limited, "203.0.113.7", "a@example.org") == 202
    assert _signup_from(limited, "203.0.113.7", "a@example.org") == 202
    assert _signup_from(limited, "203.0.113.7", "a@example.org") == 429


@pytest.mark.parametrize(
    "path", ["/api/v1/account/signup", "/api/v1/account/login", "/api/v1/account/keys"]
)
def test_an_oversized_account_body_is_refused_with_413(limited: TestClient, path: str) -> None:
    padding = "x" * (MAX_ACCOUNT_BODY_BYTES + 1)
    declared = limited.post(path, json={"email": "a@example.org", "password": padding})
    assert declared.status_code == 413
    error = declared.json()["error"]
    assert error["code"] == "payload_too_large" and str(MAX_ACCOUNT_BODY_BYTES) in error["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts what arrives
        yield b'{"email": "a@example.org", "password": "'
        for _ in range(MAX_ACCOUNT_BODY_BYTES // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    streamed = limited.post(path, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert _accounts(limited) == 0


def test_a_body_under_the_cap_still_works(limited: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "a@example.org", '
        yield b'"password": "correct horse battery", "age_confirmed": true}'

    answer = limited.post(
        "/api/v1/account/signup", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 202, answer.text
    assert _accounts(limited) == 1
