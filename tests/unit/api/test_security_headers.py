"""Security headers on every response: JSON, errors, refusals, files and pages alike;
HSTS only over TLS; cross-origin calls only from the listed origins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.errors import ConfigError
from reelvault.testing import registry_with_fake, settings_for

API_CSP = "default-src 'none'; frame-ancestors 'none'"
PARTNER = "https://app.partner.example"
STRANGER = "https://evil.example"


def _client(tmp_path: Path, base_url: str = "http://testserver", **overrides: Any) -> Any:
    settings = settings_for(tmp_path, **overrides)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="none")
    return TestClient(app, base_url=base_url), runtime


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    client, runtime = _client(tmp_path)
    with client:
        yield client
    runtime.close()


def _hardened(answer: Response) -> None:
    headers = answer.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "server" not in headers


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/api/v1/jobs", 200),
        ("GET", "/api/v1/jobs/job_nope", 404),
        ("GET", "/openapi.json", 200),
        ("POST", "/api/v1/jobs", 422),
        ("GET", "/static/api.js", 200),
    ],
)
def test_api_answers_and_errors_carry_the_headers(
    api: TestClient, method: str, path: str, status: int
) -> None:
    answer = api.request(method, path, json={} if method == "POST" else None)
    assert answer.status_code == status, answer.text
    _hardened(answer)
    assert answer.headers["content-security-policy"] == API_CSP
    assert "strict-transport-security" not in answer.headers  # plain HTTP: never pinned


def test_media_may_load_themselves_and_nothing_else(api: TestClient) -> None:
    icon = api.get("/static/icon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")
    _hardened(icon)
    policy = icon.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and "media-src 'self'" in policy
    assert "script" not in policy


def test_a_refusal_made_before_routing_carries_them_too(api: TestClient) -> None:
    rebound = api.get("/api/v1/jobs", headers={"Host": "evil.example"})
    assert rebound.status_code == 400
    _hardened(rebound)


@pytest.mark.parametrize("path", ["/", "/docs", "/privacy"])
def test_pages_keep_their_own_policy_with_frame_ancestors(api: TestClient, path: str) -> None:
    page = api.get(path)
    assert page.status_code == 200
    _hardened(page)
    policy = page.headers["content-security-policy"]
    assert policy != API_CSP  # the page's own policy (scripts and styles from this origin)
    assert policy.count("frame-ancestors") == 1


def test_hsts_only_over_tls(tmp_path: Path) -> None:
    client, runtime = _client(tmp_path / "tls", base_url="https://testserver")
    with client:
        assert client.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"
    runtime.close()
    # Behind a TLS-terminating proxy, public_base_url says so.
    client, runtime = _client(
        tmp_path / "proxy", public_base_url="https://video.example", allowed_hosts=["testserver"]
    )
    with client:
        assert "strict-transport-security" in client.get("/").headers
    runtime.close()


def _preflight(client: TestClient, origin: str) -> Response:
    return client.options(
        "/api/v1/jobs",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_without_an_allow_list_no_origin_gets_cors(api: TestClient) -> None:
    preflight = _preflight(api, PARTNER)
    assert preflight.status_code == 405
    assert not [name for name in preflight.headers if name.startswith("access-control-")]
    simple = api.get("/api/v1/jobs", headers={"Origin": PARTNER})
    assert not [name for name in simple.headers if name.startswith("access-control-")]


@pytest.fixture
def partnered(tmp_path: Path) -> Iterator[TestClient]:
    client, runtime = _client(tmp_path, cors_allow_origins=[PARTNER])
    with client:
        client.headers["Authorization"] = "Bearer " + create_api_key(runtime, name="app").secret
        yield client
    runtime.close()


def test_a_listed_origin_is_answered_with_credentials(partnered: TestClient) -> None:
    preflight = _preflight(partnered, PARTNER)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PARTNER
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    jobs = partnered.get("/api/v1/jobs", headers={"Origin": PARTNER})
    assert jobs.status_code == 200
    assert jobs.headers["access-control-allow-origin"] == PARTNER
    assert jobs.headers["access-control-allow-credentials"] == "true"
    _hardened(jobs)


def test_an_unlisted_origin_gets_no_cors_header_at_all(partnered: TestClient) -> None:
    preflight = _preflight(partnered, STRANGER)
    assert preflight.status_code == 403
    assert not [name for name in preflight.headers if name.startswith("access-control-")]
    simple = partnered.get("/api/v1/jobs", headers={"Origin": STRANGER})
    assert not [name for name in simple.headers if name.startswith("access-control-")]
    assert "Origin" in simple.headers["vary"]


@pytest.mark.parametrize(
    "origin", ["*", "https://*.partner.example", "https://app.partner.example/path", "app.io"]
)
def test_the_allow_list_takes_exact_origins_only(tmp_path: Path, origin: str) -> None:
    with pytest.raises(ConfigError, match="cors_allow_origins"):
        settings_for(tmp_path, cors_allow_origins=[origin])
