"""The IDOR matrix of the account routes: every kind of caller against alice's account.

Each caller reaches only its own account: "me" is always the caller's, another account's
key id is "not found" (404, the same as one that does not exist), keys are managed only
from a browser signed in to the account (a key gets 403, even an admin's), and an admin
has no more power here than anyone: the admin routes are ``/api/v1/admin``.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts.keys import list_api_keys

from .admin_world import World, build_world, cheap_passwords


@pytest.fixture
def world(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> World:
    cheap_passwords(monkeypatch)
    return build_world(api)


# GET /api/v1/account: whose account each caller sees (None: the status alone).
ME = {
    "anonymous": (401, None),
    "owner": (200, "alice"),
    "owner_session": (200, "alice"),
    "other_user": (200, "bob"),
    "other_user_session": (200, "bob"),
    "other_scope": (200, "ada"),
    "admin_scope_no_account": (403, None),  # its only scope is admin (not privacy)
    "demoted_admin": (200, None),
    "disabled_admin": (401, None),
    "admin": (200, "ada"),
    "admin_session": (200, "ada"),
}

# DELETE /api/v1/account/keys/{alice's key}: everyone but alice's own browser is refused.
REVOKE = {
    "anonymous": 401,
    "owner": 403,  # a key never manages keys, not even its own
    "other_user": 403,
    "other_user_session": 404,  # another account's key: as if it did not exist
    "other_scope": 403,
    "admin_scope_no_account": 403,
    "demoted_admin": 403,
    "disabled_admin": 401,
    "admin": 403,
    "admin_session": 404,  # an admin's browser is no exception
}


def test_me_is_always_the_callers_own_account(api: TestClient, world: World) -> None:
    assert set(ME) == set(world.callers)
    ids = {"alice": world.alice.id, "bob": world.bob.id, "ada": world.ada.id}
    for name, (status, whose) in ME.items():
        answer = world.callers[name].call(api, "GET", "/api/v1/account")
        assert answer.status_code == status, (name, answer.text)
        if whose is not None:
            assert answer.json()["id"] == ids[whose], name
        if whose != "alice":
            assert world.alice.id not in answer.text and "alice@" not in answer.text, name


def test_only_alices_browser_lists_and_revokes_her_key(api: TestClient, world: World) -> None:
    url = f"/api/v1/account/keys/{world.alice_key_id}"
    assert set(REVOKE) | {"owner_session"} == set(world.callers)
    for name, status in REVOKE.items():
        answer = world.callers[name].call(api, "DELETE", url)
        assert answer.status_code == status, (name, answer.text)
        listed = world.callers[name].call(api, "GET", "/api/v1/account/keys")
        assert world.alice_key_id not in listed.text, name
    keys = list_api_keys(world.runtime, owner_id=world.alice.owner_id)
    assert [key.revoked_at for key in keys] == [None]  # untouched by all of them
    assert world.callers["owner"].call(api, "GET", "/api/v1/jobs").status_code == 200
    mine = world.callers["owner_session"]
    assert world.alice_key_id in mine.call(api, "GET", "/api/v1/account/keys").text
    assert mine.call(api, "DELETE", url).status_code == 204
    assert world.callers["owner"].call(api, "GET", "/api/v1/jobs").status_code == 401
