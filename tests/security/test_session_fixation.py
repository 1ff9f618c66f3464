"""Finding 9 (issue 15): a planted ``rv_session`` cookie was accepted as-is.

The server adopts no session id it did not issue, issues a new id whenever a session is
created or raised to a key's owner, uses the ``__Host-`` cookie prefix over TLS, and binds
the CSRF token to the session, so a token planted from another session does not validate.
"""

from __future__ import annotations

from pathlib import Path

from reelvault.accounts.keys import create_api_key

from .auth_support import FAKE_JOB, auth_app, bearer, browser, csrf_header


def _set_cookies(response: object) -> dict[str, str]:
    """name -> the whole Set-Cookie line."""
    lines = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {line.split("=", 1)[0]: line for line in lines}


def _value(line: str) -> str:
    return line.split(";", 1)[0].split("=", 1)[1]


def test_a_planted_session_id_is_never_adopted(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (client, _runtime):
        client.cookies.set("rv_session", "attacker-chosen-value")
        page = client.get("/")
        issued = _value(_set_cookies(page)["rv_session"])
        assert issued != "attacker-chosen-value"
        # The planted value names no session: it gets no owner of its own.
        planted = browser(client)
        planted.cookies.set("rv_session", "attacker-chosen-value")
        planted.post("/api/v1/jobs", json=FAKE_JOB)  # keyless mode: the local owner's job
        assert client.get("/api/v1/jobs").json()["data"] == []


def test_a_csrf_token_from_another_session_does_not_validate(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (victim, _runtime):
        attacker = browser(victim)
        attacker.get("/")
        victim.get("/")
        # The attacker plants their own (valid, double-submit-consistent) token in the
        # victim's browser, and a forged request echoes it.
        planted = attacker.cookies["rv_csrf"]
        assert planted != victim.cookies["rv_csrf"]
        session = victim.cookies["rv_session"]
        victim.cookies.clear()
        victim.cookies.set("rv_session", session)
        victim.cookies.set("rv_csrf", planted)
        forged = victim.post("/api/v1/jobs", json=FAKE_JOB, headers={"X-CSRF-Token": planted})
        assert forged.status_code == 403
        assert forged.json()["error"]["param"] == "csrf"
        # The studio's next page load puts the right token back.
        renewed = _set_cookies(victim.get("/"))
        assert "rv_session" not in renewed  # the session was fine: kept
        victim.cookies.clear()
        victim.cookies.set("rv_session", session)
        victim.cookies.set("rv_csrf", _value(renewed["rv_csrf"]))
        assert victim.cookies["rv_csrf"] != planted
        good = victim.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(victim))
        assert good.status_code == 201, good.text


def test_cookies_over_tls_carry_the_host_prefix(tmp_path: Path) -> None:
    with auth_app(
        tmp_path, base_url="https://studio.example", allowed_hosts=["studio.example"]
    ) as (client, _runtime):
        cookies = _set_cookies(client.get("/"))
        assert set(cookies) == {"__Host-rv_session", "__Host-rv_csrf"}
        for line in cookies.values():
            attributes = line.lower()
            assert "secure" in attributes and "path=/" in attributes
            assert "domain=" not in attributes
        made = client.post(
            "/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(client, "__Host-rv_csrf")
        )
        assert made.status_code == 201, made.text


def test_over_tls_a_cookie_without_the_prefix_is_ignored(tmp_path: Path) -> None:
    """A sibling subdomain can set ``rv_session`` for the parent domain, not ``__Host-``."""
    with auth_app(
        tmp_path, base_url="https://studio.example", allowed_hosts=["studio.example"]
    ) as (victim, runtime):
        create_api_key(runtime, name="operator")
        attacker_key = create_api_key(runtime, name="attacker")
        attacker = browser(victim)
        attacker.post("/api/v1/studio/session", headers=bearer(attacker_key.secret))
        token = attacker.cookies["__Host-rv_session"]
        victim.cookies.set("rv_session", token)  # planted under the unprefixed name
        assert victim.get("/api/v1/jobs").status_code == 401


def test_a_public_https_url_turns_the_prefix_on_behind_a_proxy(tmp_path: Path) -> None:
    with auth_app(tmp_path, public_base_url="https://studio.example") as (client, _runtime):
        assert set(_set_cookies(client.get("/"))) == {"__Host-rv_session", "__Host-rv_csrf"}


def test_exchanging_a_key_issues_a_new_session_id(tmp_path: Path) -> None:
    with auth_app(tmp_path, anonymous_sessions=True) as (client, runtime):
        key = create_api_key(runtime, name="alice")
        client.post("/api/v1/studio/session")
        anonymous = client.cookies["rv_session"]
        # An attacker who knows the anonymous id (planted earlier) ...
        attacker = browser(client)
        attacker.cookies.set("rv_session", anonymous)
        raised = client.post("/api/v1/studio/session", headers=bearer(key.secret))
        assert raised.status_code == 200
        assert client.cookies["rv_session"] != anonymous
        # ... holds nothing once the victim pasted their key: the old id is gone.
        assert attacker.get("/api/v1/jobs").status_code == 401
        made = client.post("/api/v1/jobs", json=FAKE_JOB, headers=csrf_header(client))
        assert made.status_code == 201
        assert client.get("/api/v1/jobs", headers=bearer(key.secret)).json()["data"]


def test_a_new_session_always_comes_with_a_new_csrf_token(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (client, _runtime):
        client.get("/")
        first = client.cookies["rv_csrf"]
        client.cookies.delete("rv_session")
        cookies = _set_cookies(client.get("/"))
        assert "rv_session" in cookies and _value(cookies["rv_csrf"]) != first
