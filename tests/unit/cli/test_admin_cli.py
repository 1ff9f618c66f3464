"""The admin work on the command line: keys owned by the local operator account,
``reelvault accounts show|disable|grant|quota`` (audit-logged) and resolving a request."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from reelvault.accounts.accounts import account_for_owner
from reelvault.accounts.keys import key_for_secret
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.config import load_settings
from reelvault.privacy import audit_log
from reelvault.types import LOCAL_OWNER
from tests.cli_helpers import run_cli
from tests.unit.api.admin_world import open_request


def test_a_cli_key_belongs_to_the_local_operator_account_and_reaches_admin(
    tmp_path: Path,
) -> None:
    made = run_cli("keys", "create", "--name", "ops", "--scope", "admin", data_dir=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "for the local operator account acc_" in made.stdout
    secret = made.stdout.strip().splitlines()[-1]
    plain = run_cli("keys", "create", "--name", "laptop", data_dir=tmp_path)
    separate = run_cli("keys", "create", "--name", "bot", "--own-owner", data_dir=tmp_path)
    assert "for owner own_" in separate.stdout
    refused = run_cli(
        "keys", "create", "--name", "x", "--own-owner", "--scope", "admin", data_dir=tmp_path
    )
    assert refused.returncode != 0 and "admin accounts" in refused.stderr
    settings = load_settings(None, data_dir=tmp_path)
    runtime = open_runtime(settings)
    try:
        active = key_for_secret(runtime, secret)
        assert active is not None and active.owner_id == LOCAL_OWNER  # the CLI's own jobs
        laptop = key_for_secret(runtime, plain.stdout.strip().splitlines()[-1])
        assert laptop is not None and laptop.owner_id == LOCAL_OWNER
        operator = account_for_owner(runtime, LOCAL_OWNER)
        assert operator is not None and (operator.kind, operator.role) == ("operator", "admin")
        app = create_app(settings, runtime=runtime, worker_mode="none")
        with TestClient(app, base_url="http://127.0.0.1") as api:
            headers = {"Authorization": f"Bearer {secret}"}
            users = api.get("/api/v1/admin/users", headers=headers)
            assert users.status_code == 200, users.text
            assert [user["kind"] for user in users.json()["data"]] == ["operator"]
            laptop_headers = {"Authorization": "Bearer " + plain.stdout.strip().splitlines()[-1]}
            assert api.get("/api/v1/admin/users", headers=laptop_headers).status_code == 403
    finally:
        runtime.close()
    listed = run_cli("accounts", "list", data_dir=tmp_path)
    assert "admin, operator" in listed.stdout


def test_account_changes_on_the_cli_are_audit_logged(tmp_path: Path) -> None:
    made = run_cli(
        "accounts", "create", "grace@example.org", "--password-stdin",
        data_dir=tmp_path, stdin="a long enough password\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    account_id = made.stdout.split()[0]
    assert run_cli("accounts", "disable", account_id, data_dir=tmp_path).returncode == 0
    assert run_cli("accounts", "grant", account_id, "admin", data_dir=tmp_path).returncode == 0
    quota = run_cli(
        "accounts", "quota", account_id, "--set", "concurrent_jobs=3", data_dir=tmp_path
    )
    assert quota.returncode == 0, quota.stderr
    assert "concurrent_jobs=3" in quota.stdout
    shown = run_cli("accounts", "show", account_id, data_dir=tmp_path)
    assert "concurrent_jobs: 3" in shown.stdout and "disabled" in shown.stdout
    assert "grace@" not in shown.stdout
    with_address = run_cli("accounts", "show", account_id, "--email", data_dir=tmp_path)
    assert "email: grace@example.org" in with_address.stdout
    runtime = open_runtime(load_settings(None, data_dir=tmp_path))
    try:
        request_id = open_request(runtime)
    finally:
        runtime.close()
    resolved = run_cli("privacy", "requests", "resolve", request_id, data_dir=tmp_path)
    assert resolved.returncode == 0, resolved.stderr
    again = run_cli("privacy", "requests", "resolve", request_id, data_dir=tmp_path)
    assert again.returncode != 0 and "resolved already" in again.stderr
    runtime = open_runtime(load_settings(None, data_dir=tmp_path))
    try:
        admin = [e for e in audit_log.tail(runtime, 50) if e.action.startswith("admin.")]
    finally:
        runtime.close()
    assert [(e.action, e.actor) for e in admin] == [
        ("admin.account_disabled", "operator"),
        ("admin.role_set", "operator"),
        ("admin.quota_set", "operator"),
        ("admin.address_read", "operator"),
        ("admin.request_resolved", "operator"),
    ]
    assert all(e.fields.get("account", account_id) == account_id for e in admin)
