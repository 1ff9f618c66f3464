"""E-mail links of accounts, through a real SMTP exchange (aiosmtpd on a loopback port):
confirm the address, reset a forgotten password — single use, expiring, and the reset
request answers the same whether or not the address has an account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from reelvault.accounts.keys import create_api_key
from reelvault.db.models import Account
from reelvault.privacy.notify import SmtpSettings
from reelvault.runtime import Runtime
from tests.unit.privacy.test_notify import Inbox, smtp_server  # noqa: F401 (a fixture)

from .conftest import make_client

EMAIL = "ada@example.org"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


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
        create_api_key(runtime, name="operator")  # a server past keyless mode
        yield client, inbox
    runtime.close()


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    return runtime


def _post(client: TestClient, path: str, body: dict[str, str] | None = None) -> Response:
    """A browser's POST: with its session's CSRF token when it has a session."""
    csrf = {"X-CSRF-Token": client.cookies.get("rv_csrf") or ""}
    return client.post(path, json=body, headers=csrf)


def _token(message: Message) -> str:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    found = re.search(r"\?token=([A-Za-z0-9_%-]+)", body.decode())
    assert found, body
    return found.group(1)


def _signup(client: TestClient) -> None:
    made = _post(
        client,
        "/api/v1/account/signup",
        {"email": EMAIL, "password": PASSWORD, "age_confirmed": True},
    )
    assert made.status_code == 202, made.text
    login = _post(client, "/api/v1/account/login", {"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 200, login.text


def _verified(client: TestClient) -> bool:
    with _runtime(client).session() as session:
        return session.scalars(select(Account)).one().email_verified_at is not None


def test_signing_up_mails_a_link_that_confirms_the_address_once(
    mail_api: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_api
    _signup(client)
    assert len(inbox.messages) == 1 and inbox.recipients[0] == [EMAIL]
    token = _token(inbox.messages[0])
    assert not _verified(client)
    assert _post(client, "/api/v1/account/verify-email", {"token": "x" * 43}).status_code == 410
    assert _post(client, "/api/v1/account/verify-email", {"token": token}).status_code == 204
    assert _verified(client)
    assert client.get("/api/v1/account").json()["email_verified"] is True
    again = _post(client, "/api/v1/account/verify-email", {"token": token})
    assert again.status_code == 410  # single use


def test_a_new_confirmation_link_replaces_the_old_one(mail_api: tuple[TestClient, Inbox]) -> None:
    client, inbox = mail_api
    _signup(client)
    first = _token(inbox.messages[0])
    assert _post(client, "/api/v1/account/verify-email/send").json() == {"sent": True}
    second = _token(inbox.messages[1])
    assert _post(client, "/api/v1/account/verify-email", {"token": first}).status_code == 410
    assert _post(client, "/api/v1/account/verify-email", {"token": second}).status_code == 204


def test_a_password_reset_link_sets_a_new_password_and_ends_every_session(
    mail_api: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_api
    _signup(client)
    assert client.get("/api/v1/account").status_code == 200
    stranger = TestClient(client.app)
    asked = _post(stranger, "/api/v1/account/password-reset", {"email": "ADA@example.org"})
    assert asked.status_code == 202
    token = _token(inbox.messages[-1])
    short = _post(
        stranger, "/api/v1/account/password-reset/confirm", {"token": token, "password": "short"}
    )
    assert short.status_code == 422  # refused before the token is spent
    done = _post(
        stranger,
        "/api/v1/account/password-reset/confirm",
        {"token": token, "password": NEW_PASSWORD},
    )
    assert done.status_code == 204
    assert client.get("/api/v1/account").status_code == 401  # the old session ended
    login = {"email": EMAIL, "password": NEW_PASSWORD}
    assert _post(stranger, "/api/v1/account/login", login).status_code == 200
    old = {"email": EMAIL, "password": PASSWORD}
    assert _post(TestClient(client.app), "/api/v1/account/login", old).status_code == 401
    replay = _post(
        stranger, "/api/v1/account/password-reset/confirm", {"token": token, "password": "x" * 20}
    )
    assert replay.status_code == 410


def test_a_reset_request_tells_nothing_about_who_has_an_account(
    mail_api: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_api
    _signup(client)
    sent_before = len(inbox.messages)
    known = _post(client, "/api/v1/account/password-reset", {"email": EMAIL})
    unknown = _post(client, "/api/v1/account/password-reset", {"email": "nobody@example.org"})
    malformed = _post(client, "/api/v1/account/password-reset", {"email": "not-an-address"})
    assert known.status_code == unknown.status_code == malformed.status_code == 202
    assert known.json() == unknown.json() == malformed.json()
    assert len(inbox.messages) == sent_before + 1  # only the real account got a link


def test_a_reset_link_expires_after_an_hour(
    mail_api: tuple[TestClient, Inbox],
) -> None:
    client, inbox = mail_api
    _signup(client)
    _post(client, "/api/v1/account/password-reset", {"email": EMAIL})
    token = _token(inbox.messages[-1])
    runtime = _runtime(client)
    later = runtime.clock() + timedelta(hours=1, seconds=1)
    runtime.clock = lambda: later
    late = _post(
        client, "/api/v1/account/password-reset/confirm", {"token": token, "password": NEW_PASSWORD}
    )
    assert late.status_code == 410


def test_without_mail_set_up_a_reset_is_refused_clearly(tmp_path: Path) -> None:
    client, runtime = make_client(tmp_path)
    with client:
        answer = _post(client, "/api/v1/account/password-reset", {"email": EMAIL})
        assert answer.status_code == 503
        assert "e-mail" in answer.json()["error"]["message"]
    runtime.close()


def test_expired_links_are_swept(mail_api: tuple[TestClient, Inbox]) -> None:
    from reelvault.db.models import AccountToken
    from reelvault.privacy.sweeper import sweep

    client, _inbox = mail_api
    _signup(client)
    runtime = _runtime(client)
    with runtime.session() as session:
        assert len(session.scalars(select(AccountToken)).all()) == 1
    later = runtime.clock() + timedelta(days=2, seconds=1)
    runtime.clock = lambda: later
    sweep(runtime)
    with runtime.session() as session:
        assert session.scalars(select(AccountToken)).all() == []
