"""An account's own API keys (make, list, revoke), what sessions may do, and the admin scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from reelvault.accounts.accounts import get_account, set_role
from reelvault.accounts.keys import create_api_key
from reelvault.accounts.scopes import ADMIN, VIDEOS_READ
from reelvault.db.models import ApiKey
from reelvault.errors import ValidationError
from reelvault.http.deps import require_scope
from reelvault.runtime import Runtime

from .conftest import FAKE_JOB, wait_for

PASSWORD = "correct horse battery"
PROBE = "/api/v1/admin/probe"


def _runtime(api: TestClient) -> Runtime:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    return runtime


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get("rv_csrf") or ""}


def _signup(client: TestClient, email: str) -> dict[str, Any]:
    client.cookies.clear()
    answer = client.post(
        "/api/v1/account/signup",
        json={"email": email, "password": PASSWORD, "age_confirmed": True},
    )
    assert answer.status_code == 202, answer.text
    signed_in = client.post("/api/v1/account/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    body: dict[str, Any] = signed_in.json()
    return body


def _make_key(client: TestClient, name: str, scopes: list[str] | None = None) -> Any:
    body: dict[str, Any] = {"name": name}
    if scopes is not None:
        body["scopes"] = scopes
    return client.post("/api/v1/account/keys", json=body, headers=_csrf(client))


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def locked(api: TestClient) -> TestClient:
    """A server that has left keyless mode, with an admin-only route to probe."""
    create_api_key(_runtime(api), name="operator")
    app: FastAPI = api.app  # type: ignore[assignment]
    app.add_api_route(PROBE, lambda: {"ok": True}, dependencies=[require_scope(ADMIN)])
    return api


def test_make_list_use_and_revoke_a_key(locked: TestClient) -> None:
    _signup(locked, "ada@example.org")
    made = _make_key(locked, "laptop", ["videos:write", "videos:read"])
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    key = made.json()
    assert key["secret"].startswith("rv-") and key["secret"].startswith(key["prefix"])
    assert key["scopes"] == ["videos:read", "videos:write"]
    assert key["last_used_on"] is None and key["revoked"] is False
    # The key acts as the account: its job is in the account's list.
    job = locked.post("/api/v1/jobs", json=FAKE_JOB, headers=_bearer(key["secret"]))
    assert job.status_code == 201
    wait_for(locked, job.json()["id"], headers=_bearer(key["secret"]))
    assert [j["id"] for j in locked.get("/api/v1/jobs").json()["data"]] == [job.json()["id"]]
    # ...but only with its scopes.
    refused = locked.get("/api/v1/privacy/access", headers=_bearer(key["secret"]))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"
    listed = locked.get("/api/v1/account/keys").json()["data"]
    assert [item["id"] for item in listed] == [key["id"]]
    assert "secret" not in listed[0]
    assert key["secret"] not in locked.get("/api/v1/account/keys").text
    assert listed[0]["last_used_on"] == datetime.now(UTC).date().isoformat()
    assert set(listed[0]) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "last_used_on",
        "revoked",
        "revoked_at",
    }
    gone = locked.delete(f"/api/v1/account/keys/{key['id']}", headers=_csrf(locked))
    assert gone.status_code == 204
    assert locked.get("/api/v1/jobs", headers=_bearer(key["secret"])).status_code == 401
    assert locked.get("/api/v1/account/keys").json()["data"][0]["revoked"] is True


def test_without_scopes_a_key_gets_every_scope_but_admin(locked: TestClient) -> None:
    _signup(locked, "ada@example.org")
    key = _make_key(locked, "default").json()
    assert key["scopes"] == ["videos:read", "videos:write", "privacy"]
    assert _make_key(locked, "bogus", ["videos:delete"]).status_code == 422
    assert _make_key(locked, "none", []).status_code == 422


def test_another_accounts_key_is_not_found(locked: TestClient) -> None:
    _signup(locked, "ada@example.org")
    adas = _make_key(locked, "ada's").json()
    _signup(locked, "bob@example.org")
    assert locked.get("/api/v1/account/keys").json()["data"] == []
    answer = locked.delete(f"/api/v1/account/keys/{adas['id']}", headers=_csrf(locked))
    assert answer.status_code == 404
    unknown = locked.delete("/api/v1/account/keys/key_0000000000000000", headers=_csrf(locked))
    assert unknown.status_code == 404
    assert answer.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert locked.get("/api/v1/jobs", headers=_bearer(adas["secret"])).status_code == 200


def test_keys_cannot_manage_keys_and_strangers_cannot_either(locked: TestClient) -> None:
    _signup(locked, "ada@example.org")
    key = _make_key(locked, "reader", [VIDEOS_READ]).json()
    with_key = _bearer(key["secret"])
    locked.cookies.clear()
    for method, path in (
        ("POST", "/api/v1/account/keys"),
        ("GET", "/api/v1/account/keys"),
        ("DELETE", f"/api/v1/account/keys/{key['id']}"),
    ):
        body = {"name": "more", "scopes": ["privacy"]} if method == "POST" else None
        assert locked.request(method, path, json=body, headers=with_key).status_code == 403
        assert locked.request(method, path, json=body).status_code == 401
    # Nor a studio session opened by pasting the key: it has the key's scopes, no more.
    opened = locked.post("/api/v1/studio/session", headers=with_key)
    assert opened.status_code == 200, opened.text
    assert _make_key(locked, "more", ["privacy"]).status_code == 403
    assert locked.get("/api/v1/jobs").status_code == 200
    write = locked.post("/api/v1/jobs", json=FAKE_JOB, headers=_csrf(locked))
    assert write.status_code == 403
    assert "the API key this session was opened with" in write.json()["error"]["message"]


def test_admin_routes_need_an_admin_account_or_an_admin_key(locked: TestClient) -> None:
    runtime = _runtime(locked)
    account = _signup(locked, "ada@example.org")
    # A user's session acts with every scope of a user, not admin.
    assert locked.get("/api/v1/jobs").status_code == 200
    refused = locked.get(PROBE)
    assert refused.status_code == 403 and "administrators" in refused.json()["error"]["message"]
    assert _make_key(locked, "admin", [ADMIN]).status_code == 403
    set_role(runtime, account["id"], "admin")
    assert locked.get(PROBE).status_code == 200
    admin_key = _make_key(locked, "admin", [ADMIN])
    assert admin_key.status_code == 201
    with_key = _bearer(admin_key.json()["secret"])
    assert locked.get(PROBE, headers=with_key).status_code == 200
    assert locked.get("/api/v1/jobs", headers=with_key).status_code == 403  # admin only
    # Taking the role away takes the admin scope from the account's keys too.
    set_role(runtime, account["id"], "user")
    assert locked.get(PROBE, headers=with_key).status_code == 403
    assert locked.get(PROBE).status_code == 403
    # A key made by the operator's CLI (no account) may hold admin.
    operator = create_api_key(runtime, name="ops", scopes=frozenset({ADMIN}))
    assert locked.get(PROBE, headers=_bearer(operator.secret)).status_code == 200


def test_a_key_of_a_non_admin_account_cannot_be_given_admin(locked: TestClient) -> None:
    runtime = _runtime(locked)
    owner_id = get_account(runtime, _signup(locked, "ada@example.org")["id"]).owner_id
    with pytest.raises(ValidationError, match="admin accounts"):
        create_api_key(runtime, name="x", owner_id=owner_id, scopes=frozenset({ADMIN}))


def test_the_last_used_day_is_written_once_a_day(locked: TestClient) -> None:
    runtime = _runtime(locked)
    clock = _Clock(datetime(2026, 12, 6, 23, 59, tzinfo=UTC))
    runtime.clock = clock
    key = create_api_key(runtime, name="counted")
    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            writes.append(statement)

    event.listen(runtime.db, "before_cursor_execute", count)
    try:
        for _ in range(3):
            assert locked.get("/api/v1/jobs", headers=_bearer(key.secret)).status_code == 200
        assert len(writes) == 1
        clock.now += timedelta(minutes=2)  # the next day
        for _ in range(2):
            assert locked.get("/api/v1/jobs", headers=_bearer(key.secret)).status_code == 200
        assert len(writes) == 2
    finally:
        event.remove(runtime.db, "before_cursor_execute", count)
    with runtime.session() as session:
        row = session.get(ApiKey, key.id)
        assert row is not None
        # A day, never a time of day.
        assert type(row.last_used_on) is date
        assert row.last_used_on.isoformat() == "2026-12-07"
