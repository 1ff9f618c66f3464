"""API-key scopes: every route that acts for a caller needs its scope, and a key without
it gets 403 ``insufficient_scope`` (the matrix below: endpoint by key scope → status)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from reelvault.accounts.keys import create_api_key
from reelvault.accounts.owners import new_owner
from reelvault.accounts.scopes import ALL_SCOPES, PRIVACY, VIDEOS_READ, VIDEOS_WRITE
from reelvault.http.deps import current_owner
from reelvault.runtime import Runtime

from .admin_world import ADMIN_ENDPOINTS
from .conftest import FAKE_JOB, wait_for

READ, WRITE = VIDEOS_READ, VIDEOS_WRITE

# (method, path, JSON body, the scope it needs, the status a key with that scope gets)
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, str, int]] = [
    ("POST", "/api/v1/jobs", FAKE_JOB, WRITE, 201),
    ("GET", "/api/v1/jobs", None, READ, 200),
    ("GET", "/api/v1/jobs/{id}", None, READ, 200),
    ("GET", "/api/v1/jobs/{id}/content", None, READ, 200),
    ("GET", "/api/v1/jobs/{id}/events", None, READ, 200),
    ("GET", "/api/v1/jobs/{id}/words", None, READ, 404),  # the fake engine reports no words
    ("POST", "/api/v1/engines/procedural/words", {"prompt": "a fox"}, READ, 200),
    ("POST", "/api/v1/jobs/{id}/cancel", None, WRITE, 409),  # it has completed
    ("DELETE", "/api/v1/jobs/{id}", None, WRITE, 200),
    ("POST", "/api/v1/webhook-secret", None, WRITE, 200),
    ("POST", "/v1/videos", {"prompt": "a paper boat", "size": "96x64", "seconds": 1}, WRITE, 200),
    ("GET", "/v1/videos", None, READ, 200),
    ("GET", "/v1/videos/{id}", None, READ, 200),
    ("GET", "/v1/videos/{id}/content", None, READ, 200),
    ("DELETE", "/v1/videos/{id}", None, WRITE, 200),
    ("POST", "/v1/videos/{id}/remix", {"prompt": "again"}, WRITE, 400),  # fake cannot remix
    ("POST", "/api/v1/jobs/{id}/remix", {"prompt": "again"}, WRITE, 400),
    ("POST", "/api/v1/jobs/{id}/edit", {"prompt": "again"}, WRITE, 400),
    ("POST", "/api/v1/jobs/{id}/extend", {"prompt": "on", "seconds": 1}, WRITE, 400),
    ("POST", "/v1/videos/edits", {"prompt": "x", "video": {"id": "{id}"}}, WRITE, 400),
    (
        "POST",
        "/v1/videos/extensions",
        {"prompt": "x", "seconds": "4", "video": {"id": "{id}"}},
        WRITE,
        400,
    ),
    ("POST", "/api/v1/provenance/verify", None, READ, 422),  # no file sent
    ("POST", "/api/v1/characters", {"name": "x"}, WRITE, 422),  # not multipart
    ("GET", "/api/v1/characters", None, READ, 200),
    ("GET", "/api/v1/characters/{id}", None, READ, 404),  # a job's id is no character's
    ("DELETE", "/api/v1/characters/{id}", None, WRITE, 404),
    ("POST", "/v1/videos/characters", {"name": "x"}, WRITE, 400),  # OpenAI: 400
    ("GET", "/v1/videos/characters/{id}", None, READ, 404),
    ("GET", "/api/v1/privacy/consents", None, PRIVACY, 200),
    ("PUT", "/api/v1/privacy/consents/analytics", {"granted": False}, PRIVACY, 200),
    ("GET", "/api/v1/privacy/access", None, PRIVACY, 200),
    ("GET", "/api/v1/privacy/export", None, PRIVACY, 200),
    ("POST", "/api/v1/privacy/erase", None, PRIVACY, 200),
    ("POST", "/api/v1/privacy/restrict", {"restricted": True}, PRIVACY, 200),
    ("POST", "/api/v1/privacy/object", None, PRIVACY, 200),
    ("POST", "/api/v1/privacy/age", {"over_minimum_age": True}, PRIVACY, 200),
    ("POST", "/api/v1/privacy/notify", {"email": "a@example.org"}, PRIVACY, 409),  # no SMTP
    ("GET", "/api/v1/account", None, PRIVACY, 404),  # the key's owner has no account
    ("DELETE", "/api/v1/account", None, PRIVACY, 404),
    ("PATCH", "/api/v1/account", {"display_name": "Ada"}, PRIVACY, 404),
    ("GET", "/api/v1/account/sessions", None, PRIVACY, 404),
    ("DELETE", "/api/v1/account/sessions/{id}", None, PRIVACY, 404),
    ("GET", "/api/v1/account/usage", None, READ, 200),  # plans and usage go with videos
    ("POST", "/api/v1/reports", {"job_id": "job_none", "reason": "other"}, WRITE, 404),
]

# Routes that act for a caller but take no scope, and why.
NO_SCOPE = {
    # Managed only from a browser signed in to the account: keys never manage keys.
    ("POST", "/api/v1/account/keys"),
    ("GET", "/api/v1/account/keys"),
    ("DELETE", "/api/v1/account/keys/{key_id}"),
    # A new confirmation link is mailed only to a browser signed in to the account.
    ("POST", "/api/v1/account/verify-email/send"),
    # Plans are bought and managed only from a browser signed in to the account.
    ("POST", "/api/v1/billing/checkout"),
    ("POST", "/api/v1/billing/portal"),
}


def _runtime(api: TestClient) -> Runtime:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    return runtime


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _calls(dependant: Dependant) -> list[Any]:
    found = [dependant.call]
    for sub in dependant.dependencies:
        found += _calls(sub)
    return found


def _api_routes(routes: list[BaseRoute]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # an included router (FastAPI >= 0.130)
            found += _api_routes(route.original_router.routes)
    return found


def _route_scopes(app: FastAPI) -> dict[tuple[str, str], set[str]]:
    """Each route that identifies its caller → the scopes its dependencies require."""
    routes: dict[tuple[str, str], set[str]] = {}
    for route in _api_routes(app.routes):
        calls = _calls(route.dependant)
        if current_owner not in calls:
            continue
        scopes = {c.required_scope for c in calls if hasattr(c, "required_scope")}
        for method in route.methods - {"HEAD"}:
            routes[(method, route.path)] = scopes
    return routes


def _template(path: str) -> str:
    """The route's path as declared: ``/v1/videos/{video_id}`` for ``/v1/videos/{id}``."""
    if "/sessions/" in path:
        return path.replace("{id}", "{session_id}")
    if "/characters/" in path:
        return path.replace("{id}", "{character_id}")
    path = path.replace("{id}", "{video_id}" if path.startswith("/v1/") else "{job_id}")
    path = path.replace("/engines/procedural/", "/engines/{name}/")
    return path.replace("/consents/analytics", "/consents/{purpose}")


def test_every_route_that_acts_for_a_caller_names_its_scope(api: TestClient) -> None:
    """A new route without a scope fails here: it would be open to every key."""
    found = _route_scopes(api.app)  # type: ignore[arg-type]
    expected = {(method, _template(path)): {scope} for method, path, _b, scope, _s in ENDPOINTS}
    expected |= {route: set() for route in NO_SCOPE}
    # The admin routes need the admin scope and an admin account: test_admin_matrix.py.
    expected |= {
        (
            method,
            path.replace("{account}", "{account_id}")
            .replace("{request}", "{request_id}")
            .replace("{report}", "{report_id}"),
        ): {"admin"}
        for method, path, _b, _s in ADMIN_ENDPOINTS
    }
    assert found == expected


@pytest.mark.parametrize(
    ("method", "path", "body", "scope", "status"),
    ENDPOINTS,
    ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS],
)
def test_a_key_without_the_scope_is_refused_and_one_with_it_is_not(
    api: TestClient, method: str, path: str, body: dict[str, Any] | None, scope: str, status: int
) -> None:
    runtime = _runtime(api)
    owner = new_owner(runtime, "api_key")
    keys = {
        name: create_api_key(runtime, name=name, owner_id=owner, scopes=frozenset({name})).secret
        for name in ALL_SCOPES
    }
    everything = create_api_key(
        runtime, name="all", owner_id=owner, scopes=frozenset(ALL_SCOPES)
    ).secret
    job = api.post("/api/v1/jobs", json=FAKE_JOB, headers=_bearer(everything))
    assert job.status_code == 201, job.text
    wait_for(api, job.json()["id"], headers=_bearer(everything))
    url = path.format(id=job.json()["id"])
    if body is not None:  # a body may name the job too (the video to extend or edit)
        body = json.loads(json.dumps(body).replace("{id}", job.json()["id"]))
    # Every other scope first (a refusal changes nothing), the right one last.
    for held in sorted(ALL_SCOPES, key=lambda name: name == scope):
        answer = api.request(method, url, json=body, headers=_bearer(keys[held]))
        if held == scope:
            assert answer.status_code == status, (held, answer.text)
            continue
        assert answer.status_code == 403, (held, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "insufficient_scope"
        assert scope in error["message"]
        assert answer.headers["www-authenticate"] == (
            f'Bearer error="insufficient_scope", scope="{scope}"'
        )


def test_a_key_without_the_scope_hears_403_before_any_job_is_looked_up(
    api: TestClient,
) -> None:
    """The same 403 for another owner's job and for no job: the refusal leaks no ids."""
    runtime = _runtime(api)
    alice = _bearer(create_api_key(runtime, name="alice").secret)
    job = api.post("/api/v1/jobs", json=FAKE_JOB, headers=alice).json()
    reader = _bearer(create_api_key(runtime, name="bob", scopes=frozenset({READ})).secret)
    for job_id in (job["id"], "job_does_not_exist"):
        answer = api.delete(f"/api/v1/jobs/{job_id}", headers=reader)
        assert answer.status_code == 403, answer.text
        assert job_id not in answer.text
    assert api.get(f"/api/v1/jobs/{job['id']}", headers=reader).status_code == 404
