"""What the admin routes do, as an administrator sees it, and what each change leaves in
the audit log (the actor's account id, the target's id, never an address)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from reelvault.accounts.operator import operator_account
from reelvault.db.dsr_models import DataSubjectRequest
from reelvault.db.privacy_models import AuditEntry
from reelvault.privacy import audit_log

from .admin_world import As, World, build_world, cheap_passwords, open_request
from .conftest import make_client


@pytest.fixture
def world(api: TestClient, monkeypatch: pytest.MonkeyPatch) -> World:
    cheap_passwords(monkeypatch)
    return build_world(api)


def _entries(world: World, action: str) -> list[AuditEntry]:
    return [e for e in audit_log.tail(world.runtime, 200) if e.action == action]


def _admin(world: World) -> As:
    return world.callers["admin"]


def test_the_user_list_pages_and_never_shows_addresses(api: TestClient, world: World) -> None:
    admin = _admin(world)
    first = admin.call(api, "GET", "/api/v1/admin/users?limit=2")
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["has_more"] is True and len(page["data"]) == 2
    assert page["data"][0] == {
        "id": world.alice.id,
        "kind": "person",
        "role": "user",
        "created_on": world.alice.created_at.date().isoformat(),
        "email_verified": False,
        "disabled": False,
    }
    seen = [user["id"] for user in page["data"]]
    after = page["next_cursor"]
    while after:
        more = admin.call(api, "GET", f"/api/v1/admin/users?limit=2&after={after}").json()
        seen += [user["id"] for user in more["data"]]
        after = more["next_cursor"]
        assert "@" not in str(more)
    assert len(seen) == len(set(seen)) == 5 and "@" not in first.text
    assert admin.call(api, "GET", "/api/v1/admin/users?after=acc_nope").status_code == 422


def test_one_user_shows_the_address_and_the_reading_is_logged(
    api: TestClient, world: World
) -> None:
    answer = _admin(world).call(api, "GET", f"/api/v1/admin/users/{world.alice.id}")
    assert answer.status_code == 200
    assert answer.json()["email"] == "alice@example.org"
    assert answer.json()["quota"] == {
        "video_seconds_per_month": None,
        "concurrent_jobs": None,
        "max_resolution": None,
    }
    (entry,) = _entries(world, "admin.address_read")
    assert entry.actor == world.ada.id and entry.fields == {"account": world.alice.id}


def test_disabling_locks_the_account_out_and_enabling_lets_it_back(
    api: TestClient, world: World
) -> None:
    admin, alice_key = _admin(world), world.callers["owner"]
    url = f"/api/v1/admin/users/{world.alice.id}"
    assert alice_key.call(api, "GET", "/api/v1/jobs").status_code == 200
    off = admin.call(api, "PATCH", url, {"disabled": True})
    assert off.status_code == 200 and off.json()["disabled"] is True
    assert alice_key.call(api, "GET", "/api/v1/jobs").status_code == 401
    assert world.callers["owner_session"].call(api, "GET", "/api/v1/account").status_code == 401
    login = api.post(
        "/api/v1/account/login",
        json={"email": "alice@example.org", "password": "correct horse battery"},
    )
    assert login.status_code == 401
    api.cookies.clear()
    on = admin.call(api, "PATCH", url, {"disabled": False})
    assert on.json()["disabled"] is False
    assert alice_key.call(api, "GET", "/api/v1/jobs").status_code == 200
    assert [e.fields for e in _entries(world, "admin.account_disabled")] == [
        {"account": world.alice.id}
    ]
    assert [e.actor for e in _entries(world, "admin.account_enabled")] == [world.ada.id]


def test_setting_the_role(api: TestClient, world: World) -> None:
    admin, url = _admin(world), f"/api/v1/admin/users/{world.alice.id}"
    made = admin.call(api, "PATCH", url, {"role": "admin"})
    assert made.status_code == 200 and made.json()["role"] == "admin"
    # alice's session now acts with the admin scope; her old key does not (made without it)
    assert world.callers["owner_session"].call(api, "GET", "/api/v1/admin/users").status_code == 200
    assert world.callers["owner"].call(api, "GET", "/api/v1/admin/users").status_code == 403
    (entry,) = _entries(world, "admin.role_set")
    assert entry.fields == {"account": world.alice.id, "role": "admin"}
    assert admin.call(api, "PATCH", url, {"role": "root"}).status_code == 422
    assert admin.call(api, "PATCH", url, {}).status_code == 422


def test_an_admin_cannot_lock_out_themselves_or_the_operator_account(
    api: TestClient, world: World
) -> None:
    admin = _admin(world)
    own = f"/api/v1/admin/users/{world.ada.id}"
    for change in ({"role": "user"}, {"disabled": True}):
        refused = admin.call(api, "PATCH", own, change)
        assert refused.status_code == 409, refused.text
    operator = operator_account(world.runtime)
    assert operator.kind == "operator" and operator.role == "admin"
    refused = admin.call(api, "PATCH", f"/api/v1/admin/users/{operator.id}", {"disabled": True})
    assert refused.status_code == 409 and "operator" in refused.json()["error"]["message"]
    shown = admin.call(api, "GET", f"/api/v1/admin/users/{operator.id}").json()
    assert shown["kind"] == "operator" and shown["email"] is None


def test_quota_overrides_are_kept_checked_and_logged(api: TestClient, world: World) -> None:
    admin, url = _admin(world), f"/api/v1/admin/users/{world.alice.id}/quota"
    body = {"video_seconds_per_month": 600, "concurrent_jobs": 2}
    answer = admin.call(api, "PUT", url, body)
    assert answer.status_code == 200
    assert answer.json() == {**body, "max_resolution": None}
    shown = admin.call(api, "GET", f"/api/v1/admin/users/{world.alice.id}").json()
    assert shown["quota"]["video_seconds_per_month"] == 600
    assert admin.call(api, "PUT", url, {"gpus": 3}).status_code == 422
    assert admin.call(api, "PUT", url, {"concurrent_jobs": -1}).status_code == 422
    (entry,) = _entries(world, "admin.quota_set")
    assert entry.fields == {"account": world.alice.id, **body}
    cleared = admin.call(api, "PUT", url, {})
    assert cleared.json() == dict.fromkeys(
        ("video_seconds_per_month", "concurrent_jobs", "max_resolution")
    )


def test_the_request_queue_shows_due_dates_and_resolves(api: TestClient, world: World) -> None:
    admin, runtime = _admin(world), world.runtime
    late = open_request(runtime)
    with runtime.session() as session:
        session.execute(
            update(DataSubjectRequest)
            .where(DataSubjectRequest.id == late)
            .values(due_at=runtime.clock() - timedelta(days=1))
        )
    listed = admin.call(api, "GET", "/api/v1/admin/requests").json()["data"]
    by_id = {item["id"]: item for item in listed}
    assert by_id[late]["overdue"] is True and by_id[world.request_id]["overdue"] is False
    assert listed[0]["id"] == late  # soonest due first
    overdue = admin.call(api, "GET", "/api/v1/admin/requests?overdue=true").json()["data"]
    assert [item["id"] for item in overdue] == [late]
    done = admin.call(api, "POST", f"/api/v1/admin/requests/{late}/resolve")
    assert done.status_code == 200
    assert done.json()["status"] == "resolved" and done.json()["overdue"] is False
    again = admin.call(api, "POST", f"/api/v1/admin/requests/{late}/resolve")
    assert again.status_code == 409
    (entry,) = _entries(world, "admin.request_resolved")
    assert entry.actor == world.ada.id and entry.fields == {"request": late}


def test_the_audit_chain_is_verified_and_tampering_shows(api: TestClient, world: World) -> None:
    admin = _admin(world)
    admin.call(api, "PATCH", f"/api/v1/admin/users/{world.alice.id}", {"disabled": True})
    report = admin.call(api, "GET", "/api/v1/admin/audit/verify").json()
    assert report["ok"] is True and report["entries"] >= 1 and report["problems"] == []
    head = f"{report['head_seq']}:{report['head_hash']}"
    assert admin.call(api, "GET", f"/api/v1/admin/audit/verify?expect_head={head}").json()["ok"]
    entry = _entries(world, "admin.account_disabled")[0]
    with world.runtime.session() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == entry.seq).values(actor="someone_else")
        )
    broken = admin.call(api, "GET", "/api/v1/admin/audit/verify").json()
    assert broken["ok"] is False
    assert {"seq": entry.seq, "kind": "edited"}.items() <= broken["problems"][0].items()


def test_engine_and_provider_settings_show_no_secret(tmp_path: Path) -> None:
    client, runtime = make_client(
        tmp_path,
        fal_key="fal-secret-0123456789",
        replicate_api_token="r8_secret_token",
        comfyui_url="http://gpu-user:gpu-pass@gpu-box:8188/?token=hidden-token",
        comfyui_workflow=tmp_path / "workflow.json",
    )
    with client:
        answer = client.get("/api/v1/admin/engines")  # keyless: the local operator
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
    runtime.close()
    for secret in ("fal-secret", "r8_secret", "gpu-user", "gpu-pass", "hidden-token"):
        assert secret not in answer.text
    providers = {item["name"]: item for item in body["providers"]}
    assert providers["fal"]["configured"] and providers["fal"]["credential_set"]
    assert providers["comfyui"]["endpoint"] == "http://gpu-box:8188"
    assert "fake" in {engine["name"] for engine in body["engines"]}
