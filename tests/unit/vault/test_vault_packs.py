"""Small objects stored together in one pack: same encryption, same shredding, one file."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelvault.errors import IntegrityError, KeyNotFoundError, StorageError
from reelvault.types import ObjectId, new_object_id
from reelvault.vault import Vault, _fs
from reelvault.vault.packs import KEY_REGION, LocalPacks, is_pack_sequence, pack_ids

from .conftest import VaultFactory


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def _packs(tmp_path: Path) -> list[Path]:
    return _files(tmp_path / "vault" / "packs")


def _store(vault: Vault, payloads: list[bytes]) -> list[ObjectId]:
    ids = vault.ids_for_batch(len(payloads))
    vault.put_many_bytes(list(zip(ids, payloads, strict=True)))
    return ids


def test_a_batch_is_one_private_file_and_every_object_reads_back(
    vault: Vault, tmp_path: Path
) -> None:
    payloads = [b"", b"a prompt", b"a longer prompt " * 600, bytes(range(256))]
    ids = _store(vault, payloads)
    assert is_pack_sequence(ids)
    (pack,) = _files(tmp_path / "vault")  # no blob files, no key files: just the pack
    assert pack.parent.parent.name == "packs"
    assert oct(pack.stat().st_mode & 0o777) == "0o600"
    assert [vault.read_bytes(object_id) for object_id in ids] == payloads
    assert all(vault.exists(object_id) for object_id in ids)
    assert list(vault.object_ids()) == sorted(ids)
    assert vault.orphans().blobs_without_key == vault.orphans().keys_without_blob == ()
    assert vault.stored_at(ids[0]) == pack.stat().st_mtime
    raw = pack.read_bytes()
    assert b"a prompt" not in raw  # ciphertext only


def test_packed_and_separate_objects_live_side_by_side(vault: Vault) -> None:
    separate = vault.put_bytes(b"an upload").object_id
    packed = _store(vault, [b"prompt one", b"prompt two"])
    assert list(vault.object_ids()) == sorted([separate, *packed])
    assert vault.shred_many([separate, packed[0]]) == 2
    assert list(vault.object_ids()) == [packed[1]]
    assert vault.read_bytes(packed[1]) == b"prompt two"


def test_shredding_zeroes_the_slot_in_place_and_the_last_one_removes_the_pack(
    vault: Vault, tmp_path: Path
) -> None:
    ids = _store(vault, [b"first secret", b"second secret", b"third secret"])
    (pack,) = _packs(tmp_path)
    first_key = _wrapped_keys(pack)[0]  # slot 0 comes first

    assert vault.shred(ids[0])
    assert not vault.shred(ids[0])  # idempotent
    with pytest.raises(KeyNotFoundError):
        vault.read_bytes(ids[0])
    assert not vault.exists(ids[0])
    assert first_key not in _wrapped_keys(pack)  # overwritten with zeros on disk
    assert len(_wrapped_keys(pack)) == 2
    assert vault.read_bytes(ids[1]) == b"second secret"

    assert vault.shred_many(ids[1:]) == 2
    assert _packs(tmp_path) == []
    assert list(vault.object_ids()) == []


def _wrapped_keys(pack: Path) -> list[bytes]:
    """The wrapped keys found in a pack file's bytes, in slot order."""
    raw = pack.read_bytes()
    keys = []
    start = raw.find(b'{"ciphertext"')
    while start != -1:
        document = json.loads(raw[start : start + KEY_REGION])
        keys.append(base64.b64decode(document["ciphertext"]))
        start = raw.find(b'{"ciphertext"', start + 1)
    return keys


def test_rotation_rewraps_packed_keys_in_place_and_never_revives_a_shredded_one(
    vault: Vault, tmp_path: Path, make_vault: VaultFactory
) -> None:
    ids = _store(vault, [b"kept", b"shredded"])
    vault.shred(ids[1])
    old_kek = vault.keyring.active_id
    report = vault.rotate()
    assert report.rewrapped == 1
    assert report.retired_kek_ids == (old_kek,)
    reopened = make_vault(tmp_path)
    assert reopened.read_bytes(ids[0]) == b"kept"
    with pytest.raises(KeyNotFoundError):
        reopened.read_bytes(ids[1])
    packs = LocalPacks(tmp_path / "vault" / "packs")
    assert not packs.replace_key(ids[1], b'{"not": "a key"}')
    assert vault.rotate().rewrapped == 1


def test_a_damaged_pack_is_an_integrity_error_not_a_crash(vault: Vault, tmp_path: Path) -> None:
    ids = _store(vault, [b"one", b"two"])
    (pack,) = _packs(tmp_path)
    raw = bytearray(pack.read_bytes())
    raw[-3] ^= 0x01  # a flipped bit in the last ciphertext
    pack.write_bytes(bytes(raw))
    assert vault.read_bytes(ids[0]) == b"one"
    with pytest.raises(IntegrityError):
        vault.read_bytes(ids[1])
    pack.write_bytes(b"not a pack at all")
    with pytest.raises(IntegrityError, match="malformed"):
        vault.read_bytes(ids[0])


def test_a_pack_with_an_unreadable_slot_table_is_reported_and_shredded_whole(
    vault: Vault, tmp_path: Path
) -> None:
    damaged_ids = _store(vault, [b"one", b"two"])
    intact_ids = _store(vault, [b"three"])
    damaged = LocalPacks(tmp_path / "vault" / "packs").path_for(damaged_ids[0])
    damaged.write_bytes(damaged.read_bytes()[:20])  # the slot table cut short
    assert list(vault.object_ids()) == intact_ids  # iteration goes on past it
    assert not vault.exists(damaged_ids[0])
    report = vault.orphans()
    assert report.damaged_packs == (damaged.name,)
    assert not report.clean
    assert vault.shred(damaged_ids[1])
    assert not damaged.exists()
    assert vault.orphans().clean
    assert vault.read_bytes(intact_ids[0]) == b"three"


def test_a_failed_pack_write_leaves_nothing(
    vault: Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise StorageError("could not write pack: no space left on device")

    monkeypatch.setattr(_fs, "atomic_write_many", full_disk)
    with pytest.raises(StorageError, match="no space left"):
        _store(vault, [b"a", b"b"])
    assert _files(tmp_path / "vault") == []


def test_pack_ids_are_refused_when_the_pack_exists(vault: Vault) -> None:
    ids = _store(vault, [b"a"])
    with pytest.raises(Exception, match="already exist"):
        vault.put_many_bytes([(ids[0], b"again")])


def test_pack_id_sequences() -> None:
    ids = pack_ids(3)
    assert is_pack_sequence(ids)
    assert not is_pack_sequence(ids[1:])  # slots must start at 0
    assert not is_pack_sequence([ids[0], new_object_id()])
    assert not is_pack_sequence([])
    with pytest.raises(ValueError):
        pack_ids(0)
    with pytest.raises(ValueError):
        pack_ids(257)


def test_shredding_every_slot_from_many_threads_removes_the_pack_once(
    vault: Vault, tmp_path: Path
) -> None:
    ids = _store(vault, [f"prompt {n}".encode() for n in range(16)])
    errors: list[BaseException] = []

    def shred(object_id: ObjectId) -> None:
        try:
            vault.shred(object_id)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=shred, args=(object_id,)) for object_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _packs(tmp_path) == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payloads=st.lists(st.binary(max_size=3000), min_size=1, max_size=12), data=st.data())
def test_any_batch_reads_back_and_shreds_slot_by_slot(
    payloads: list[bytes], data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from .conftest import _make_vault

    vault = _make_vault(tmp_path_factory.mktemp("packs"))
    ids = _store(vault, payloads)
    order = data.draw(st.permutations(range(len(ids))))
    for done, index in enumerate(order):
        assert vault.shred(ids[index])
        alive = [n for n in range(len(ids)) if n not in order[: done + 1]]
        assert [vault.read_bytes(ids[n]) for n in alive] == [payloads[n] for n in alive]
    assert list(vault.object_ids()) == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=2000).map(lambda tail: b"RVPACK1\n" + tail),
    ),
    slot=st.integers(min_value=0, max_value=255),
)
def test_any_bytes_in_a_pack_file_give_clear_errors_only(
    body: bytes, slot: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from .conftest import _make_vault

    root = tmp_path_factory.mktemp("fuzz")
    vault = _make_vault(root)
    object_id = ObjectId(pack_ids(1)[0][:-2] + f"{slot:02x}")
    path = LocalPacks(root / "vault" / "packs").path_for(object_id)
    path.parent.mkdir(parents=True)
    path.write_bytes(body)
    with pytest.raises((KeyNotFoundError, IntegrityError)):
        vault.read_bytes(object_id)
    list(vault.object_ids())
    vault.orphans()
    vault.shred(object_id)
    assert not vault.exists(object_id)
