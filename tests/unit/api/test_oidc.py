"""Sign-in with OpenID Connect, against a real local provider (tests/oidc_provider.py).

Each refusal is checked from the outside: the answer a browser gets, and that nobody is
signed in and nothing is linked or created afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from reelvault.accounts.accounts import mark_email_verified
from reelvault.accounts.keys import create_api_key
from reelvault.accounts.oidc.discovery import forget_cached
from reelvault.accounts.oidc.identities import link_identity
from reelvault.db.models import Account
from reelvault.db.oidc_models import OidcIdentity, OidcLogin
from reelvault.errors import ConflictError
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, LocalProvider, running_provider
from tests.storage_backends import database_holds

from .conftest import make_client

NAME = "local"
EMAIL = "jane.doe@example.org"


@pytest.fixture
def provider() -> Iterator[LocalProvider]:
    forget_cached()  # a port of an earlier test's provider may come back with other keys
    with running_provider() as running:
        yield running
    forget_cached()


@pytest.fixture
def web(tmp_path: Path, provider: LocalProvider) -> Iterator[TestClient]:
    """The app with the local provider configured, out of keyless mode."""
    providers = {
        NAME: {
            "issuer": provider.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "display_name": "Local provider",
        }
    }
    client, runtime = make_client(tmp_path, oidc_providers=providers)
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        create_api_key(runtime, name="operator")
        yield client
    runtime.close()


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    return runtime


def _csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies.get("rv_csrf") or ""}


def _start(client: TestClient, *, age_confirmed: bool = True) -> httpx.Response:
    params = {"age_confirmed": "true"} if age_confirmed else {}
    answer = client.get(f"/auth/oidc/{NAME}/login", params=params, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return answer


def _at_provider(start: httpx.Response) -> str:
    """Follow the redirect to the provider (it consents at once): the callback path."""
    back = httpx.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["location"])
    assert parts.path == f"/auth/oidc/{NAME}/callback"
    return f"{parts.path}?{parts.query}"


def _callback(client: TestClient, path: str) -> httpx.Response:
    return client.get(path, follow_redirects=False)


def _sign_in(client: TestClient, *, age_confirmed: bool = True) -> httpx.Response:
    return _callback(client, _at_provider(_start(client, age_confirmed=age_confirmed)))


def _count(client: TestClient, model: type[Account] | type[OidcIdentity]) -> int:
    with _runtime(client).session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _signed_in(client: TestClient) -> bool:
    return client.get("/api/v1/account").status_code == 200


def test_full_sign_in_makes_a_verified_account_and_signs_in(
    web: TestClient, provider: LocalProvider
) -> None:
    assert not _signed_in(web)
    start = _start(web)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["client_id"] == [CLIENT_ID]
    assert "code_verifier" not in query
    assert "httponly" in start.headers["set-cookie"].lower()
    done = _callback(web, _at_provider(start))
    assert done.status_code == 303 and done.headers["location"] == "/"
    me = web.get("/api/v1/account")
    assert me.status_code == 200, me.text
    assert me.json()["email"] == EMAIL and me.json()["email_verified"] is True
    assert me.json()["sign_in_providers"] == [NAME]
    # The subject is kept only as a keyed hash: the database never holds it.
    assert not database_holds(_runtime(web).db, provider.user["sub"].encode())
    # Signing in again finds the same account through its link (no second account).
    first = me.json()["id"]
    web.cookies.clear()
    assert _sign_in(web, age_confirmed=False).status_code == 303
    assert web.get("/api/v1/account").json()["id"] == first
    assert _count(web, Account) == 1 and _count(web, OidcIdentity) == 1


@pytest.mark.parametrize("password", ["!", "", "correct horse battery"])
def test_an_account_made_by_a_provider_has_no_password(web: TestClient, password: str) -> None:
    assert _sign_in(web).status_code == 303
    web.cookies.clear()
    answer = web.post("/api/v1/account/login", json={"email": EMAIL, "password": password})
    assert answer.status_code == 401
    assert not _signed_in(web)


def test_sign_in_gives_a_new_session_id(web: TestClient) -> None:
    web.get("/")  # whatever session the browser holds before
    before = web.cookies.get("rv_session")
    assert _sign_in(web).status_code == 303
    assert web.cookies.get("rv_session") not in (None, before)


@pytest.mark.parametrize("state", [None, "made-up-state"])
def test_a_missing_or_unknown_state_is_refused(
    web: TestClient, provider: LocalProvider, state: str | None
) -> None:
    path = _at_provider(_start(web))
    query = parse_qs(urlsplit(path).query)
    forged = f"/auth/oidc/{NAME}/callback?code={query['code'][0]}"
    answer = _callback(web, forged + (f"&state={state}" if state else ""))
    assert answer.status_code == 400
    assert "start the sign-in again" in answer.json()["error"]["message"]
    assert provider.token_calls == 0  # the code was not even redeemed
    assert not _signed_in(web) and _count(web, Account) == 0


def test_a_state_works_once(web: TestClient, provider: LocalProvider) -> None:
    start = _start(web)
    path = _at_provider(start)
    assert _callback(web, path).status_code == 303
    calls = provider.token_calls
    web.cookies.clear()
    web.cookies.set("rv_oidc", start.cookies["rv_oidc"])  # even with the binding cookie
    again = _callback(web, path)
    assert again.status_code == 400
    assert "already used" in again.json()["error"]["message"]
    assert provider.token_calls == calls  # refused before the code went anywhere
    assert not _signed_in(web)


def test_a_state_from_another_browser_is_refused(web: TestClient) -> None:
    path = _at_provider(_start(web))
    other = TestClient(web.app)  # the same server (its lifespan is web's), another jar
    _start(other)  # a sign-in of its own: it holds a binding cookie, not this one's
    answer = _callback(other, path)
    assert answer.status_code == 400
    assert other.cookies.get("rv_session") is None
    assert _count(web, Account) == 0


def test_a_replayed_code_is_refused(web: TestClient, provider: LocalProvider) -> None:
    first = _at_provider(_start(web))
    code = parse_qs(urlsplit(first).query)["code"][0]
    assert _callback(web, first).status_code == 303
    web.cookies.clear()
    # A fresh, valid state, carrying the code already redeemed: the provider refuses it.
    fresh = _at_provider(_start(web))
    state = parse_qs(urlsplit(fresh).query)["state"][0]
    replay = _callback(web, f"/auth/oidc/{NAME}/callback?state={state}&code={code}")
    assert replay.status_code == 400
    assert "did not accept" in replay.json()["error"]["message"]
    assert not _signed_in(web)


@pytest.mark.parametrize(
    "tamper",
    [
        {"aud": "someone-else"},
        {"aud": "someone-else", "azp": CLIENT_ID},  # only the aud check catches this one
        {"nonce": "a-nonce-of-another-sign-in"},
        {"iss": "http://127.0.0.1:9/other-issuer"},
        {"exp": int(time.time()) - 3600},
    ],
    ids=["wrong-audience", "wrong-audience-with-azp", "wrong-nonce", "wrong-issuer", "expired"],
)
def test_an_id_token_that_does_not_check_out_is_refused(
    web: TestClient, provider: LocalProvider, tamper: dict[str, object]
) -> None:
    provider.tamper = tamper
    answer = _sign_in(web)
    assert answer.status_code == 400
    assert "did not check out" in answer.json()["error"]["message"]
    assert not _signed_in(web)
    assert _count(web, Account) == 0 and _count(web, OidcIdentity) == 0


def test_an_id_token_signed_with_another_key_is_refused(
    web: TestClient, provider: LocalProvider
) -> None:
    provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"})
    answer = _sign_in(web)
    assert answer.status_code == 400
    assert not _signed_in(web) and _count(web, Account) == 0


def _password_account(client: TestClient, *, verified: bool) -> str:
    password = {"email": EMAIL, "password": "correct horse battery"}
    answer = client.post("/api/v1/account/signup", json={**password, "age_confirmed": True})
    assert answer.status_code == 202, answer.text  # alike for every address: no sign-in
    assert client.post("/api/v1/account/login", json=password).status_code == 200
    account_id: str = client.get("/api/v1/account").json()["id"]
    if verified:
        mark_email_verified(_runtime(client), account_id)
    client.cookies.clear()
    return account_id


def test_an_unverified_provider_address_does_not_link_to_an_account(
    web: TestClient, provider: LocalProvider
) -> None:
    _password_account(web, verified=True)
    provider.user["email_verified"] = False
    answer = _sign_in(web)
    assert answer.status_code == 403
    assert "did not confirm an e-mail address" in answer.json()["error"]["message"]
    assert not _signed_in(web)
    assert _count(web, OidcIdentity) == 0 and _count(web, Account) == 1


def test_an_unverified_local_account_is_not_linked(web: TestClient) -> None:
    _password_account(web, verified=False)
    answer = _sign_in(web)
    assert answer.status_code == 409
    assert "not confirmed yet" in answer.json()["error"]["message"]
    assert not _signed_in(web) and _count(web, OidcIdentity) == 0


def test_verified_on_both_sides_links_to_the_existing_account(web: TestClient) -> None:
    account_id = _password_account(web, verified=True)
    assert _sign_in(web).status_code == 303
    me = web.get("/api/v1/account").json()
    assert me["id"] == account_id and me["sign_in_providers"] == [NAME]
    assert _count(web, Account) == 1 and _count(web, OidcIdentity) == 1


def test_an_unverified_address_makes_no_account(web: TestClient, provider: LocalProvider) -> None:
    provider.user["email_verified"] = "true"  # a string is not a JSON true
    assert _sign_in(web).status_code == 403
    assert _count(web, Account) == 0


def test_a_first_sign_in_needs_the_age_confirmation(web: TestClient) -> None:
    answer = _sign_in(web, age_confirmed=False)
    assert answer.status_code == 400
    assert "confirm your age" in answer.json()["error"]["message"]
    assert _count(web, Account) == 0 and _count(web, OidcIdentity) == 0
    assert _sign_in(web, age_confirmed=True).status_code == 303


def test_deleting_the_account_removes_its_links(web: TestClient) -> None:
    assert _sign_in(web).status_code == 303
    first = web.get("/api/v1/account").json()["id"]
    gone = web.delete("/api/v1/account", headers=_csrf(web))
    assert gone.status_code == 200, gone.text
    assert _count(web, OidcIdentity) == 0
    # The same person signing in again gets a new account, not the erased one back.
    assert _sign_in(web).status_code == 303
    assert web.get("/api/v1/account").json()["id"] != first


def test_logins_under_way_are_single_rows_that_go_when_used(web: TestClient) -> None:
    assert _sign_in(web).status_code == 303
    with _runtime(web).session() as session:
        assert session.scalar(select(func.count()).select_from(OidcLogin)) == 0


def _age_logins(client: TestClient) -> None:
    """Move every sign-in under way past its 10 minutes."""
    runtime = _runtime(client)
    with runtime.session() as session:
        for row in session.scalars(select(OidcLogin)):
            row.expires_at = runtime.clock() - timedelta(seconds=1)


def test_a_sign_in_that_took_too_long_is_refused(web: TestClient, provider: LocalProvider) -> None:
    path = _at_provider(_start(web))
    _age_logins(web)
    answer = _callback(web, path)
    assert answer.status_code == 400 and provider.token_calls == 0
    assert not _signed_in(web)


def test_the_sweeper_removes_abandoned_sign_ins(web: TestClient) -> None:
    _start(web)
    _age_logins(web)
    deadline = time.monotonic() + 30
    while sweep(_runtime(web)).skipped:  # the app's own sweeper holds the lock right now
        assert time.monotonic() < deadline, "the sweep lock was never free"
        time.sleep(0.05)
    with _runtime(web).session() as session:
        assert session.scalar(select(func.count()).select_from(OidcLogin)) == 0


@pytest.mark.parametrize(
    "extra",
    [{"issuer": "http://127.0.0.1:9/someone-else"}, {"padding": "x" * 300_000}],
    ids=["another-issuer", "too-big"],
)
def test_a_discovery_document_that_does_not_fit_is_refused(
    web: TestClient, provider: LocalProvider, extra: dict[str, str]
) -> None:
    provider.discovery_extra = extra
    answer = web.get(f"/auth/oidc/{NAME}/login", follow_redirects=False)
    assert answer.status_code == 503
    assert "did not answer as expected" in answer.json()["error"]["message"]
    with _runtime(web).session() as session:  # nothing was begun
        assert session.scalar(select(func.count()).select_from(OidcLogin)) == 0


def test_an_unreachable_provider_is_503(tmp_path: Path) -> None:
    forget_cached()
    dead = {
        "issuer": "http://127.0.0.1:9",  # the discard port: nothing listens
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "display_name": "Gone",
    }
    client, runtime = make_client(tmp_path, oidc_providers={"gone": dead})
    with client:
        started = time.monotonic()
        answer = client.get("/auth/oidc/gone/login", follow_redirects=False)
        assert answer.status_code == 503 and time.monotonic() - started < 10
    runtime.close()


def test_an_unknown_provider_is_404(web: TestClient) -> None:
    assert web.get("/auth/oidc/nope/login", follow_redirects=False).status_code == 404
    assert web.get("/auth/oidc/nope/callback?state=x&code=y").status_code == 404


def test_the_providers_are_listed_for_the_studio(web: TestClient) -> None:
    listed = web.get("/auth/oidc/providers").json()
    assert listed == [
        {"id": NAME, "display_name": "Local provider", "login_url": f"/auth/oidc/{NAME}/login"}
    ]
    assert CLIENT_SECRET not in web.get("/auth/oidc/providers").text


def test_a_link_made_twice_at_once_is_one_link(web: TestClient) -> None:
    """Two browsers of one person finishing together: the second insert meets the first."""
    assert _sign_in(web).status_code == 303
    runtime = _runtime(web)
    with runtime.session() as session:
        row = session.scalars(select(OidcIdentity)).one()
        digest, account_id = row.subject_hash, row.account_id
    link_identity(runtime, digest, account_id, NAME, runtime.clock())  # the same account: fine
    with pytest.raises(ConflictError):
        link_identity(runtime, digest, "acc_someone_else", NAME, runtime.clock())
    assert _count(web, OidcIdentity) == 1
