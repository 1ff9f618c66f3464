"""Finding 2 (issue 15): anyone got a working studio session while keys existed.

On a server with API keys, ``GET /`` and ``POST /api/v1/studio/session`` hand out no
working anonymous session unless the ``anonymous_sessions`` setting allows it. A user
pastes an operator-issued key once instead: it is exchanged for a session cookie acting
as the key's owner, which ends when the key is revoked. Where anonymous sessions are
allowed, new sessions and job submissions are also limited per network address (a
keyed hash of it, never the address itself), so minting sessions does not escape limits.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key, revoke_api_key

from .auth_support import FAKE_JOB, auth_app, bearer, browser, csrf_header

SESSION = "/api/v1/studio/session"


def _session_cookie(response: object) -> str | None:
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        if header.startswith("rv_session="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


def test_a_keyed_server_hands_out_no_working_anonymous_session(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (client, runtime):
        create_api_key(runtime, name="operator")
        page = client.get("/")
        assert page.status_code == 200  # the studio loads, and asks for a key
        asked = client.post(SESSION)
        assert asked.status_code == 401
        assert asked.json()["error"]["code"] == "unauthorized"
        # Whatever cookies the browser holds now, they create nothing.
        created = client.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(client))
        assert created.status_code == 401
        secret = client.post("/api/v1/webhook-secret", headers=csrf_header(client))
        assert secret.status_code == 401


def test_a_session_from_before_the_first_key_stops_working(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (client, runtime):
        client.get("/")  # keyless mode: an anonymous session, as before
        ok = client.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(client))
        assert ok.status_code == 201
        create_api_key(runtime, name="operator")
        late = client.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(client))
        assert late.status_code == 401
        assert client.get("/api/v1/jobs").status_code == 401


def test_a_pasted_key_becomes_a_session_that_ends_with_the_key(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (client, runtime):
        key = create_api_key(runtime, name="alice")
        exchanged = client.post(SESSION, headers=bearer(key.secret))
        assert exchanged.status_code == 200, exchanged.text
        assert exchanged.json()["credential"] == "api_key"
        assert exchanged.headers["cache-control"] == "no-store"
        assert _session_cookie(exchanged)
        assert key.secret not in exchanged.text  # the key is not echoed or stored in a cookie
        assert all(key.secret not in c for c in exchanged.headers.get_list("set-cookie"))
        # The browser now acts as the key's owner (with its CSRF token) ...
        made = client.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(client))
        assert made.status_code == 201, made.text
        mine = client.get("/api/v1/jobs", headers=bearer(key.secret)).json()["data"]
        assert [job["id"] for job in mine] == [made.json()["id"]]
        kept = client.post(SESSION, headers=csrf_header(client))
        assert kept.status_code == 200 and _session_cookie(kept) is None  # kept, not replaced
        # ... until the key is revoked.
        revoke_api_key(runtime, key.id)
        assert client.get("/api/v1/jobs").status_code == 401
        assert client.post(SESSION, headers=csrf_header(client)).status_code == 401


def test_a_wrong_key_is_refused_at_the_exchange(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (client, runtime):
        create_api_key(runtime, name="operator")
        refused = client.post(SESSION, headers=bearer("rv-not-a-key"))
        assert refused.status_code == 401
        assert not refused.headers.get_list("set-cookie")


def test_anonymous_sessions_where_allowed_are_limited_per_address(tmp_path: Path) -> None:
    with auth_app(
        tmp_path,
        client=("203.0.113.7", 40000),
        anonymous_sessions=True,
        anonymous_sessions_per_hour=3,
        anonymous_jobs_per_minute=2,
        rate_limit_per_minute=60,
    ) as (client, runtime):
        create_api_key(runtime, name="operator")
        first = browser(client, address="203.0.113.7")
        assert first.post(SESSION).status_code == 200
        assert first.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(first)).is_success
        assert first.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(first)).is_success
        limited = first.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(first))
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        # A fresh session from the same address is no way around it.
        second = browser(client, address="203.0.113.7")
        assert second.post(SESSION).status_code == 200
        again = second.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(second))
        assert again.status_code == 429
        # Sessions themselves: three an hour from one address, then 429 with Retry-After.
        assert browser(client, address="203.0.113.7").post(SESSION).status_code == 200
        minted = browser(client, address="203.0.113.7").post(SESSION)
        assert minted.status_code == 429
        assert int(minted.headers["retry-after"]) > 60
        page = browser(client, address="203.0.113.7").get("/")
        assert page.status_code == 200 and _session_cookie(page) is None
        # Another address has its own allowance.
        elsewhere = browser(client, address="198.51.100.20")
        assert elsewhere.post(SESSION).status_code == 200
        assert elsewhere.post(
            "/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(elsewhere)
        ).is_success
        # Only keyed hashes name the buckets, never the address.
        ctx = client.app.state.ctx  # type: ignore[attr-defined]
        for limiter in (ctx.address_limits.sessions, ctx.address_limits.jobs):
            assert all(name.startswith("ip_") for name in limiter._buckets)
            assert not any("203.0.113" in name for name in limiter._buckets)


def test_keyed_callers_are_not_limited_per_address(tmp_path: Path) -> None:
    with auth_app(
        tmp_path, anonymous_sessions=True, anonymous_jobs_per_minute=1, rate_limit_per_minute=60
    ) as (client, runtime):
        key = create_api_key(runtime, name="ci")
        for _ in range(3):
            assert client.post("/api/v1/jobs", json=FAKE_JOB, headers=bearer(key.secret)).is_success


def test_forwarded_for_counts_only_behind_a_trusted_proxy(tmp_path: Path) -> None:
    def sessions_from_three_clients(app_client: TestClient) -> list[int]:
        return [
            browser(app_client, address="10.0.0.2")
            .post(SESSION, headers={"X-Forwarded-For": f"192.0.2.{n}"})
            .status_code
            for n in (1, 2, 3)
        ]

    settings = {"anonymous_sessions": True, "anonymous_sessions_per_hour": 1}
    with auth_app(tmp_path / "trusted", trusted_proxies=["10.0.0.0/8"], **settings) as (
        client,
        runtime,
    ):
        create_api_key(runtime, name="operator")
        assert sessions_from_three_clients(client) == [200, 200, 200]
    with auth_app(tmp_path / "untrusted", **settings) as (client, runtime):
        create_api_key(runtime, name="operator")
        # The header is the client's own words here: all three are the proxy's address.
        assert sessions_from_three_clients(client) == [200, 429, 429]
