"""The Vault facade on real files: round trips, shredding, rotation, atomicity, audits."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from reelvault.config import Settings
from reelvault.errors import (
    ConfigError,
    ConflictError,
    IntegrityError,
    KeyNotFoundError,
    ObjectNotFoundError,
    StorageError,
    ValidationError,
)
from reelvault.types import ObjectId, new_object_id
from reelvault.vault import (
    EnvKeyring,
    KeyFileKeyring,
    LocalBlobStore,
    LocalKeyStore,
    StoredObject,
    Vault,
    generate_master_key,
)
from reelvault.vault.aead import HEADER_SIZE, TAG_SIZE

SEG = 4096
VaultFactory = Callable[..., Vault]


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def blob_path(root: Path, oid: str) -> Path:
    return root / "vault" / "blobs" / oid[:2] / oid


def key_path(root: Path, oid: str) -> Path:
    return root / "vault" / "keys" / oid[:2] / f"{oid}.key"


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 5 * SEG + 3])
def test_round_trip(vault: Vault, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    stored = vault.put_bytes(data)
    assert stored.plaintext_size == size
    segments = max(1, -(-size // SEG))
    assert stored.stored_size == HEADER_SIZE + size + segments * TAG_SIZE
    assert blob_path(tmp_path, stored.object_id).stat().st_size == stored.stored_size
    assert vault.read_bytes(stored.object_id) == data
    assert b"".join(vault.open_stream(stored.object_id)) == data
    assert vault.exists(stored.object_id)


def test_put_file_and_write_to(vault: Vault, tmp_path: Path) -> None:
    source = tmp_path / "in.mp4"
    data = os.urandom(3 * SEG + 11)
    source.write_bytes(data)
    stored = vault.put_file(source)
    target = tmp_path / "out" / "copy.mp4"
    assert vault.write_to(stored.object_id, target) == len(data)
    assert target.read_bytes() == data
    assert [p.name for p in target.parent.iterdir()] == ["copy.mp4"]


def test_explicit_object_id(vault: Vault) -> None:
    oid = new_object_id()
    assert vault.put_bytes(b"abc", object_id=oid) == StoredObject(oid, 3, HEADER_SIZE + 3 + 16)
    with pytest.raises(ConflictError):
        vault.put_bytes(b"again", object_id=oid)
    assert vault.read_bytes(oid) == b"abc"


@pytest.mark.parametrize(
    "bad", ["", "../../etc/passwd", "ABCDEF0123456789ABCDEF0123456789", "a" * 31]
)
def test_invalid_object_ids(vault: Vault, bad: str) -> None:
    oid = ObjectId(bad)
    with pytest.raises(ValidationError):
        vault.put_bytes(b"x", object_id=oid)
    with pytest.raises(ObjectNotFoundError):
        vault.open_stream(oid)
    assert not vault.exists(oid)
    assert vault.shred(oid) is False


def test_unknown_object(vault: Vault) -> None:
    with pytest.raises(KeyNotFoundError):
        vault.open_stream(new_object_id())


def test_missing_blob(vault: Vault, tmp_path: Path) -> None:
    stored = vault.put_bytes(b"data")
    blob_path(tmp_path, stored.object_id).unlink()
    with pytest.raises(ObjectNotFoundError):
        vault.open_stream(stored.object_id)
    assert not vault.exists(stored.object_id)


# --- shredding ----------------------------------------------------------------------------


def test_shred(vault: Vault, tmp_path: Path) -> None:
    keep = vault.put_bytes(b"keep me")
    stored = vault.put_bytes(os.urandom(2 * SEG))
    assert vault.shred(stored.object_id) is True
    with pytest.raises(KeyNotFoundError):
        vault.open_stream(stored.object_id)
    assert not [p for p in tmp_path.rglob("*") if stored.object_id in p.name]
    assert vault.shred(stored.object_id) is False
    assert not vault.exists(stored.object_id)
    assert list(vault.object_ids()) == [keep.object_id]
    assert vault.read_bytes(keep.object_id) == b"keep me"


def test_shred_removes_half_objects(vault: Vault, tmp_path: Path) -> None:
    stored = vault.put_bytes(b"x")
    key_path(tmp_path, stored.object_id).unlink()  # as if a crash had removed only the key
    assert vault.shred(stored.object_id) is True
    assert not blob_path(tmp_path, stored.object_id).exists()


# --- rotation -----------------------------------------------------------------------------


def test_rotate(vault: Vault, tmp_path: Path, make_vault: VaultFactory) -> None:
    objects = {vault.put_bytes(os.urandom(n)).object_id: n for n in (0, 10, SEG + 1)}
    contents = {oid: vault.read_bytes(oid) for oid in objects}
    blobs_before = {oid: blob_path(tmp_path, oid).read_bytes() for oid in objects}
    old_id = vault.keyring.active_id

    report = vault.rotate()

    assert report.rewrapped == 3
    assert report.failed == ()
    assert report.retired_kek_ids == (old_id,)
    key_file = json.loads((tmp_path / "master.key").read_text())
    assert set(key_file["keys"]) == {report.new_kek_id} != {old_id}
    assert key_file["active"] == report.new_kek_id
    for oid in objects:
        assert blob_path(tmp_path, oid).read_bytes() == blobs_before[oid]
        assert json.loads(key_path(tmp_path, oid).read_text())["kek_id"] == report.new_kek_id
        assert vault.read_bytes(oid) == contents[oid]
    reopened = make_vault(tmp_path)
    for oid in objects:
        assert reopened.read_bytes(oid) == contents[oid]
    again = vault.rotate()
    assert again.rewrapped == 3


def test_rotate_keeps_old_keys_when_a_rewrap_fails(vault: Vault, tmp_path: Path) -> None:
    good = vault.put_bytes(b"good")
    bad = vault.put_bytes(b"bad")
    other = vault.put_bytes(b"other")
    shutil.copyfile(key_path(tmp_path, other.object_id), key_path(tmp_path, bad.object_id))
    old_id = vault.keyring.active_id
    report = vault.rotate()
    assert report.failed == (bad.object_id,)
    assert report.retired_kek_ids == ()
    assert old_id in json.loads((tmp_path / "master.key").read_text())["keys"]
    assert vault.read_bytes(good.object_id) == b"good"


def test_rotate_with_env_key_is_refused(tmp_path: Path) -> None:
    vault = Vault(
        blobs=LocalBlobStore(tmp_path / "blobs"),
        keys=LocalKeyStore(tmp_path / "keys"),
        keyring=EnvKeyring(generate_master_key()),
    )
    vault.put_bytes(b"x")
    with pytest.raises(ConfigError, match="key file"):
        vault.rotate()


# --- tampering at the vault level ---------------------------------------------------------


def test_wrong_kek(vault: Vault, tmp_path: Path) -> None:
    stored = vault.put_bytes(b"data" * 100)
    stranger = Vault(
        blobs=LocalBlobStore(tmp_path / "vault" / "blobs"),
        keys=LocalKeyStore(tmp_path / "vault" / "keys"),
        keyring=KeyFileKeyring(tmp_path / "other.key"),
    )
    with pytest.raises(IntegrityError):
        stranger.read_bytes(stored.object_id)


def test_object_copied_under_another_id(vault: Vault, tmp_path: Path) -> None:
    stored = vault.put_bytes(b"moved content")
    moved = new_object_id()
    for source, target in [
        (blob_path(tmp_path, stored.object_id), blob_path(tmp_path, moved)),
        (key_path(tmp_path, stored.object_id), key_path(tmp_path, moved)),
    ]:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    assert vault.exists(moved)
    with pytest.raises(IntegrityError):
        vault.read_bytes(moved)


def test_blob_swapped_between_objects(vault: Vault, tmp_path: Path) -> None:
    a = vault.put_bytes(b"a" * 100)
    b = vault.put_bytes(b"b" * 100)
    shutil.copyfile(blob_path(tmp_path, a.object_id), blob_path(tmp_path, b.object_id))
    with pytest.raises(IntegrityError):
        vault.read_bytes(b.object_id)


def test_tampered_blob_write_to_leaves_nothing(vault: Vault, tmp_path: Path) -> None:
    stored = vault.put_bytes(os.urandom(3 * SEG))
    path = blob_path(tmp_path, stored.object_id)
    data = bytearray(path.read_bytes())
    data[-5] ^= 1
    path.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(IntegrityError):
        vault.write_to(stored.object_id, out / "video.mp4")
    assert list(out.iterdir()) == []


def test_corrupt_key_file(vault: Vault, tmp_path: Path) -> None:
    stored = vault.put_bytes(b"x")
    key_path(tmp_path, stored.object_id).write_text("{}")
    with pytest.raises(IntegrityError):
        vault.read_bytes(stored.object_id)


# --- nothing in the clear, nothing half-written -------------------------------------------


def test_no_plaintext_on_disk(tmp_path: Path) -> None:
    vault = Vault.from_settings(Settings(data_dir=tmp_path))
    needle = b"SECRET PROMPT"
    mp4 = b"\x00\x00\x00\x18ftypmp42"
    stored = vault.put_bytes(mp4 + b"\x00" * 8 + b"a dancing cat, " + needle + b" " * 40)
    vault.put_bytes(needle * 1000)
    assert vault.read_bytes(stored.object_id).startswith(mp4)
    files = files_under(tmp_path)
    assert any(p.parent.parent.name == "blobs" for p in files)
    for path in files:
        content = path.read_bytes()
        assert needle not in content, path
        assert mp4 not in content, path
        assert b"ftyp" not in content, path


def test_from_settings_layout(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, vault_segment_size=8192)
    vault = Vault.from_settings(settings)
    stored = vault.put_bytes(os.urandom(8192 * 2))
    assert stored.stored_size == HEADER_SIZE + 8192 * 2 + 2 * TAG_SIZE
    assert blob_path(tmp_path, stored.object_id).is_file()
    assert key_path(tmp_path, stored.object_id).is_file()
    assert (tmp_path / "master.key").is_file()
    env = Vault.from_settings(
        Settings(data_dir=tmp_path / "env", master_key=SecretStr(generate_master_key()))
    )
    assert env.read_bytes(env.put_bytes(b"x").object_id) == b"x"
    assert not (tmp_path / "env" / "master.key").exists()


def test_failing_source_leaves_nothing(vault: Vault, tmp_path: Path) -> None:
    vault.put_bytes(b"before")
    before = files_under(tmp_path)

    def chunks() -> Iterator[bytes]:
        yield os.urandom(SEG * 3)
        raise RuntimeError("upload interrupted")

    with pytest.raises(RuntimeError, match="upload interrupted"):
        vault.put_stream(chunks())
    assert files_under(tmp_path) == before
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_unwritable_store_is_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    vault = Vault(
        blobs=LocalBlobStore(blocker / "blobs"),
        keys=LocalKeyStore(tmp_path / "keys"),
        keyring=KeyFileKeyring(tmp_path / "master.key"),
    )
    with pytest.raises(StorageError):
        vault.put_bytes(b"x")
    assert not (tmp_path / "keys").exists()


def test_key_write_failure_removes_blob(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    vault = Vault(
        blobs=LocalBlobStore(tmp_path / "blobs"),
        keys=LocalKeyStore(blocker / "keys"),
        keyring=KeyFileKeyring(tmp_path / "master.key"),
    )
    with pytest.raises(StorageError):
        vault.put_bytes(b"x")
    assert list(LocalBlobStore(tmp_path / "blobs").ids()) == []


# --- audits -------------------------------------------------------------------------------


def test_orphans(vault: Vault, tmp_path: Path) -> None:
    whole = vault.put_bytes(b"whole")
    no_key = vault.put_bytes(b"no key")
    no_blob = vault.put_bytes(b"no blob")
    key_path(tmp_path, no_key.object_id).unlink()
    blob_path(tmp_path, no_blob.object_id).unlink()
    (blob_path(tmp_path, whole.object_id).parent / f".{whole.object_id}.abc.tmp").write_bytes(b"")
    report = vault.orphans()
    assert report.blobs_without_key == (no_key.object_id,)
    assert report.keys_without_blob == (no_blob.object_id,)
    assert not report.clean
    assert list(vault.object_ids()) == [whole.object_id]
    # An orphan blob left by a crash does not block a retry under the same id.
    assert vault.put_bytes(b"retry", object_id=no_key.object_id).plaintext_size == 5
    assert vault.read_bytes(no_key.object_id) == b"retry"


def test_blob_store(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    oid = new_object_id()
    assert not store.exists(oid)
    assert store.delete(oid) is False
    with pytest.raises(ObjectNotFoundError):
        store.open_read(oid)
    with pytest.raises(ObjectNotFoundError):
        store.size(oid)
    with store.open_write(oid) as sink:
        sink.write(b"cipher")
        sink.write(memoryview(b"text"))
    assert store.size(oid) == 10
    with store.open_read(oid) as handle:
        assert handle.read() == b"ciphertext"
    assert list(store.ids()) == [oid]
    assert oct((tmp_path / oid[:2] / oid).stat().st_mode & 0o777) == "0o600"
    assert store.delete(oid) is True
    assert list(store.ids()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_disk_full_is_storage_error(tmp_path: Path) -> None:
    from reelvault.vault.stores.local import _FileSink

    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        with pytest.raises(StorageError, match="no space left on device"):
            _FileSink(fd, tmp_path).write(b"x" * 4096)
    finally:
        os.close(fd)
