"""The operator's switch: with ``accounts_enabled`` off, nobody can make or open an
account (the routes answer 404, as if absent), and the studio config says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.accounts.accounts import EMAIL_LOOKUP_SECRET, create_account
from reelvault.privacy.secret_store import get_secret

from .conftest import make_client

EMAIL = "ada@example.org"
PASSWORD = "correct horse battery"
ROUTES = [
    ("/api/v1/account/signup", {"email": EMAIL, "password": PASSWORD, "age_confirmed": True}),
    ("/api/v1/account/login", {"email": EMAIL, "password": PASSWORD}),
    ("/api/v1/account/password-reset", {"email": EMAIL}),
    ("/api/v1/account/password-reset/confirm", {"token": "x" * 43, "password": PASSWORD}),
]


@pytest.mark.parametrize("enabled", [True, False])
def test_accounts_off_refuses_sign_up_sign_in_and_reset(tmp_path: Path, enabled: bool) -> None:
    client, runtime = make_client(
        tmp_path,
        accounts_enabled=enabled,
        smtp_host="127.0.0.1",
        smtp_port=9,  # nothing listens: no mail goes out, the reset still answers
        smtp_from="accounts@video.example",
        public_base_url="http://testserver",
    )
    with client:
        # An account made before the switch went off (by the CLI, say) cannot sign in.
        create_account(
            runtime,
            get_secret(runtime, EMAIL_LOOKUP_SECRET),
            email="old@example.org",
            password=PASSWORD,
            age_confirmed=True,
        )
        config = client.get("/api/v1/studio/config").json()["accounts"]
        assert config["enabled"] is enabled
        assert config["providers"] == []
        assert [s["name"] for s in config["key_scopes"]] == [
            "videos:read",
            "videos:write",
            "privacy",
            "admin",
        ]
        for path, body in ROUTES:
            client.cookies.clear()  # a browser without a session each time (no CSRF token)
            answer = client.post(path, json=body)
            if enabled:
                assert answer.status_code != 404, path
            else:
                assert answer.status_code == 404, path
                assert (
                    answer.json()["error"]["message"] == "sign-in accounts are off on this server"
                )
        client.cookies.clear()
        old = client.post(
            "/api/v1/account/login", json={"email": "old@example.org", "password": PASSWORD}
        )
        assert old.status_code == (200 if enabled else 404)
    runtime.close()


@pytest.mark.parametrize(
    "path", ["/account", "/account/signup", "/account/login", "/account/password-reset",
             "/account/verify-email"],
)  # fmt: skip
def test_account_pages_are_served_with_the_strict_policy(tmp_path: Path, path: str) -> None:
    client, runtime = make_client(tmp_path)
    with client:
        page = client.get(path)
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script>" not in page.text and "style=" not in page.text
    runtime.close()
