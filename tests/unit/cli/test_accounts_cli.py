"""``reelvault accounts``: the operator makes, lists, disables and grants accounts; the
list never shows an address, and the password is never a command-line argument."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import run_cli


def test_create_list_disable_and_grant(tmp_path: Path) -> None:
    made = run_cli(
        "accounts",
        "create",
        "Ada@Example.org",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="a long enough password\n",
    )
    assert made.returncode == 0, made.stderr
    account_id = made.stdout.split()[0]
    assert account_id.startswith("acc_") and "user" in made.stdout
    again = run_cli(
        "accounts",
        "create",
        "ada@example.org",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="another long password\n",
    )
    assert again.returncode != 0 and "exists" in again.stderr
    short = run_cli(
        "accounts",
        "create",
        "bob@example.org",
        "--password-stdin",
        data_dir=tmp_path,
        stdin="short\n",
    )
    assert short.returncode != 0 and "at least 12 characters" in short.stderr
    assert run_cli("accounts", "disable", account_id, data_dir=tmp_path).returncode == 0
    assert run_cli("accounts", "grant", account_id, "admin", data_dir=tmp_path).returncode == 0
    listed = run_cli("accounts", "list", data_dir=tmp_path)
    assert listed.returncode == 0
    assert account_id in listed.stdout and "admin" in listed.stdout and "disabled" in listed.stdout
    assert "ada" not in listed.stdout.lower() and "example" not in listed.stdout.lower()
    wrong_role = run_cli("accounts", "grant", account_id, "root", data_dir=tmp_path)
    assert wrong_role.returncode != 0 and "role must be one of" in wrong_role.stderr
