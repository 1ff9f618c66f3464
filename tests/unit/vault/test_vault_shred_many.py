"""``Vault.shred_many``: the batch form of crypto-shredding keeps every guarantee of ``shred``."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.errors import KeyNotFoundError, StorageError
from reelvault.types import ObjectId
from reelvault.vault import Vault


def _blob(root: Path, oid: str) -> Path:
    return root / "vault" / "blobs" / oid[:2] / oid


def _key(root: Path, oid: str) -> Path:
    return root / "vault" / "keys" / oid[:2] / f"{oid}.key"


def test_shred_many_leaves_nothing_and_is_idempotent(vault: Vault, tmp_path: Path) -> None:
    keep = vault.put_bytes(b"keep me")
    gone = [vault.put_bytes(bytes([n]) * 100).object_id for n in range(40)]

    assert vault.shred_many(gone) == 40

    for oid in gone:
        with pytest.raises(KeyNotFoundError):
            vault.open_stream(oid)
        assert not [p for p in tmp_path.rglob("*") if oid in p.name]
    assert list(vault.object_ids()) == [keep.object_id]
    assert vault.read_bytes(keep.object_id) == b"keep me"
    # Again: nothing left to remove, no error.
    assert vault.shred_many(gone) == 0
    assert vault.shred_many([]) == 0


def test_shred_many_skips_bad_ids_and_duplicates(vault: Vault) -> None:
    stored = vault.put_bytes(b"x")
    ids = [stored.object_id, stored.object_id, ObjectId("../../etc/passwd"), ObjectId("AB" * 16)]
    assert vault.shred_many(ids) == 1
    assert not vault.exists(stored.object_id)


def test_shred_many_removes_half_objects(vault: Vault, tmp_path: Path) -> None:
    key_only = vault.put_bytes(b"a").object_id
    blob_only = vault.put_bytes(b"b").object_id
    _blob(tmp_path, key_only).unlink()  # as if a crash had removed only one half
    _key(tmp_path, blob_only).unlink()
    never = ObjectId("0" * 32)

    assert vault.shred_many([key_only, blob_only, never]) == 2
    assert vault.orphans().clean
    assert not _key(tmp_path, key_only).exists()
    assert not _blob(tmp_path, blob_only).exists()


def test_every_key_is_destroyed_before_any_ciphertext(vault: Vault, tmp_path: Path) -> None:
    ids = [vault.put_bytes(bytes([n]) * 10).object_id for n in range(10)]
    # The first ciphertext cannot be removed (a directory stands in its place), so the batch
    # fails on its first blob: by then every key of the batch must already be gone.
    stuck = _blob(tmp_path, ids[0])
    stuck.unlink()
    stuck.mkdir()
    (stuck / "inside").write_bytes(b"")

    with pytest.raises(StorageError):
        vault.shred_many(ids)

    assert not [oid for oid in ids if _key(tmp_path, oid).exists()]
    assert [oid for oid in ids[1:] if _blob(tmp_path, oid).exists()] == ids[1:]
    for oid in ids:
        with pytest.raises(KeyNotFoundError):
            vault.open_stream(oid)
    # Resumable: once the obstacle is gone, the next call removes the ciphertext left.
    (stuck / "inside").unlink()
    stuck.rmdir()
    assert vault.shred_many(ids) == 9
    assert not [p for p in tmp_path.rglob("*") if any(oid in p.name for oid in ids)]


def test_key_files_are_zeroed_not_just_unlinked(vault: Vault, tmp_path: Path) -> None:
    stored = vault.put_bytes(b"secret")
    path = _key(tmp_path, stored.object_id)
    # Keep a second link to the key's inode to see what the shredder left in it.
    witness = tmp_path / "witness"
    witness.hardlink_to(path)
    vault.shred_many([stored.object_id])
    data = witness.read_bytes()
    assert data and set(data) == {0}
