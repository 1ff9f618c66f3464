"""Nothing tells who has an account: sign-up, password reset and sign-in answer the same
for a known and an unknown address, and cost the same argon2 work (checked by counting
the hasher's calls, not by a stopwatch)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

import reelvault.accounts.passwords as passwords
from reelvault.accounts.keys import create_api_key
from reelvault.db.models import Account
from reelvault.privacy.notify import SmtpSettings
from tests.unit.privacy.test_notify import Inbox, smtp_server  # noqa: F401 (a fixture)

from .conftest import make_client

EMAIL = "ada@example.org"
PASSWORD = "correct horse battery"
SIGNUP = "/api/v1/account/signup"


@pytest.fixture
def mail_api(
    tmp_path: Path,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811 (the imported fixture)
) -> Iterator[tuple[TestClient, Inbox]]:
    inbox, smtp = smtp_server
    client, runtime = make_client(
        tmp_path,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from="accounts@video.example",
        smtp_starttls=False,
        smtp_username=smtp.username,
        smtp_password=smtp.password,
        public_base_url="http://testserver",
    )
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        create_api_key(runtime, name="operator")
        yield client, inbox
    runtime.close()


@pytest.fixture
def quiet_api(tmp_path: Path) -> Iterator[TestClient]:
    """A server that sends no mail."""
    client, runtime = make_client(tmp_path)
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        create_api_key(runtime, name="operator")
        yield client
    runtime.close()


def _signup(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    client.cookies.clear()
    return client.post(SIGNUP, json={"email": email, "password": password, "age_confirmed": True})


def _same(first: Response, second: Response) -> None:
    assert first.status_code == second.status_code
    assert first.json() == second.json()
    ignored = {"date", "content-length"}
    assert {k for k in first.headers if k not in ignored} == {
        k for k in second.headers if k not in ignored
    }


def _accounts(client: TestClient) -> int:
    with client.runtime.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Account)) or 0)


def _body(message: Any) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_signing_up_a_known_address_answers_as_for_a_new_one_and_tells_its_owner(
    mail_api: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_api
    new = _signup(client, EMAIL)
    assert new.status_code == 202 and "set-cookie" not in new.headers
    assert len(inbox.messages) == 1 and "token=" in _body(inbox.messages[0])
    again = _signup(client, "ADA@Example.org", password="an attacker's choice")
    _same(new, again)
    assert _accounts(client) == 1
    # The owner hears of it; the mail holds no link that could take the account.
    assert len(inbox.messages) == 2 and inbox.recipients[1] == [EMAIL]
    notice = inbox.messages[1]
    assert "tried to sign up" in str(notice["Subject"])
    assert "token=" not in _body(notice)
    # The existing password still opens the account; the attacker's does not.
    login = {"email": EMAIL, "password": PASSWORD}
    assert client.post("/api/v1/account/login", json=login).status_code == 200
    client.cookies.clear()
    taken = {"email": EMAIL, "password": "an attacker's choice"}
    assert client.post("/api/v1/account/login", json=taken).status_code == 401


def test_without_mail_a_known_address_still_gets_the_new_address_answer(
    quiet_api: TestClient,
) -> None:
    new = _signup(quiet_api, EMAIL)
    again = _signup(quiet_api, EMAIL)
    _same(new, again)
    assert new.status_code == 202 and "sign in" in new.json()["message"]


def test_a_password_reset_answers_the_same_for_known_and_unknown_addresses(
    mail_api: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_api
    _signup(client, EMAIL)
    sent_before = len(inbox.messages)
    client.cookies.clear()
    known = client.post("/api/v1/account/password-reset", json={"email": EMAIL})
    unknown = client.post("/api/v1/account/password-reset", json={"email": "eve@example.org"})
    _same(known, unknown)
    assert known.status_code == 202
    assert len(inbox.messages) == sent_before + 1  # only the known address got a link


class _CountingHasher(PasswordHasher):
    """argon2-cffi's hasher, counting what it verifies and hashes (it still does the work)."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []
        self.hashed = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashed += 1
        return super().hash(password, salt=salt)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> _CountingHasher:
    counter = _CountingHasher()
    passwords.dummy_hash()  # made once, before counting starts
    monkeypatch.setattr(passwords, "hasher", lambda: counter)
    return counter


def test_an_unknown_address_costs_one_argon2_verification_like_a_wrong_password(
    quiet_api: TestClient, counting: _CountingHasher
) -> None:
    assert _signup(quiet_api, EMAIL).status_code == 202
    counting.verified.clear()
    wrong = quiet_api.post("/api/v1/account/login", json={"email": EMAIL, "password": "x" * 12})
    assert wrong.status_code == 401 and len(counting.verified) == 1
    assert counting.verified[0] != passwords.dummy_hash()  # the account's own hash
    unknown = quiet_api.post(
        "/api/v1/account/login", json={"email": "nobody@example.org", "password": "x" * 12}
    )
    assert unknown.status_code == 401
    assert counting.verified[1:] == [passwords.dummy_hash()]  # the dummy, verified for real
    assert wrong.json() == unknown.json()


def test_signing_up_a_known_address_hashes_the_password_like_a_new_one(
    quiet_api: TestClient, counting: _CountingHasher
) -> None:
    _signup(quiet_api, EMAIL)
    assert counting.hashed == 1
    _signup(quiet_api, EMAIL)
    assert counting.hashed == 2
