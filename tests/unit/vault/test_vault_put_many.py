"""Storing several small objects at once (the job intake's group commit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelvault.errors import ConflictError, StorageError
from reelvault.types import ObjectId, new_object_id
from reelvault.vault import Vault, _fs
from reelvault.vault.keystore import SUFFIX


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def _separate_ids(count: int) -> list[ObjectId]:
    """Ids that are not the slots of one pack: each object gets its own files."""
    first = new_object_id()
    return [first] + [ObjectId(first[:2] + new_object_id()[2:]) for _ in range(count - 1)]


@pytest.mark.parametrize("packed", [True, False], ids=["one pack", "separate files"])
def test_every_object_of_a_batch_reads_back(vault: Vault, packed: bool) -> None:
    ids = vault.ids_for_batch(4) if packed else _separate_ids(4)
    payloads = [b"", b"x", b"a prompt" * 700, bytes(range(256)) * 40]  # around segment sizes
    stored = vault.put_many_bytes(list(zip(ids, payloads, strict=True)))
    assert [item.object_id for item in stored] == ids
    assert [item.plaintext_size for item in stored] == [len(p) for p in payloads]
    for object_id, payload in zip(ids, payloads, strict=True):
        assert vault.read_bytes(object_id) == payload
        assert vault.exists(object_id)


def test_a_batch_is_the_same_format_as_single_puts(vault: Vault, tmp_path: Path) -> None:
    (batched,) = _separate_ids(1)
    single = new_object_id()
    vault.put_many_bytes([(batched, b"same bytes")])
    vault.put_bytes(b"same bytes", object_id=single)
    blobs = tmp_path / "vault" / "blobs"
    sizes = {path.name: path.stat().st_size for path in _files(blobs)}
    assert sizes[batched] == sizes[single]
    assert oct(_files(blobs)[0].stat().st_mode & 0o777) == "0o600"


def test_duplicate_or_existing_ids_are_refused_before_writing(vault: Vault, tmp_path: Path) -> None:
    taken = new_object_id()
    vault.put_bytes(b"first", object_id=taken)
    before = _files(tmp_path / "vault")
    fresh = new_object_id()
    with pytest.raises(ConflictError, match="twice"):
        vault.put_many_bytes([(fresh, b"a"), (fresh, b"b")])
    with pytest.raises(ConflictError, match="already exists"):
        vault.put_many_bytes([(fresh, b"a"), (taken, b"b")])
    assert _files(tmp_path / "vault") == before
    assert vault.read_bytes(taken) == b"first"


def test_a_failure_while_storing_keys_leaves_nothing(
    vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _fs.atomic_write_many

    def keys_fail(files: list[tuple[Path, bytes]], *, what: str) -> None:
        # Blobs and the first key renamed into place, then the disk fills.
        first_key = next(i for i, (path, _) in enumerate(files) if path.name.endswith(SUFFIX))
        real(files[: first_key + 1], what=what)
        raise StorageError("could not write data key: no space left on device")

    monkeypatch.setattr(_fs, "atomic_write_many", keys_fail)
    ids = _separate_ids(3)
    with pytest.raises(StorageError, match="no space left"):
        vault.put_many_bytes([(object_id, b"secret prompt") for object_id in ids])
    assert _files(tmp_path / "vault") == []


def test_blobs_are_renamed_into_place_before_their_keys(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed: list[str] = []
    real_replace = Path.replace

    def recording_replace(self: Path, target: str | Path) -> Path:
        renamed.append(Path(target).name)
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", recording_replace)
    ids = _separate_ids(3)
    vault.put_many_bytes([(object_id, b"secret prompt") for object_id in ids])
    assert renamed == [*ids, *(object_id + SUFFIX for object_id in ids)]
    assert [vault.read_bytes(object_id) for object_id in ids] == [b"secret prompt"] * 3


def test_atomic_write_many_leaves_no_temp_file_when_a_rename_fails(tmp_path: Path) -> None:
    ok = tmp_path / "ab" / "first"
    blocked = tmp_path / "ab" / "second"
    blocked.mkdir(parents=True)
    (blocked / "occupied").write_bytes(b"x")  # renaming a file over a non-empty dir fails
    with pytest.raises(StorageError, match="could not write blob"):
        _fs.atomic_write_many([(ok, b"one"), (blocked, b"two")], what="blob")
    assert ok.read_bytes() == b"one"  # already in place: the caller removes it
    assert sorted(p.name for p in (tmp_path / "ab").iterdir()) == ["first", "second"]


def test_ids_for_a_batch_share_one_shard(vault: Vault) -> None:
    ids = vault.ids_for_batch(10)
    assert len(set(ids)) == 10
    assert {object_id[:2] for object_id in ids} == {ids[0][:2]}
    assert all(_fs.is_object_id(ObjectId(object_id)) for object_id in ids)
