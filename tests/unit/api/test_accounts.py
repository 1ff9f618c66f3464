"""Accounts: sign up, sign in, sign out, me, delete — as a browser and an API client sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

import reelvault.accounts.passwords as passwords
from reelvault.accounts.accounts import set_disabled
from reelvault.accounts.keys import create_api_key
from reelvault.db.models import Account, Job
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock
from tests.storage_backends import database_holds

from .conftest import FAKE_JOB, wait_for

EMAIL = "Ada.Lovelace@Example.org"
PASSWORD = "correct horse battery"


def _runtime(api: TestClient) -> Runtime:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    return runtime


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get("rv_csrf") or ""}


def _signup(api: TestClient, email: str = EMAIL, password: str = PASSWORD) -> dict[str, object]:
    """Sign up (202, no session: the answer is the same for a known address), then sign in."""
    answer = api.post(
        "/api/v1/account/signup",
        json={"email": email, "password": password, "age_confirmed": True},
    )
    assert answer.status_code == 202, answer.text
    assert "set-cookie" not in answer.headers
    signed_in = api.post("/api/v1/account/login", json={"email": email, "password": password})
    assert signed_in.status_code == 200, signed_in.text
    body: dict[str, object] = signed_in.json()
    return body


@pytest.fixture
def locked(api: TestClient) -> TestClient:
    """A server that has left keyless mode: anonymous callers are refused."""
    create_api_key(_runtime(api), name="operator")
    return api


def test_signing_up_then_in_and_me_shows_the_address(locked: TestClient) -> None:
    assert locked.get("/api/v1/account").status_code == 401
    body = _signup(locked)
    assert body["email"] == "ada.lovelace@example.org"
    assert body["role"] == "user" and body["email_verified"] is False
    assert body["sign_in_providers"] == []  # no OpenID Connect provider linked
    me = locked.get("/api/v1/account")
    assert me.status_code == 200 and me.json()["id"] == body["id"]
    # The session acts as the account's owner: its jobs are the account's.
    job = locked.post("/api/v1/jobs", json=FAKE_JOB, headers=_csrf(locked))
    assert job.status_code == 201
    assert wait_for(locked, job.json()["id"])["status"] == "completed"


def test_the_database_never_holds_the_address(api: TestClient) -> None:
    _signup(api, email="grace.hopper@navy.example")
    runtime = _runtime(api)
    assert not database_holds(runtime.db, b"grace.hopper")
    assert not database_holds(runtime.db, b"navy.example")
    with runtime.session() as session:
        row = session.scalars(select(Account)).one()
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash


def test_wrong_password_and_unknown_address_get_the_same_answer(locked: TestClient) -> None:
    _signup(locked)
    locked.cookies.clear()
    wrong = locked.post("/api/v1/account/login", json={"email": EMAIL, "password": "x" * 12})
    unknown = locked.post(
        "/api/v1/account/login", json={"email": "nobody@example.org", "password": "x" * 12}
    )
    malformed = locked.post("/api/v1/account/login", json={"email": "no-at", "password": "x"})
    assert wrong.status_code == unknown.status_code == malformed.status_code == 401
    assert wrong.json() == unknown.json() == malformed.json()
    assert "set-cookie" not in wrong.headers
    assert locked.get("/api/v1/account").status_code == 401


def test_signing_in_gives_a_new_session_and_signing_out_ends_it(locked: TestClient) -> None:
    _signup(locked)
    first = locked.cookies.get("rv_session")
    locked.cookies.clear()
    again = locked.post(
        "/api/v1/account/login", json={"email": EMAIL.upper(), "password": PASSWORD}
    )
    assert again.status_code == 200
    second = locked.cookies.get("rv_session")
    assert second and second != first
    cookie = again.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    out = locked.post("/api/v1/account/logout", headers=_csrf(locked))
    assert out.status_code == 204
    assert locked.get("/api/v1/account").status_code == 401
    locked.cookies.set("rv_session", second)  # the old cookie, replayed
    assert locked.get("/api/v1/account").status_code == 401


def test_sign_up_refusals(locked: TestClient) -> None:
    _signup(locked)
    locked.cookies.clear()
    twice = locked.post(
        "/api/v1/account/signup",
        json={"email": "ada.lovelace@EXAMPLE.org", "password": PASSWORD, "age_confirmed": True},
    )
    assert twice.status_code == 202  # the same answer as a new address: nothing made
    under_age = locked.post(
        "/api/v1/account/signup",
        json={"email": "kid@example.org", "password": PASSWORD, "age_confirmed": False},
    )
    assert under_age.status_code == 422 and "age" in under_age.json()["error"]["message"]
    short = locked.post(
        "/api/v1/account/signup",
        json={"email": "short@example.org", "password": "tiny", "age_confirmed": True},
    )
    assert short.status_code == 422
    # ASVS 2.1.1: eleven characters are too few, whatever they are.
    eleven = locked.post(
        "/api/v1/account/signup",
        json={"email": "eleven@example.org", "password": "abcdefghijk", "age_confirmed": True},
    )
    assert eleven.status_code == 422
    assert "at least 12 characters" in eleven.json()["error"]["message"]
    bad_address = locked.post(
        "/api/v1/account/signup",
        json={"email": "not an address", "password": PASSWORD, "age_confirmed": True},
    )
    assert bad_address.status_code == 422
    with _runtime(locked).session() as session:
        assert len(session.scalars(select(Account)).all()) == 1


def test_a_password_hashed_with_old_parameters_is_rehashed_at_sign_in(
    locked: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", lambda: weak)
    _signup(locked)
    monkeypatch.undo()
    runtime = _runtime(locked)
    with runtime.session() as session:
        before = session.scalars(select(Account)).one().password_hash
    assert "m=8192" in before
    locked.cookies.clear()
    assert (
        locked.post(
            "/api/v1/account/login", json={"email": EMAIL, "password": PASSWORD}
        ).status_code
        == 200
    )
    with runtime.session() as session:
        after = session.scalars(select(Account)).one().password_hash
    assert after != before and "m=65536" in after


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(locked: TestClient) -> None:
    account = _signup(locked)
    set_disabled(_runtime(locked), str(account["id"]), True)
    assert locked.get("/api/v1/account").status_code == 401
    locked.cookies.clear()
    refused = locked.post("/api/v1/account/login", json={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 401


def test_deleting_the_account_erases_it_and_its_jobs(locked: TestClient) -> None:
    _signup(locked)
    runtime = _runtime(locked)
    job = locked.post("/api/v1/jobs", json=FAKE_JOB, headers=_csrf(locked)).json()
    wait_for(locked, job["id"])
    with runtime.session() as session:
        email_object = session.scalars(select(Account)).one().email_object
    assert runtime.vault.exists(email_object)  # type: ignore[arg-type]
    gone = locked.delete("/api/v1/account", headers=_csrf(locked))
    assert gone.status_code == 200
    assert gone.json()["erased"]["accounts"] == 1 and gone.json()["erased"]["jobs"] == 1
    assert not runtime.vault.exists(email_object)  # type: ignore[arg-type]
    with runtime.session() as session:
        assert session.scalars(select(Account)).all() == []
        assert session.get(Job, job["id"]) is None
    locked.cookies.clear()
    login = locked.post("/api/v1/account/login", json={"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 401
    _signup(locked)  # the address is free again


def test_the_privacy_erasure_ends_the_account_and_shreds_its_address(locked: TestClient) -> None:
    _signup(locked)
    runtime = _runtime(locked)
    with runtime.session() as session:
        email_object = session.scalars(select(Account)).one().email_object
    erased = locked.post("/api/v1/privacy/erase", json={"confirm": True}, headers=_csrf(locked))
    assert erased.status_code == 200, erased.text
    with runtime.session() as session:
        assert session.scalars(select(Account)).all() == []
    assert not runtime.vault.exists(email_object)  # type: ignore[arg-type]


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_a_session_ends_after_the_idle_time_and_at_its_lifetime(locked: TestClient) -> None:
    runtime = _runtime(locked)
    clock = _Clock(datetime.now(UTC))
    runtime.clock = clock
    _signup(locked)
    idle = timedelta(hours=runtime.settings.session_idle_hours)
    # Used a little less often than the idle time: it keeps going, up to its lifetime.
    lifetime = timedelta(days=runtime.settings.session_lifetime_days)
    start = clock.now
    while clock.now + idle - timedelta(hours=1) < start + lifetime:
        clock.now += idle - timedelta(hours=1)
        assert locked.get("/api/v1/account").status_code == 200, clock.now - start
    clock.now = start + lifetime + timedelta(seconds=1)
    assert locked.get("/api/v1/account").status_code == 401  # the lifetime is absolute
    # A fresh session left unused for longer than the idle time ends.
    locked.cookies.clear()
    assert (
        locked.post(
            "/api/v1/account/login", json={"email": EMAIL, "password": PASSWORD}
        ).status_code
        == 200
    )
    clock.now += idle + timedelta(minutes=1)
    assert locked.get("/api/v1/account").status_code == 401


def test_signing_out_everywhere_ends_every_session_of_the_account(locked: TestClient) -> None:
    _signup(locked)
    other = TestClient(locked.app)
    assert (
        other.post("/api/v1/account/login", json={"email": EMAIL, "password": PASSWORD}).status_code
        == 200
    )
    assert other.get("/api/v1/account").status_code == 200
    out = locked.post("/api/v1/account/logout?everywhere=true", headers=_csrf(locked))
    assert out.status_code == 204
    assert other.get("/api/v1/account").status_code == 401
    assert locked.get("/api/v1/account").status_code == 401


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post(
        "/api/v1/account/login", json={"email": email, "password": password}
    ).status_code


def test_repeated_wrong_passwords_make_sign_in_wait(locked: TestClient) -> None:
    _signup(locked)
    locked.cookies.clear()
    clock = _runtime(locked).clock = FakeClock()
    free = _runtime(locked).settings.login_failures_before_backoff
    for _ in range(free):
        assert _login(locked, EMAIL, "not the password") == 401
    blocked = locked.post("/api/v1/account/login", json={"email": EMAIL, "password": PASSWORD})
    assert blocked.status_code == 429  # even the right password waits: nothing is checked
    assert int(blocked.headers["retry-after"]) >= 1
    clock.advance(seconds=1.5)
    assert _login(locked, EMAIL, PASSWORD) == 200  # after the wait, and it clears the count


def test_sign_in_backoff_does_not_tell_who_has_an_account(api: TestClient) -> None:
    _signup(api)
    clock = _runtime(api).clock = FakeClock()
    free = _runtime(api).settings.login_failures_before_backoff
    answers = {}
    for address in (EMAIL, "nobody@example.org"):
        clock.advance(hours=2)  # every count starts over after an hour without failures
        api.cookies.clear()
        for _ in range(free):
            _login(api, address, "not the password")
        reply = api.post("/api/v1/account/login", json={"email": address, "password": "x" * 12})
        answers[address] = (reply.status_code, reply.json(), reply.headers.get("retry-after"))
    assert answers[EMAIL] == answers["nobody@example.org"]
    assert answers[EMAIL][0] == 429


def test_one_address_guessing_many_accounts_is_slowed_too(locked: TestClient) -> None:
    _runtime(locked).clock = FakeClock()
    free = _runtime(locked).settings.login_failures_before_backoff
    for number in range(free):
        assert _login(locked, f"person{number}@example.org", "guess guess guess") == 401
    assert _login(locked, "someone.else@example.org", "guess guess guess") == 429
