"""``reelvault serve`` refuses to expose an unauthenticated service beyond loopback."""

from __future__ import annotations

from pathlib import Path

from reelvault.cli.serve import is_loopback
from tests.cli_helpers import run_cli


def test_public_bind_without_keys_is_refused(tmp_path: Path) -> None:
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "8999", data_dir=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0 without API keys" in result.stderr
    assert "Traceback" not in result.stderr


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    created = run_cli("keys", "create", "--name", "ci bot", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("rv-") and len(secret) > 30
    listed = run_cli("keys", "list", data_dir=tmp_path)
    assert "ci bot" in listed.stdout
    assert secret not in listed.stdout  # never shown again
    key_id = listed.stdout.split()[0]
    assert run_cli("keys", "revoke", key_id, data_dir=tmp_path).returncode == 0
    assert "revoked" in run_cli("keys", "list", data_dir=tmp_path).stdout


def test_loopback_detection() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert not is_loopback("example.org")
