"""The BlobStore contract, on the local store and on S3 (a private moto_server)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from reelvault.errors import ObjectNotFoundError, ValidationError
from reelvault.types import new_object_id
from reelvault.vault import BlobStore, LocalBlobStore
from reelvault.vault.stores.s3 import PART_SIZE, S3BlobStore
from tests.s3_server import S3Server

from .s3_stores import s3_store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    server: S3Server = request.getfixturevalue("s3_server")
    return s3_store(server, tmp_path)


def test_lifecycle(store: BlobStore) -> None:
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
    assert store.exists(oid)
    assert store.size(oid) == 10
    with store.open_read(oid) as handle:
        assert handle.read() == b"ciphertext"
    assert list(store.ids()) == [oid]
    assert store.delete(oid) is True
    assert not store.exists(oid)
    assert list(store.ids()) == []


def test_empty_blob(store: BlobStore) -> None:
    oid = new_object_id()
    with store.open_write(oid):
        pass
    assert store.size(oid) == 0
    with store.open_read(oid) as handle:
        assert handle.read() == b""


def test_overwrite_replaces(store: BlobStore) -> None:
    oid = new_object_id()
    for content in (b"first version", b"second"):
        with store.open_write(oid) as sink:
            sink.write(content)
    with store.open_read(oid) as handle:
        assert handle.read() == b"second"


def test_failed_write_leaves_nothing(store: BlobStore) -> None:
    oid = new_object_id()
    with pytest.raises(RuntimeError), store.open_write(oid) as sink:
        sink.write(b"half a blob")
        raise RuntimeError("the source broke")
    assert not store.exists(oid)
    assert list(store.ids()) == []


def test_reads_are_seekable(store: BlobStore) -> None:
    oid = new_object_id()
    data = os.urandom(300_000)
    with store.open_write(oid) as sink:
        sink.write(data)
    with store.open_read(oid) as handle:
        assert handle.read(10) == data[:10]
        handle.seek(200_000)
        assert handle.read(5) == data[200_000:200_005]
        handle.seek(-3, io.SEEK_END)
        assert handle.read() == data[-3:]
        handle.seek(0)
        assert handle.read() == data


def test_write_many_and_ids(store: BlobStore) -> None:
    blobs = [(new_object_id(), os.urandom(100 + index)) for index in range(5)]
    store.write_many(blobs)
    assert sorted(store.ids()) == sorted(oid for oid, _ in blobs)
    for oid, data in blobs:
        with store.open_read(oid) as handle:
            assert handle.read() == data


def test_invalid_ids(store: BlobStore) -> None:
    assert store.exists("../../etc/passwd") is False  # type: ignore[arg-type]
    assert store.delete("nope") is False  # type: ignore[arg-type]
    with pytest.raises(ObjectNotFoundError):
        store.open_read("nope")  # type: ignore[arg-type]
    with pytest.raises(ValidationError), store.open_write("nope"):  # type: ignore[arg-type]
        pass


@pytest.mark.slow
def test_large_blob_in_parts(s3_server: S3Server, tmp_path: Path) -> None:
    """Past one part the S3 store uploads in parts and completes the upload at the end."""
    store = s3_store(s3_server, tmp_path)
    oid = new_object_id()
    data = os.urandom(PART_SIZE + 12345)
    with store.open_write(oid) as sink:
        for start in range(0, len(data), 1 << 20):
            sink.write(data[start : start + (1 << 20)])
    assert store.size(oid) == len(data)
    with store.open_read(oid) as handle:
        handle.seek(PART_SIZE - 5)
        assert handle.read(10) == data[PART_SIZE - 5 : PART_SIZE + 5]
        handle.seek(0)
        assert handle.read() == data
    assert store.unfinished_uploads() == []
    assert isinstance(store, S3BlobStore)


def test_stored_at(store: BlobStore) -> None:
    oid = new_object_id()
    assert store.stored_at(oid) is None
    with store.open_write(oid) as sink:
        sink.write(b"x")
    stored = store.stored_at(oid)
    assert stored is not None and abs(stored - time.time()) < 60


def test_delete_many(store: BlobStore) -> None:
    blobs = [(new_object_id(), os.urandom(10)) for _ in range(5)]
    store.write_many(blobs)
    gone = [oid for oid, _ in blobs[:3]]
    assert set(gone) <= store.delete_many([*gone, "not-an-id"])  # type: ignore[list-item]
    assert sorted(store.ids()) == sorted(oid for oid, _ in blobs[3:])
    store.delete_many(gone)  # idempotent
