"""A server with every kind of caller the admin and account matrices try.

alice and bob are user accounts (alice is the one the admin routes act on), ada is an
admin account. Each caller is a set of request headers (a key) or cookies (a session).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

import reelvault.accounts.passwords as passwords
from reelvault.accounts.accounts import (
    EMAIL_LOOKUP_SECRET,
    AccountInfo,
    create_account,
    set_disabled,
    set_role,
)
from reelvault.accounts.keys import create_api_key
from reelvault.accounts.scopes import ADMIN, ALL_SCOPES, USER_SCOPES
from reelvault.db.dsr_models import DataSubjectRequest
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.types import DataClass

PASSWORD = "correct horse battery"

# Every admin endpoint: (method, path, JSON body, what an admin gets). ``{account}`` is
# alice's account id, ``{request}`` an open data-subject request, ``{report}`` no report.
ADMIN_ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, int]] = [
    ("GET", "/api/v1/admin/users", None, 200),
    ("GET", "/api/v1/admin/users/{account}", None, 200),
    ("PATCH", "/api/v1/admin/users/{account}", {"disabled": True}, 200),
    ("PUT", "/api/v1/admin/users/{account}/quota", {"concurrent_jobs": 2}, 200),
    ("GET", "/api/v1/admin/requests", None, 200),
    ("POST", "/api/v1/admin/requests/{request}/resolve", None, 200),
    ("GET", "/api/v1/admin/engines", None, 200),
    ("GET", "/api/v1/admin/reports", None, 200),
    ("POST", "/api/v1/admin/reports/{report}/resolve", {"remove": False}, 404),
    ("GET", "/api/v1/admin/audit/verify", None, 200),
]


@dataclass(frozen=True)
class As:
    """One caller: bearer headers, or a browser session's cookies (with its CSRF token)."""

    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def call(self, api: TestClient, method: str, url: str, body: Any = None) -> Any:
        api.cookies.clear()
        headers = dict(self.headers)
        for name, value in self.cookies.items():
            api.cookies.set(name, value)
        if "rv_csrf" in self.cookies:
            headers["X-CSRF-Token"] = self.cookies["rv_csrf"]
        try:
            return api.request(method, url, json=body, headers=headers)
        finally:
            api.cookies.clear()


def bearer(secret: str) -> As:
    return As(headers={"Authorization": f"Bearer {secret}"})


def signed_in(api: TestClient, email: str) -> As:
    api.cookies.clear()
    answer = api.post("/api/v1/account/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    cookies = {name: api.cookies.get(name) or "" for name in ("rv_session", "rv_csrf")}
    api.cookies.clear()
    return As(cookies=cookies)


@dataclass
class World:
    runtime: Runtime
    alice: AccountInfo
    bob: AccountInfo
    ada: AccountInfo
    alice_key_id: str
    request_id: str
    callers: dict[str, As]


def _account(runtime: Runtime, email: str, role: str = "user") -> AccountInfo:
    return create_account(
        runtime,
        get_secret(runtime, EMAIL_LOOKUP_SECRET),
        email=email,
        password=PASSWORD,
        age_confirmed=True,
        role=role,
    )


def open_request(runtime: Runtime) -> str:
    """A data-subject request waiting for an answer (as if recorded by the operator)."""
    now = runtime.clock()
    row = DataSubjectRequest(
        id="dsr_" + secrets.token_hex(10),
        kind="access",
        channel="operator",
        status="awaiting_verification",
        result={},
        policy_version=runtime.policy.version_hash,
        created_at=now,
        due_at=now + timedelta(days=30),
        data_class=DataClass.DATA_SUBJECT_REQUEST.value,
    )
    with runtime.session() as session:
        session.add(row)
    return row.id


def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its smallest cost: these tests are about who may do what, and a
    world of five accounts at the production cost takes seconds on a busy machine."""
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    monkeypatch.setattr(passwords, "hasher", lambda: weak)


def build_world(api: TestClient) -> World:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    alice = _account(runtime, "alice@example.org")
    bob = _account(runtime, "bob@example.org")
    ada = _account(runtime, "ada@example.org", role="admin")
    carol = _account(runtime, "carol@example.org", role="admin")
    dave = _account(runtime, "dave@example.org", role="admin")
    alice_key = create_api_key(runtime, name="alice", owner_id=alice.owner_id)

    def key(owner_id: str | None, scopes: frozenset[str]) -> As:
        return bearer(create_api_key(runtime, name="k", owner_id=owner_id, scopes=scopes).secret)

    callers = {
        "anonymous": As(),
        # the account the admin routes act on, with every scope a user can have
        "owner": bearer(alice_key.secret),
        "owner_session": signed_in(api, "alice@example.org"),
        "other_user": key(bob.owner_id, USER_SCOPES),
        "other_user_session": signed_in(api, "bob@example.org"),
        # an admin's key made without the admin scope
        "other_scope": key(ada.owner_id, USER_SCOPES),
        # the admin scope, but its owner has no account (an old CLI key): not an admin
        "admin_scope_no_account": key(None, frozenset({ADMIN})),
        # an admin who lost the role, or whose account is disabled, after making the key
        "demoted_admin": key(carol.owner_id, frozenset(ALL_SCOPES)),
        "disabled_admin": key(dave.owner_id, frozenset(ALL_SCOPES)),
        "admin": key(ada.owner_id, frozenset(ALL_SCOPES)),
        "admin_session": signed_in(api, "ada@example.org"),
    }
    set_role(runtime, carol.id, "user")
    set_disabled(runtime, dave.id, True)
    return World(
        runtime=runtime,
        alice=alice,
        bob=bob,
        ada=ada,
        alice_key_id=alice_key.id,
        request_id=open_request(runtime),
        callers=callers,
    )


__all__ = [
    "ADMIN_ENDPOINTS",
    "PASSWORD",
    "As",
    "World",
    "bearer",
    "build_world",
    "cheap_passwords",
    "open_request",
    "signed_in",
]
