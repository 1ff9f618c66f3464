"""``reelvault keys create|list``: scopes, a key for an account, and what list shows."""

from __future__ import annotations

from pathlib import Path

from reelvault.accounts.accounts import get_account
from reelvault.accounts.keys import key_for_secret
from reelvault.app.compose import open_runtime
from reelvault.config import load_settings
from tests.cli_helpers import run_cli


def test_create_with_scopes_for_an_account_and_list(tmp_path: Path) -> None:
    made = run_cli(
        "accounts",
        "create",
        "ada@example.org",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="a long enough password\n",
    )
    assert made.returncode == 0, made.stderr
    account_id = made.stdout.split()[0]
    key = run_cli(
        "keys",
        "create",
        "--name",
        "reader",
        "--scope",
        "videos:read",
        "--scope",
        "privacy",
        "--account",
        account_id,
        data_dir=tmp_path,
    )
    assert key.returncode == 0, key.stderr
    assert f"for account {account_id}, scopes videos:read privacy" in key.stdout
    secret = key.stdout.strip().splitlines()[-1]
    assert secret.startswith("rv-")
    default = run_cli("keys", "create", "--name", "plain", data_dir=tmp_path)
    assert "scopes videos:read videos:write privacy" in default.stdout
    refused = run_cli(
        "keys", "create", "--name", "x", "--scope", "admin", "--account", account_id,
        data_dir=tmp_path,
    )  # fmt: skip
    assert refused.returncode != 0 and "admin accounts" in refused.stderr
    unknown = run_cli("keys", "create", "--name", "x", "--scope", "videos:all", data_dir=tmp_path)
    assert unknown.returncode != 0 and "unknown scope 'videos:all'" in unknown.stderr
    nobody = run_cli("keys", "create", "--name", "x", "--account", "acc_nope", data_dir=tmp_path)
    assert nobody.returncode != 0 and "no account acc_nope" in nobody.stderr
    listed = run_cli("keys", "list", data_dir=tmp_path)
    assert listed.returncode == 0
    assert "scopes videos:read,privacy" in listed.stdout and "never used" in listed.stdout
    assert secret not in listed.stdout
    # The key acts as the account's owner, with its scopes.
    runtime = open_runtime(load_settings(None, data_dir=tmp_path))
    try:
        active = key_for_secret(runtime, secret)
        assert active is not None
        assert active.owner_id == get_account(runtime, account_id).owner_id
        assert active.scopes == {"videos:read", "privacy"}
    finally:
        runtime.close()
    used = run_cli("keys", "list", data_dir=tmp_path)
    assert "last used 20" in used.stdout


def test_help_names_the_scopes(tmp_path: Path) -> None:
    shown = run_cli("keys", "create", "--help", data_dir=tmp_path)
    assert shown.returncode == 0
    for scope in ("videos:read", "videos:write", "privacy", "admin", "--account"):
        assert scope in shown.stdout
