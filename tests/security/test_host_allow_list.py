"""Finding 3 (issue 15): DNS rebinding against a keyless loopback server.

After a rebind, a page on evil.example talks to 127.0.0.1 with ``Host: evil.example``
and ``Origin: http://evil.example``: both headers are the attacker's and agree with
each other. The server answers only to names on its allow-list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelvault.app.factory import create_app
from reelvault.http.hosts import HostAllowList
from reelvault.jobs.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for

JOB = {"engine": "fake", "prompt": "a lantern", "size": "64x48", "fps": 8, "seconds": 1}
EVIL = {"Host": "evil.example"}


def _client(tmp_path: Path, base_url: str, **overrides: Any) -> Iterator[TestClient]:
    settings = settings_for(tmp_path, **overrides)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="none")
    with TestClient(app, base_url=base_url) as client:
        yield client
    runtime.close()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[TestClient]:
    """A keyless server on loopback, as `make run` starts it (no test host allowed)."""
    yield from _client(tmp_path, "http://127.0.0.1:8000", allowed_hosts=[])


@pytest.mark.parametrize(
    "path", ["/api/v1/jobs", "/api/v1/privacy/export", "/api/v1/privacy/access", "/"]
)
def test_a_rebound_name_cannot_read_the_local_owner(local: TestClient, path: str) -> None:
    assert local.get(path).status_code == 200  # the local owner, on its own name
    refused = local.get(path, headers=EVIL)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_host"
    assert refused.json()["error"]["param"] == "host"
    assert "evil.example" not in refused.text  # the client's text is not echoed
    assert "set-cookie" not in refused.headers  # no studio session handed out either


def test_a_forged_origin_with_a_matching_host_cannot_change_state(local: TestClient) -> None:
    forged = {"Host": "evil.example", "Origin": "http://evil.example"}
    refused = local.post("/api/v1/jobs", json=JOB, headers=forged)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_host"
    # Nor does an allowed Host help a page of another origin: Origin is judged by the list.
    cross = local.post("/api/v1/jobs", json=JOB, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert local.get("/api/v1/jobs").json()["data"] == []


def test_the_openai_surface_answers_in_its_own_error_shape(local: TestClient) -> None:
    refused = local.get("/v1/videos", headers=EVIL)
    assert refused.status_code == 400
    assert refused.json()["error"]["type"] == "invalid_request_error"
    assert refused.json()["error"]["code"] == "invalid_host"


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_loopback_names_are_allowed_by_default(local: TestClient, host: str) -> None:
    assert local.get("/api/v1/jobs", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["", "evil.example:8000", "127.0.0.1.evil.example", "a b"])
def test_other_or_malformed_hosts_are_refused(local: TestClient, host: str) -> None:
    assert local.get("/api/v1/jobs", headers={"Host": host}).status_code == 400


def test_probes_answer_whatever_the_host(local: TestClient) -> None:
    assert local.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


def test_the_default_list_does_not_include_the_test_client(tmp_path: Path) -> None:
    allow = HostAllowList.from_settings(settings_for(tmp_path, allowed_hosts=[]))
    assert not allow.allows("testserver")
    assert allow.allows("testserver") is False and allow.allows("localhost")


def test_public_url_bind_address_and_setting_extend_the_list(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path,
        host="192.168.1.5",
        public_base_url="https://video.example.com",
        allowed_hosts=["studio.example.org", "*.example.net"],
    )
    allow = HostAllowList.from_settings(settings)
    for host in (
        "video.example.com",
        "192.168.1.5:8000",
        "studio.example.org",
        "cdn.example.net",
    ):
        assert allow.allows(host), host
    assert not allow.allows("example.net")
    assert not allow.allows("evil.example")
    wildcard = HostAllowList.from_settings(settings_for(tmp_path, host="0.0.0.0"))
    assert not wildcard.allows("0.0.0.0")


def test_allowed_hosts_takes_names_not_urls(tmp_path: Path) -> None:
    from reelvault.errors import ConfigError

    with pytest.raises(ConfigError, match="allowed_hosts"):
        settings_for(tmp_path, allowed_hosts=["https://video.example.com/"])


def test_a_proxied_page_of_the_public_origin_is_same_site(tmp_path: Path) -> None:
    """Behind a proxy that forwards its own Host, the page's Origin is the public URL."""
    for client in _client(
        tmp_path,
        "http://127.0.0.1:8000",
        allowed_hosts=[],
        public_base_url="https://video.example.com",
    ):
        page = {"Origin": "https://video.example.com"}
        assert client.post("/api/v1/jobs", json=JOB, headers=page).status_code == 201
        other_port = {"Host": "localhost:8000", "Origin": "http://localhost:3000"}
        assert client.post("/api/v1/jobs", json=JOB, headers=other_port).status_code == 403
        same = {"Host": "localhost:8000", "Origin": "http://localhost:8000"}
        assert client.post("/api/v1/jobs", json=JOB, headers=same).status_code == 201
