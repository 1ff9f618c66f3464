"""The studio's pages, security headers, cookies, config endpoint and CSRF dependency."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from reelvault.app.factory import create_app
from reelvault.jobs.owners import create_api_key
from reelvault.jobs.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from reelvault.web.csrf import CSRF_COOKIE, CSRF_HEADER, csrf_protect
from reelvault.web.routes import PAGES_DIR, STATIC_DIR


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_for(tmp_path)
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="none")

    def changed() -> dict[str, bool]:
        return {"changed": True}

    app.add_api_route(
        "/test/change", changed, methods=["POST"], dependencies=[Depends(csrf_protect)]
    )
    with TestClient(app, base_url="http://127.0.0.1:8000") as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client
    runtime.close()


@pytest.mark.parametrize("path", ["/", "/privacy-centre"])
def test_pages_carry_a_strict_policy_and_start_a_session(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("rv_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    csrf = next(c for c in cookies if c.startswith("rv_csrf="))
    assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
    # No inline script or style anywhere: everything comes from /static.
    assert "<script>" not in response.text and "style=" not in response.text


def test_the_session_is_kept_and_https_cookies_are_secure(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, allowed_hosts=["studio.example"])
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    app = create_app(settings, runtime=runtime, worker_mode="none")
    with TestClient(app, base_url="https://studio.example") as https:
        first = https.get("/")
        assert first.status_code == 200
        assert all("Secure" in c for c in first.headers.get_list("set-cookie"))
        again = https.get("/")  # the client sends the cookies back
        assert again.headers.get_list("set-cookie") == []
    runtime.close()


def test_each_browser_is_its_own_owner(client: TestClient) -> None:
    client.get("/")
    created = client.post(
        "/api/v1/jobs",
        json={"engine": "fake", "prompt": "x", "size": "64x48", "fps": 8, "seconds": 1},
        headers={CSRF_HEADER: client.cookies[CSRF_COOKIE]},
    )
    assert created.status_code == 201
    assert len(client.get("/api/v1/jobs").json()["data"]) == 1
    client.cookies.clear()  # another browser: the local owner sees nothing of it
    assert client.get("/api/v1/jobs").json()["data"] == []


def test_csrf_token_required_with_the_session_cookie(client: TestClient) -> None:
    client.get("/")
    refused = client.post("/test/change")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    wrong = client.post("/test/change", headers={CSRF_HEADER: "not-the-token"})
    assert wrong.status_code == 403
    token = client.cookies[CSRF_COOKIE]
    assert client.post("/test/change", headers={CSRF_HEADER: token}).json() == {"changed": True}


def test_bearer_keys_are_exempt_and_cross_site_keyless_calls_refused(
    client: TestClient,
) -> None:
    # No cookie, no key (local owner): same-origin and non-browser calls pass...
    assert client.post("/test/change").status_code == 200
    assert client.post("/test/change", headers={"Origin": "http://127.0.0.1:8000"}).is_success
    # ...but another site cannot use the keyless local owner through a browser.
    evil = client.post("/test/change", headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    assert client.post("/test/change", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    key = create_api_key(client.runtime, name="t").secret  # type: ignore[attr-defined]
    client.get("/")  # cookies present, but a key needs no token
    keyed = client.post(
        "/test/change",
        headers={"Authorization": f"Bearer {key}", "Origin": "https://evil.example"},
    )
    assert keyed.status_code == 200


def test_studio_config_states_the_policy(client: TestClient) -> None:
    config = client.get("/api/v1/studio/config").json()
    assert config["policy"] == "ephemeral" and config["ephemeral"] is True
    assert config["output_retention_text"] == "1 hour"
    assert config["gallery_note"].startswith("Nothing is kept beyond the download window")
    assert config["minimum_age"] == 13
    assert config["consent_banner"] is False
    settings = client.runtime.settings  # type: ignore[attr-defined]
    assert config["uploads"]["max_image_bytes"] == settings.max_image_bytes
    assert config["uploads"]["max_video_bytes"] == settings.max_video_bytes
    assert "image/jpeg" in config["uploads"]["image_types"]


def test_library_policy_keeps_videos_until_deleted(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, policy="library")
    runtime = Runtime.open(settings, registry=registry_with_fake(settings))
    with TestClient(create_app(settings, runtime=runtime, worker_mode="none")) as library:
        config = library.get("/api/v1/studio/config").json()
    runtime.close()
    assert config["ephemeral"] is False
    assert config["gallery_note"] == "Your videos are kept here until you delete them."


def test_static_files_ship_and_reference_nothing_outside(client: TestClient) -> None:
    for name in ("studio.js", "privacy-centre.js", "studio.css", "api.js", "icon.svg"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
    assert "javascript" in client.get("/static/studio.js").headers["content-type"]
    for path in [*STATIC_DIR.iterdir(), *PAGES_DIR.iterdir()]:
        if path.is_dir():
            # Vendored Swagger UI (its licences name URLs); tests/security/test_docs_assets.py
            # checks in a browser that /docs requests nothing from another origin.
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("http://", "https://", "//cdn", "fonts.googleapis"):
            if needle == "http://" and 'xmlns="http://www.w3.org' in text:
                continue
            assert needle not in text, f"{path.name} mentions {needle}"


def test_one_click_unsubscribe_is_not_blocked_by_csrf(tmp_path: Path) -> None:
    """RFC 8058: mail clients and the form on the link's page post without a CSRF header."""
    from reelvault.app.factory import create_app
    from reelvault.jobs.runtime import Runtime
    from reelvault.testing import settings_for

    settings = settings_for(tmp_path)
    runtime = Runtime.open(settings)
    try:
        with TestClient(create_app(settings, runtime=runtime, worker_mode="none")) as client:
            client.get("/")  # a browser session cookie is now set, as for a studio user
            assert client.cookies.get("rv_session")
            response = client.post("/api/v1/privacy/notify/unsubscribe?token=unknown-token")
            assert response.status_code != 403, response.text
            blocked = client.post("/api/v1/privacy/erase")
            assert blocked.status_code == 403  # other state changes still need the header
    finally:
        runtime.close()
