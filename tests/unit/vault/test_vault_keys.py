"""Key-encryption keys: the key file, the environment key, wrapping."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from reelvault.config import Settings
from reelvault.errors import ConfigError, IntegrityError
from reelvault.vault import (
    EnvKeyring,
    KeyFileKeyring,
    Keyring,
    generate_master_key,
    key_id_for,
    keyring_from_settings,
)

OID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_created_0600_in_0700_dir(tmp_path: Path) -> None:
    path = tmp_path / "data" / "master.key"
    keyring = KeyFileKeyring(path)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    document = json.loads(path.read_text())
    assert document["active"] == keyring.active_id
    assert list(document["keys"]) == [keyring.active_id]
    assert len(base64.b64decode(document["keys"][keyring.active_id])) == 32
    assert not [p for p in path.parent.iterdir() if p.name != "master.key"]  # no temp left


def test_key_file_reused(tmp_path: Path) -> None:
    first = KeyFileKeyring(tmp_path / "master.key")
    second = KeyFileKeyring(tmp_path / "master.key")
    assert first.active_id == second.active_id
    wrapped = first.wrap(b"k" * 32, OID)
    assert second.unwrap(wrapped, OID) == b"k" * 32


@pytest.mark.parametrize("bad_mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_refused_when_group_or_others_can_access(tmp_path: Path, bad_mode: int) -> None:
    path = tmp_path / "master.key"
    KeyFileKeyring(path)
    path.chmod(bad_mode)
    with pytest.raises(ConfigError) as info:
        KeyFileKeyring(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    assert "chmod 600" in message


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"format": "other"}',
        b'{"format": "reelvault-keyring", "version": 1, "active": "x", "keys": {}}',
        b'{"format": "reelvault-keyring", "version": 1, "active": "x", "keys": {"x": "!!"}}',
        b'{"format": "reelvault-keyring", "version": 1, "active": "x", "keys": {"x": "AAAA"}}',
    ],
)
def test_malformed_key_file_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "master.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, content)
    os.close(fd)
    with pytest.raises(ConfigError, match="malformed") as info:
        KeyFileKeyring(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_key_file_id_must_match_key(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    keyring = KeyFileKeyring(path)
    document = json.loads(path.read_text())
    document["keys"] = {"00000000": document["keys"][keyring.active_id]}
    document["active"] = "00000000"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="does not match"):
        KeyFileKeyring(path)


def test_env_keyring() -> None:
    raw = os.urandom(32)
    keyring = EnvKeyring(base64.b64encode(raw).decode())
    assert keyring.active_id == hashlib.sha256(raw).hexdigest()[:8] == key_id_for(raw)
    assert keyring.unwrap(keyring.wrap(b"d" * 32, OID), OID) == b"d" * 32
    assert base64.b64encode(raw).decode() not in repr(keyring)


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_env_key_wrong_length(size: int) -> None:
    with pytest.raises(ConfigError, match="REELVAULT_MASTER_KEY") as info:
        EnvKeyring(base64.b64encode(os.urandom(size)).decode())
    assert info.value.param == "master_key"


def test_env_key_not_base64() -> None:
    with pytest.raises(ConfigError, match="REELVAULT_MASTER_KEY"):
        EnvKeyring("this is not base64 at all!")


def test_env_keyring_cannot_rotate() -> None:
    keyring = EnvKeyring(generate_master_key())
    with pytest.raises(ConfigError, match="key file"):
        keyring.add_active_key()


def test_keyring_from_settings(tmp_path: Path) -> None:
    from_file = keyring_from_settings(Settings(data_dir=tmp_path))
    assert isinstance(from_file, KeyFileKeyring)
    assert (tmp_path / "master.key").is_file()
    from_env = keyring_from_settings(
        Settings(data_dir=tmp_path, master_key=SecretStr(generate_master_key()))
    )
    assert isinstance(from_env, EnvKeyring)


def test_keyring_from_settings_bad_env_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, master_key=SecretStr("c2hvcnQ="))
    with pytest.raises(ConfigError, match="REELVAULT_MASTER_KEY"):
        keyring_from_settings(settings)


def test_unwrap_with_wrong_kek_same_id() -> None:
    right, wrong = os.urandom(32), os.urandom(32)
    wrapped = Keyring({"k1": right}, "k1").wrap(b"d" * 32, OID)
    with pytest.raises(IntegrityError):
        Keyring({"k1": wrong}, "k1").unwrap(wrapped, OID)


def test_unwrap_with_unknown_kek() -> None:
    wrapped = EnvKeyring(generate_master_key()).wrap(b"d" * 32, OID)
    with pytest.raises(IntegrityError, match="does not hold"):
        EnvKeyring(generate_master_key()).unwrap(wrapped, OID)


def test_unwrap_under_another_object_id() -> None:
    keyring = EnvKeyring(generate_master_key())
    wrapped = keyring.wrap(b"d" * 32, OID)
    with pytest.raises(IntegrityError):
        keyring.unwrap(wrapped, OTHER)


def test_rotation_in_key_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    keyring = KeyFileKeyring(path)
    old = keyring.active_id
    wrapped = keyring.wrap(b"d" * 32, OID)
    new = keyring.add_active_key()
    assert new != old
    assert set(json.loads(path.read_text())["keys"]) == {old, new}
    assert keyring.unwrap(wrapped, OID) == b"d" * 32  # old key still usable mid-rotation
    assert keyring.retire_inactive_keys() == (old,)
    assert set(json.loads(path.read_text())["keys"]) == {new}
    assert mode(path) == 0o600
    with pytest.raises(IntegrityError):
        keyring.unwrap(wrapped, OID)


def test_keyring_picks_up_rotation_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    mine, theirs = KeyFileKeyring(path), KeyFileKeyring(path)
    theirs.add_active_key()
    wrapped = theirs.wrap(b"d" * 32, OID)
    assert mine.unwrap(wrapped, OID) == b"d" * 32
