"""The vault with its blobs in S3 (a private moto_server) and its keys in the database.

Faults come from a proxy in front of the S3 server (``tests.s3_faults``): errors that pass
are retried with backoff; errors that stay fail the write cleanly, leaving no object and
no unfinished multipart upload.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from reelvault.db.vault_keys import DatabaseKeyRows, VaultKey, writes_through
from reelvault.errors import KeyNotFoundError, StorageError
from reelvault.types import new_object_id
from reelvault.vault import Vault
from reelvault.vault.aead import MAGIC
from reelvault.vault.stores import s3 as s3_module
from reelvault.vault.stores.s3 import PART_SIZE, S3BlobStore
from tests.s3_faults import FaultProxy, uploading_parts
from tests.s3_server import S3Server

from .s3_stores import key_database, s3_settings, s3_store, s3_vault


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = key_database(tmp_path)
    yield engine
    engine.dispose()


@pytest.fixture
def store(s3_server: S3Server, tmp_path: Path) -> S3BlobStore:
    return s3_store(s3_server, tmp_path)


@pytest.fixture
def vault(store: S3BlobStore, engine: Engine, tmp_path: Path) -> Vault:
    return s3_vault(store, engine, tmp_path)


def key_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(VaultKey.id)).scalars())


def bucket_contents(store: S3BlobStore) -> dict[str, bytes]:
    return {
        key: store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read()
        for key in store.object_keys()
    }


def test_round_trip_keys_in_the_database(vault: Vault, store: S3BlobStore, engine: Engine) -> None:
    secret = b"a prompt nobody else may read " * 100
    stored = vault.put_bytes(secret)
    assert vault.read_bytes(stored.object_id) == secret
    assert key_rows(engine) == [stored.object_id]
    assert list(store.ids()) == [stored.object_id]
    assert store.object_keys().__next__() == f"vault/{stored.object_id}"
    assert vault.exists(stored.object_id)
    assert list(vault.object_ids()) == [stored.object_id]
    assert vault.stored_at(stored.object_id) == pytest.approx(time.time(), abs=60)
    # The provider sees ciphertext only.
    for blob in bucket_contents(store).values():
        assert blob.startswith(MAGIC)
        assert b"nobody else" not in blob


def test_shred_deletes_object_and_key_row(vault: Vault, store: S3BlobStore, engine: Engine) -> None:
    kept, shredded = vault.put_bytes(b"keep"), vault.put_bytes(b"shred me")
    assert vault.shred(shredded.object_id) is True
    assert key_rows(engine) == [kept.object_id]
    assert list(store.ids()) == [kept.object_id]
    with pytest.raises(KeyNotFoundError):
        vault.read_bytes(shredded.object_id)
    assert vault.shred(shredded.object_id) is False  # idempotent
    many = [vault.put_bytes(bytes([n])).object_id for n in range(5)]
    assert vault.shred_many(many) == 5
    assert key_rows(engine) == [kept.object_id]
    assert vault.orphans().clean


def test_streamed_object_in_parts(vault: Vault, store: S3BlobStore, tmp_path: Path) -> None:
    data = os.urandom(PART_SIZE + 300_000)
    source = tmp_path / "input.bin"
    source.write_bytes(data)
    stored = vault.put_file(source)
    assert store.size(stored.object_id) == stored.stored_size > PART_SIZE
    out = tmp_path / "out.bin"
    assert vault.write_to(stored.object_id, out) == len(data)
    assert out.read_bytes() == data
    assert store.unfinished_uploads() == []


def test_orphans_and_strays(vault: Vault, store: S3BlobStore, engine: Engine) -> None:
    whole = vault.put_bytes(b"whole")
    blob_only = vault.put_bytes(b"key lost")
    key_only = vault.put_bytes(b"blob lost")
    with engine.begin() as connection:
        connection.execute(VaultKey.__table__.delete().where(VaultKey.id == blob_only.object_id))
    store.delete(key_only.object_id)
    store.client.put_object(Bucket=store.bucket, Key="vault/stray.txt", Body=b"plain text")
    report = vault.orphans()
    assert report.blobs_without_key == (blob_only.object_id,)
    assert report.keys_without_blob == (key_only.object_id,)
    assert vault.blobs is store
    assert store.head_of("vault/stray.txt", 8) == b"plain te"
    assert store.head_of(f"vault/{whole.object_id}", 8).startswith(MAGIC)
    with store.open_key("vault/stray.txt") as handle:
        assert handle.read() == b"plain text"
    store.client.put_object(Bucket=store.bucket, Key="vault/empty", Body=b"")
    assert store.head_of("vault/empty", 8) == b""


def test_key_write_joins_an_open_sqlite_write_transaction(
    vault: Vault, engine: Engine, tmp_path: Path
) -> None:
    """The bug of a first attempt: a key written on its own connection while this
    thread's transaction held SQLite's write lock waited for itself ("database is
    locked"). Written through the open transaction, it commits with it."""
    with engine.begin() as connection, writes_through(connection):
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock now
        started = time.monotonic()
        stored = vault.put_bytes(b"inside a transaction")
        assert vault.read_bytes(stored.object_id) == b"inside a transaction"
        assert time.monotonic() - started < 5
        shredded = vault.put_bytes(b"shredded inside")
        assert vault.shred(shredded.object_id)
    assert key_rows(engine) == [stored.object_id]


def test_rotation_rewraps_key_rows(vault: Vault, engine: Engine) -> None:
    stored = vault.put_bytes(b"rotate me")
    report = vault.rotate()
    assert report.complete and report.rewrapped == 1
    assert vault.read_bytes(stored.object_id) == b"rotate me"


# -- faults ------------------------------------------------------------------------------


@pytest.fixture
def proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(s3_server.endpoint_url)
    yield proxy
    proxy.close()


def faulty_store(
    server: S3Server, proxy: FaultProxy, tmp_path: Path, **extra: object
) -> S3BlobStore:
    bucket = server.new_bucket()
    settings = s3_settings(server, bucket, tmp_path, endpoint_url=proxy.endpoint_url, **extra)
    return S3BlobStore.from_settings(settings)


def test_passing_errors_are_retried(
    s3_server: S3Server, proxy: FaultProxy, engine: Engine, tmp_path: Path
) -> None:
    store = faulty_store(s3_server, proxy, tmp_path, s3_max_attempts=4)
    vault = s3_vault(store, engine, tmp_path)
    proxy.fail(503, times=3)  # three failures in a row, then the fourth try passes
    stored = vault.put_bytes(b"worth retrying")
    proxy.fail(500, times=2)
    assert vault.read_bytes(stored.object_id) == b"worth retrying"
    assert list(proxy.statuses()).count(503) == 3
    assert list(proxy.statuses()).count(500) == 2


def test_a_slow_answer_is_retried_after_the_read_timeout(
    s3_server: S3Server, proxy: FaultProxy, engine: Engine, tmp_path: Path
) -> None:
    store = faulty_store(s3_server, proxy, tmp_path, s3_read_timeout_seconds=0.5)
    vault = s3_vault(store, engine, tmp_path)
    proxy.delay(2.0, times=1)
    stored = vault.put_bytes(b"slow")
    assert vault.read_bytes(stored.object_id) == b"slow"


def test_errors_that_stay_fail_cleanly(
    s3_server: S3Server, proxy: FaultProxy, engine: Engine, tmp_path: Path
) -> None:
    """Past the attempts the write fails with StorageError; the multipart upload is
    aborted: no object, no unfinished upload, no key row."""
    store = faulty_store(s3_server, proxy, tmp_path, s3_max_attempts=2)
    vault = s3_vault(store, engine, tmp_path)
    proxy.fail(500, times=None, when=uploading_parts)
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(PART_SIZE + 10))
    with pytest.raises(StorageError) as caught:
        vault.put_file(source)
    assert "127.0.0.1" not in str(caught.value) and "secret" not in str(caught.value)
    proxy.clear()
    assert list(store.object_keys()) == []
    assert store.unfinished_uploads() == []
    assert key_rows(engine) == []
    statuses = list(proxy.statuses())
    assert statuses.count(500) == 2  # both attempts of the first part, then no more


def test_a_store_that_does_not_answer_is_a_storage_error(
    s3_server: S3Server, proxy: FaultProxy, engine: Engine, tmp_path: Path
) -> None:
    store = faulty_store(s3_server, proxy, tmp_path, s3_max_attempts=2)
    vault = s3_vault(store, engine, tmp_path)
    proxy.fail(503, times=None)
    with pytest.raises(StorageError, match="S3: could not store a blob"):
        vault.put_bytes(b"nowhere to go")
    proxy.clear()
    assert list(store.object_keys()) == [] and key_rows(engine) == []


def test_key_rows_outside_a_transaction(engine: Engine) -> None:
    rows = DatabaseKeyRows(engine)
    oid = new_object_id()
    rows.put_documents([(oid, b"{}")])
    assert rows.get_document(oid) == b"{}"
    assert rows.delete_ids([oid, new_object_id()]) == {oid}
    assert list(rows.ids()) == []


def test_batch_put_stores_each_object_under_its_own_key(
    vault: Vault, store: S3BlobStore, engine: Engine
) -> None:
    ids = vault.ids_for_batch(12)  # no packs with S3: separate objects
    stored = vault.put_many_bytes([(oid, f"prompt {n}".encode()) for n, oid in enumerate(ids)])
    assert [item.object_id for item in stored] == ids
    assert sorted(store.ids()) == sorted(ids) == sorted(key_rows(engine))
    assert vault.read_bytes(ids[7]) == b"prompt 7"


def test_keyless_blobs_go_once_old_enough(vault: Vault, store: S3BlobStore) -> None:
    kept = vault.put_bytes(b"whole")
    keyless = new_object_id()
    with store.open_write(keyless) as sink:
        sink.write(b"ciphertext whose key row was rolled back")
    assert vault.remove_keyless_blobs(stored_before=time.time() - 3600) == 0  # young
    assert vault.remove_keyless_blobs(stored_before=time.time() + 5) == 1
    assert list(store.ids()) == [kept.object_id]


def test_a_read_broken_mid_body_resumes_where_it_stopped(
    s3_server: S3Server, proxy: FaultProxy, engine: Engine, tmp_path: Path
) -> None:
    store = faulty_store(s3_server, proxy, tmp_path)
    vault = s3_vault(store, engine, tmp_path)
    data = os.urandom(300_000)
    stored = vault.put_bytes(data)
    proxy.truncate(times=2)  # two GETs in a row break halfway
    assert vault.read_bytes(stored.object_id) == data
    ranges = [path for method, path, status in proxy.requests if method == "GET"]
    assert len(ranges) == 3 and -1 in set(proxy.statuses())


def test_shred_many_deletes_in_batches(
    vault: Vault, store: S3BlobStore, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(s3_module, "_DELETE_BATCH", 2)  # 5 objects: 3 requests
    ids = [vault.put_bytes(bytes([n])).object_id for n in range(5)]
    kept = vault.put_bytes(b"kept")
    assert vault.shred_many(ids) == 5
    assert list(store.ids()) == [kept.object_id]
    assert key_rows(engine) == [kept.object_id]


def test_a_transaction_left_in_another_context_forgets_itself(engine: Engine) -> None:
    """A ``with`` held across a generator's yields may end in another context (Starlette
    resumes sync iterators in copies of the context): ending it there must not fail."""
    import contextvars

    with engine.begin() as connection:
        block = writes_through(connection)
        contextvars.copy_context().run(block.__enter__)
        contextvars.copy_context().run(block.__exit__, None, None, None)


def test_a_key_row_commits_or_rolls_back_with_its_transaction(
    vault: Vault, store: S3BlobStore, engine: Engine
) -> None:
    """Keys written through an open transaction share its fate: a rolled-back one leaves
    only unreadable ciphertext, which goes once it is older than the grace period."""
    with pytest.raises(RuntimeError), engine.begin() as connection, writes_through(connection):
        lost = vault.put_bytes(b"written in a transaction that fails")
        assert vault.read_bytes(lost.object_id) == b"written in a transaction that fails"
        raise RuntimeError("the rest of the transaction failed")
    assert key_rows(engine) == []
    with pytest.raises(KeyNotFoundError):
        vault.read_bytes(lost.object_id)
    assert vault.orphans().blobs_without_key == (lost.object_id,)
    assert vault.remove_keyless_blobs(stored_before=time.time() + 5) == 1
    assert list(store.ids()) == []
