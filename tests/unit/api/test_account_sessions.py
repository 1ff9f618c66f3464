"""An account's sessions, one by one: listed (newest first, this browser marked) and
ended singly, as a person who lost a phone would do from another browser."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reelvault.accounts.keys import create_api_key

from .test_accounts import EMAIL, PASSWORD, _csrf, _runtime, _signup

OTHER_EMAIL = "grace.hopper@example.org"


def _second_browser(api: TestClient, email: str = EMAIL) -> TestClient:
    other = TestClient(api.app)
    answer = other.post("/api/v1/account/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return other


def test_the_account_lists_its_sessions_and_marks_this_one(api: TestClient) -> None:
    create_api_key(_runtime(api), name="operator")
    _signup(api)
    phone = _second_browser(api)
    listed = api.get("/api/v1/account/sessions")
    assert listed.status_code == 200, listed.text
    sessions = listed.json()
    assert len(sessions) == 2
    assert [item["current"] for item in sessions].count(True) == 1
    from_phone = phone.get("/api/v1/account/sessions").json()
    assert {item["id"] for item in from_phone} == {item["id"] for item in sessions}
    # Each browser sees its own session as the current one.
    assert (
        next(i for i in sessions if i["current"])["id"]
        != next(i for i in from_phone if i["current"])["id"]
    )
    # A handle names a session; it is not the cookie and opens nothing.
    for item in sessions:
        assert item["id"] not in (api.cookies.get("rv_session") or "")


def test_ending_one_session_signs_out_that_browser_only(api: TestClient) -> None:
    create_api_key(_runtime(api), name="operator")
    _signup(api)
    phone = _second_browser(api)
    phone_id = next(i for i in phone.get("/api/v1/account/sessions").json() if i["current"])["id"]
    ended = api.delete(f"/api/v1/account/sessions/{phone_id}", headers=_csrf(api))
    assert ended.status_code == 204, ended.text
    assert phone.get("/api/v1/account").status_code == 401
    assert api.get("/api/v1/account").status_code == 200
    assert [i["id"] for i in api.get("/api/v1/account/sessions").json()] != [phone_id]
    again = api.delete(f"/api/v1/account/sessions/{phone_id}", headers=_csrf(api))
    assert again.status_code == 404


def test_another_accounts_session_is_not_found(api: TestClient) -> None:
    create_api_key(_runtime(api), name="operator")
    _signup(api)
    stranger = TestClient(api.app)
    _signup(stranger, email=OTHER_EMAIL)
    theirs = stranger.get("/api/v1/account/sessions").json()[0]["id"]
    refused = api.delete(f"/api/v1/account/sessions/{theirs}", headers=_csrf(api))
    assert refused.status_code == 404
    assert stranger.get("/api/v1/account").status_code == 200


def test_ending_a_session_needs_the_csrf_token(api: TestClient) -> None:
    create_api_key(_runtime(api), name="operator")
    _signup(api)
    phone = _second_browser(api)
    phone_id = next(i for i in phone.get("/api/v1/account/sessions").json() if i["current"])["id"]
    refused = api.delete(f"/api/v1/account/sessions/{phone_id}")
    assert refused.status_code == 403
    assert phone.get("/api/v1/account").status_code == 200
