"""Who sees what: keys, 401s, and the full IDOR matrix (another owner's job is 404)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key, revoke_api_key

from .conftest import FAKE_JOB, wait_for


@pytest.fixture
def two_owners(api: TestClient) -> tuple[dict[str, str], dict[str, str], str]:
    runtime = api.runtime  # type: ignore[attr-defined]
    alice = {"Authorization": "Bearer " + create_api_key(runtime, name="alice").secret}
    bob = {"Authorization": "Bearer " + create_api_key(runtime, name="bob").secret}
    job = api.post("/api/v1/jobs", json=FAKE_JOB, headers=alice).json()
    wait_for(api, job["id"], headers=alice)
    return alice, bob, job["id"]


def test_keys_are_required_once_one_exists(api: TestClient) -> None:
    assert api.post("/api/v1/jobs", json=FAKE_JOB).status_code == 201  # single-user mode
    create_api_key(api.runtime, name="first")  # type: ignore[attr-defined]
    anonymous = api.post("/api/v1/jobs", json=FAKE_JOB)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthorized"
    wrong = api.get("/api/v1/jobs", headers={"Authorization": "Bearer rv-wrong"})
    assert wrong.status_code == 401
    assert api.get("/v1/videos").json()["error"]["type"] == "authentication_error"


def test_revoked_key_stops_working(api: TestClient) -> None:
    created = create_api_key(api.runtime, name="temp")  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {created.secret}"}
    assert api.get("/api/v1/jobs", headers=headers).status_code == 200
    revoke_api_key(api.runtime, created.id)  # type: ignore[attr-defined]
    assert api.get("/api/v1/jobs", headers=headers).status_code == 401


MATRIX = [
    ("GET", "/api/v1/jobs/{id}"),
    ("POST", "/api/v1/jobs/{id}/cancel"),
    ("DELETE", "/api/v1/jobs/{id}"),
    ("GET", "/api/v1/jobs/{id}/content"),
    ("GET", "/api/v1/jobs/{id}/content?variant=thumbnail"),
    ("GET", "/api/v1/jobs/{id}/events"),
    ("GET", "/api/v1/jobs/{id}/words"),
    ("GET", "/v1/videos/{id}"),
    ("DELETE", "/v1/videos/{id}"),
    ("GET", "/v1/videos/{id}/content"),
    ("POST", "/v1/videos/{id}/remix"),
    ("POST", "/api/v1/jobs/{id}/remix"),
    ("POST", "/api/v1/jobs/{id}/extend"),
    ("POST", "/api/v1/jobs/{id}/edit"),
]


@pytest.mark.parametrize(("method", "path"), MATRIX)
def test_another_owners_job_is_not_found(
    api: TestClient, two_owners: tuple[dict[str, str], dict[str, str], str], method: str, path: str
) -> None:
    alice, bob, job_id = two_owners
    response = api.request(method, path.format(id=job_id), headers=bob)
    assert response.status_code == 404, (method, path, response.text)
    assert job_id not in response.text or "no job" in response.text
    # and the owner still has it, untouched
    assert api.get(f"/api/v1/jobs/{job_id}", headers=alice).json()["status"] == "completed"


def test_lists_show_only_your_own(
    api: TestClient, two_owners: tuple[dict[str, str], dict[str, str], str]
) -> None:
    alice, bob, job_id = two_owners
    assert [j["id"] for j in api.get("/api/v1/jobs", headers=alice).json()["data"]] == [job_id]
    assert api.get("/api/v1/jobs", headers=bob).json()["data"] == []
    assert api.get("/v1/videos", headers=bob).json()["data"] == []
    # a cursor naming another owner's job does not leak it either
    leaked = api.get("/api/v1/jobs", params={"after": job_id}, headers=bob)
    assert leaked.status_code == 422


@pytest.mark.parametrize(("method", "path"), MATRIX)
def test_anonymous_callers_get_401_and_an_admin_only_key_403(
    api: TestClient, two_owners: tuple[dict[str, str], dict[str, str], str], method: str, path: str
) -> None:
    """The rest of the matrix: no credential, and a key whose only scope is admin (the
    scope-by-endpoint matrix is in test_scopes.py)."""
    alice, _bob, job_id = two_owners
    runtime = api.runtime  # type: ignore[attr-defined]
    admin = create_api_key(runtime, name="ops", scopes=frozenset({"admin"})).secret
    url = path.format(id=job_id)
    assert api.request(method, url).status_code == 401
    refused = api.request(method, url, headers={"Authorization": f"Bearer {admin}"})
    assert refused.status_code == 403, refused.text
    assert api.get(f"/api/v1/jobs/{job_id}", headers=alice).json()["status"] == "completed"
