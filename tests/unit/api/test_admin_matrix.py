"""The IDOR matrix of the admin routes: every endpoint by every kind of caller.

Only an administrator gets in: a credential with the ``admin`` scope whose owner's
account has the admin role (and is not disabled), or a browser signed in to such an
account. The account the route acts on (its "owner"), another user, an admin's key
without the scope, a key with the scope but no admin account, a demoted or disabled
admin and an anonymous caller are all refused, and a refusal changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts.accounts import get_account
from reelvault.accounts.keys import create_api_key
from reelvault.accounts.quota_overrides import quota_override
from reelvault.privacy import audit_log, dsr

from .admin_world import ADMIN_ENDPOINTS, World, build_world, cheap_passwords, open_request

# What each caller that is not an administrator gets, on every admin endpoint.
REFUSED = {
    "anonymous": 401,
    "owner": 403,
    "owner_session": 403,
    "other_user": 403,
    "other_user_session": 403,
    "other_scope": 403,
    "admin_scope_no_account": 403,
    "demoted_admin": 403,
    "disabled_admin": 401,  # a disabled account's keys open nothing at all
}
ADMINS = ("admin", "admin_session")


@pytest.fixture
def world(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> World:
    cheap_passwords(monkeypatch)
    return build_world(api)


def _admin_entries(world: World) -> list[Any]:
    return [e for e in audit_log.tail(world.runtime, 100) if e.action.startswith("admin.")]


def _url(path: str, world: World, request_id: str) -> str:
    return path.format(account=world.alice.id, request=request_id, report="rep_none")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    ADMIN_ENDPOINTS,
    ids=[f"{m} {p}" for m, p, *_ in ADMIN_ENDPOINTS],
)
def test_only_an_administrator_gets_in(
    api: TestClient,
    world: World,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    url = _url(path, world, world.request_id)
    assert set(REFUSED) | set(ADMINS) == set(world.callers)
    for name, expected in REFUSED.items():
        answer = world.callers[name].call(api, method, url, body)
        assert answer.status_code == expected, (name, answer.text)
        assert "alice@example.org" not in answer.text
    # Nothing the refused callers asked for happened.
    assert not get_account(world.runtime, world.alice.id).disabled
    assert quota_override(world.runtime, world.alice.id) == {}
    assert dsr.get_request(world.runtime, world.request_id).status != "resolved"
    assert _admin_entries(world) == []
    for name in ADMINS:
        url = _url(path, world, open_request(world.runtime))  # a fresh request each time
        answer = world.callers[name].call(api, method, url, body)
        assert answer.status_code == status, (name, answer.text)


def test_the_scope_alone_is_not_enough(api: TestClient, world: World) -> None:
    """A key with the admin scope whose owner is not an admin account hears 403 forbidden
    (not insufficient_scope: it has the scope), and the message says what is missing."""
    answer = world.callers["admin_scope_no_account"].call(api, "GET", "/api/v1/admin/users")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert "admin accounts" in answer.json()["error"]["message"]
    scopeless = world.callers["other_scope"].call(api, "GET", "/api/v1/admin/users")
    assert scopeless.json()["error"]["code"] == "insufficient_scope"


def test_unknown_ids_are_404_for_admins_and_403_for_everyone_else(
    api: TestClient, world: World
) -> None:
    """A refused caller cannot tell an existing account id from a made-up one."""
    for account in (world.alice.id, "acc_does_not_exist"):
        refused = world.callers["other_user"].call(api, "GET", f"/api/v1/admin/users/{account}")
        assert refused.status_code == 403
        assert account not in refused.text
    admin = world.callers["admin"]
    assert admin.call(api, "GET", "/api/v1/admin/users/acc_nope").status_code == 404
    assert (
        admin.call(api, "PATCH", "/api/v1/admin/users/acc_nope", {"role": "admin"}).status_code
        == 404
    )
    assert admin.call(api, "POST", "/api/v1/admin/requests/dsr_nope/resolve").status_code == 404
    # Ids no database can hold (a NUL byte: PostgreSQL refuses it) are refused before
    # any query (422), and only after the caller was found to be an admin.
    for method, url in (
        ("GET", "/api/v1/admin/users/acc_%00"),
        ("PATCH", "/api/v1/admin/users/acc_%00"),
        ("GET", "/api/v1/admin/users?after=acc_%00"),
        ("POST", "/api/v1/admin/requests/dsr_%00/resolve"),
    ):
        assert admin.call(api, method, url, {"role": "user"}).status_code == 422, url
        assert world.callers["other_user"].call(api, method, url).status_code == 403, url


def test_the_local_operator_in_keyless_mode_is_the_administrator(api: TestClient) -> None:
    """No key has ever existed and the server is on loopback: the caller is the operator
    (as for /metrics); the audit log names the actor ``operator``."""
    runtime = api.runtime  # type: ignore[attr-defined]
    request_id = open_request(runtime)
    assert api.get("/api/v1/admin/users").status_code == 200
    resolved = api.post(f"/api/v1/admin/requests/{request_id}/resolve")
    assert resolved.status_code == 200, resolved.text
    entry = [e for e in audit_log.tail(runtime, 20) if e.action == "admin.request_resolved"][-1]
    assert entry.actor == "operator" and entry.fields == {"request": request_id}
    # Once a key exists the same anonymous caller is refused.
    create_api_key(runtime, name="first")
    assert api.get("/api/v1/admin/users").status_code == 401
