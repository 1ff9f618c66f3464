"""A page on another site cannot sign a browser in or out, or delete its account.

Forms post ``application/x-www-form-urlencoded`` or ``text/plain`` (which can carry a
JSON-looking body) with the browser's cookies where SameSite lets them through; a
script can use ``fetch`` with ``credentials: "include"``. Each attempt below is what the
browser would send; none may change anything.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from .test_accounts import EMAIL, PASSWORD, _signup, locked  # noqa: F401 (a fixture)

CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
SIBLING = {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.video.example"}
OLD_BROWSER = {"Origin": "https://evil.example"}  # no Fetch Metadata, but an Origin


def _form_bodies() -> list[tuple[str, str]]:
    credentials = {"email": EMAIL, "password": PASSWORD}
    return [
        ("text/plain", json.dumps(credentials)),
        ("application/json", json.dumps(credentials)),  # fetch(), no-cors would not do
        ("application/x-www-form-urlencoded", f"email={EMAIL}&password={PASSWORD}"),
    ]


def test_another_site_cannot_sign_a_browser_in(locked: TestClient) -> None:  # noqa: F811
    _signup(locked)
    for headers in (CROSS_SITE, SIBLING, OLD_BROWSER):
        for content_type, body in _form_bodies():
            victim = TestClient(locked.app)
            answer = victim.post(
                "/api/v1/account/login",
                content=body,
                headers={**headers, "Content-Type": content_type},
            )
            assert answer.status_code == 403, (headers, content_type, answer.text)
            assert "set-cookie" not in answer.headers


def test_another_site_cannot_sign_out_or_delete_the_account(locked: TestClient) -> None:  # noqa: F811
    _signup(locked)
    for headers in (CROSS_SITE, SIBLING, OLD_BROWSER, {}):
        # The session cookie goes along (as it would under SameSite=None or from a
        # sibling site); the CSRF token cannot: another origin cannot read it.
        assert locked.post("/api/v1/account/logout", headers=headers).status_code == 403
        assert (
            locked.post("/api/v1/account/logout?everywhere=true", headers=headers).status_code
            == 403
        )
        assert locked.delete("/api/v1/account", headers=headers).status_code == 403
        planted = {**headers, "X-CSRF-Token": "forged"}
        assert locked.delete("/api/v1/account", headers=planted).status_code == 403
    assert locked.get("/api/v1/account").status_code == 200  # still signed in, still there
