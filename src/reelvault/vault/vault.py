"""The vault facade: encrypted, crypto-shreddable object storage for the rest of reelvault.

Each object gets a random 32-byte data key (DEK); its content is encrypted with
:mod:`reelvault.vault.aead` into a blob store, and the DEK is wrapped under the active
key-encryption key (KEK) into the key store. Shredding destroys the wrapped DEK first,
then the ciphertext. Rotation rewraps DEKs under a new KEK without touching ciphertext.

Small objects written together (the prompts of jobs accepted together) may share one
file instead (:mod:`reelvault.vault.packs`): same encryption, same key per object, same
shredding; the methods here find an object wherever it is.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reelvault.config import Settings
from reelvault.errors import (
    ConflictError,
    IntegrityError,
    KeyNotFoundError,
    ObjectNotFoundError,
    ValidationError,
)
from reelvault.types import ObjectId, new_object_id
from reelvault.vault import _fs, aead
from reelvault.vault.aead import DecryptedStream
from reelvault.vault.keys import Keyring, keyring_from_settings
from reelvault.vault.keystore import SUFFIX as KEY_SUFFIX
from reelvault.vault.keystore import KeyStore, LocalKeyStore, decode_document, encode_document
from reelvault.vault.packs import MAX_SLOTS, PACK_ID_LENGTH, LocalPacks, is_pack_sequence, pack_ids
from reelvault.vault.packs import SUFFIX as PACK_SUFFIX
from reelvault.vault.stores.base import BlobStore
from reelvault.vault.stores.local import LocalBlobStore


@dataclass(frozen=True)
class StoredObject:
    object_id: ObjectId
    plaintext_size: int
    stored_size: int


@dataclass(frozen=True)
class RotationReport:
    """Outcome of :meth:`Vault.rotate`.

    Old KEKs are retired only when every wrapped key was rewrapped (``failed`` is empty);
    otherwise they stay in the key file so nothing becomes unreadable.
    """

    new_kek_id: str
    rewrapped: int
    already_current: int
    retired_kek_ids: tuple[str, ...]
    failed: tuple[ObjectId, ...]

    @property
    def complete(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class OrphanReport:
    """Halves of objects: ciphertext without a key (unreadable), keys without ciphertext,
    and packs of small objects too damaged to read."""

    blobs_without_key: tuple[ObjectId, ...]
    keys_without_blob: tuple[ObjectId, ...]
    damaged_packs: tuple[str, ...] = ()  # pack files whose slots cannot be read

    @property
    def clean(self) -> bool:
        return not self.blobs_without_key and not self.keys_without_blob and not self.damaged_packs


class Vault:
    """Encrypted object storage. Thread-safe for concurrent puts, reads and shreds.

    Rotation should run while no other process writes to the vault (the CLI command).
    """

    def __init__(
        self,
        *,
        blobs: BlobStore,
        keys: KeyStore,
        keyring: Keyring,
        segment_size: int = aead.DEFAULT_SEGMENT_SIZE,
        packs: LocalPacks | None = None,
    ) -> None:
        self._blobs = blobs
        self._keys = keys
        self._keyring = keyring
        self._segment_size = aead.check_segment_size(segment_size)
        # Packs live beside local blobs; with another blob store every object is separate.
        if packs is None and isinstance(blobs, LocalBlobStore):
            packs = LocalPacks(blobs.root.parent / "packs")
        self._packs = packs

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        """Local blob and key stores under ``settings.vault_dir``, keyring from settings."""
        root = settings.vault_dir
        return cls(
            blobs=LocalBlobStore(root / "blobs"),
            keys=LocalKeyStore(root / "keys"),
            keyring=keyring_from_settings(settings),
            segment_size=settings.vault_segment_size,
        )

    def __repr__(self) -> str:
        return f"Vault(blobs={self._blobs!r}, keys={self._keys!r}, keyring={self._keyring!r})"

    @property
    def blobs(self) -> BlobStore:
        """Where the ciphertext lives (audits look at an S3 bucket through it)."""
        return self._blobs

    @property
    def keyring(self) -> Keyring:
        return self._keyring

    # -- writing -------------------------------------------------------------------------

    def put_stream(
        self, chunks: Iterable[bytes] | BinaryIO, *, object_id: ObjectId | None = None
    ) -> StoredObject:
        """Encrypt and store a stream in constant memory; returns the new object.

        The ciphertext is stored first, then the wrapped key: a crash in between leaves an
        unreadable orphan blob (see :meth:`orphans`), never a key without its content.
        An exception from ``chunks`` propagates after everything written is removed.
        Raises :class:`ConflictError` when ``object_id`` already has a key (a stored object);
        an orphan blob left by a crash under that id is overwritten.
        """

        def encrypt(sink: aead.Sink, dek: bytes, oid: ObjectId) -> aead.StreamSizes:
            return aead.encrypt_stream(
                chunks, sink, key=dek, object_id=oid, segment_size=self._segment_size
            )

        return self._put(object_id, encrypt)

    def put_bytes(self, data: bytes, *, object_id: ObjectId | None = None) -> StoredObject:
        """:meth:`put_stream` for bytes in memory (same format, encrypted in one piece)."""

        def encrypt(sink: aead.Sink, dek: bytes, oid: ObjectId) -> aead.StreamSizes:
            sealed = aead.encrypt_bytes(
                data, key=dek, object_id=oid, segment_size=self._segment_size
            )
            sink.write(sealed)
            return aead.StreamSizes(plaintext_size=len(data), ciphertext_size=len(sealed))

        return self._put(object_id, encrypt)

    def ids_for_batch(self, count: int) -> list[ObjectId]:
        """Fresh ids for objects that :meth:`put_many_bytes` will store together.

        With local storage they are the slots of one pack (their first 30 hex digits,
        120 random bits, name the pack; the last two are the slot). Otherwise they share
        their first two hex digits, the shard directory, so the batch costs one directory
        fsync per store; each keeps 120 random bits.
        """
        if count <= 0:
            return []
        if self._packs is not None and count <= MAX_SLOTS:
            return pack_ids(count)
        first = new_object_id()
        return [first] + [ObjectId(first[:2] + new_object_id()[2:]) for _ in range(count - 1)]

    def put_many_bytes(self, objects: Sequence[tuple[ObjectId, bytes]]) -> list[StoredObject]:
        """:meth:`put_bytes` for several objects, made durable together (group commit).

        With ids from :meth:`ids_for_batch` and local storage, the objects go into one pack
        file: one file creation and one fsync for the whole batch. Otherwise ciphertexts
        are stored before their wrapped keys, which keeps :meth:`put_stream`'s promise (a
        key never exists without its content): with blobs on the local disk in one round of
        fsyncs (every file written and fsynced under a temporary name, the blobs renamed
        into place before the keys, the directories fsynced once; a journaling filesystem
        commits renames in the order they were made), with another blob store the blobs
        first, then the keys. On error nothing of the batch remains.
        """
        ids = [oid for oid, _ in objects]
        if len(set(ids)) != len(ids):
            raise ConflictError("the same object id twice in one batch", param="object_id")
        packed = self._packs is not None and is_pack_sequence(ids)
        for oid in ids:
            if not _fs.is_object_id(oid):
                raise ValidationError("invalid object id", param="object_id")
            if not packed and self._keys.exists(oid):
                raise ConflictError(f"object {oid} already exists", param="object_id")
        deks = [secrets.token_bytes(aead.KEY_SIZE) for _ in objects]
        sealed = [
            aead.encrypt_bytes(data, key=dek, object_id=oid, segment_size=self._segment_size)
            for (oid, data), dek in zip(objects, deks, strict=True)
        ]
        keys = [(oid, self._keyring.wrap(dek, oid)) for oid, dek in zip(ids, deks, strict=True)]
        if packed and self._packs is not None:
            documents = [encode_document(wrapped) for _, wrapped in keys]
            self._packs.write(ids, list(zip(documents, sealed, strict=True)))
            return self._stored(objects, sealed)
        try:
            blobs = list(zip(ids, sealed, strict=True))
            if isinstance(self._blobs, LocalBlobStore) and isinstance(self._keys, LocalKeyStore):
                blob_files = [(self._blobs.path_for(oid), blob) for oid, blob in blobs]
                _fs.atomic_write_many(blob_files + self._keys.files_for(keys), what="object")
            else:
                self._blobs.write_many(blobs)
                self._keys.put_many(keys)
        except BaseException:
            with contextlib.suppress(Exception):
                self._keys.delete_many(ids)
            for oid in ids:
                with contextlib.suppress(Exception):
                    self._blobs.delete(oid)
            raise
        return self._stored(objects, sealed)

    @staticmethod
    def _stored(
        objects: Sequence[tuple[ObjectId, bytes]], sealed: Sequence[bytes]
    ) -> list[StoredObject]:
        return [
            StoredObject(object_id=oid, plaintext_size=len(data), stored_size=len(blob))
            for (oid, data), blob in zip(objects, sealed, strict=True)
        ]

    def _put(
        self,
        object_id: ObjectId | None,
        encrypt: Callable[[aead.Sink, bytes, ObjectId], aead.StreamSizes],
    ) -> StoredObject:
        oid = new_object_id() if object_id is None else object_id
        if not _fs.is_object_id(oid):
            raise ValidationError("invalid object id", param="object_id")
        if self._keys.exists(oid):
            raise ConflictError(f"object {oid} already exists", param="object_id")
        dek = secrets.token_bytes(aead.KEY_SIZE)
        with self._blobs.open_write(oid) as sink:
            sizes = encrypt(sink, dek, oid)
        try:
            self._keys.put(oid, self._keyring.wrap(dek, oid))
        except BaseException:
            with contextlib.suppress(Exception):
                self._blobs.delete(oid)
            raise
        return StoredObject(
            object_id=oid,
            plaintext_size=sizes.plaintext_size,
            stored_size=sizes.ciphertext_size,
        )

    def put_file(self, path: Path, *, object_id: ObjectId | None = None) -> StoredObject:
        """Encrypt a file, streaming it."""
        with path.open("rb", buffering=0) as source:
            return self.put_stream(source, object_id=object_id)

    # -- reading -------------------------------------------------------------------------

    def open_stream(self, object_id: ObjectId) -> DecryptedStream:
        """Decrypted chunks of an object, authenticated segment by segment.

        Checks happen up front: :class:`KeyNotFoundError` when the key is gone (shredded,
        or an id never stored; the two are indistinguishable by design),
        :class:`ObjectNotFoundError` when the ciphertext is missing, :class:`IntegrityError`
        for a wrong KEK or a bad header. Later segments may still raise ``IntegrityError``:
        discard everything received when that happens. Close the stream if you stop early.
        """
        if not _fs.is_object_id(object_id):
            raise ObjectNotFoundError("no such object", param="object_id")
        try:
            wrapped = self._keys.get(object_id)
        except KeyNotFoundError:
            packed = self._packs.get(object_id) if self._packs is not None else None
            if packed is None:
                raise
            wrapped = decode_document(object_id, packed.key_document)
            dek = self._keyring.unwrap(wrapped, object_id)
            return aead.decrypt_stream(io.BytesIO(packed.ciphertext), key=dek, object_id=object_id)
        dek = self._keyring.unwrap(wrapped, object_id)
        source = self._blobs.open_read(object_id)
        return aead.decrypt_stream(source, key=dek, object_id=object_id)

    def read_bytes(self, object_id: ObjectId) -> bytes:
        with self.open_stream(object_id) as stream:
            return b"".join(stream)

    def write_to(self, object_id: ObjectId, path: Path) -> int:
        """Decrypt to ``path`` atomically (temp file beside it, fsync, rename).

        Nothing is left at ``path`` or beside it on failure. Returns the plaintext size.
        """
        total = 0
        with self.open_stream(object_id) as stream, _fs.atomic_file(path, what="file") as fd:
            for view in stream.views():
                total += _fs.write_all(fd, view)
        return total

    # -- inventory -----------------------------------------------------------------------

    def exists(self, object_id: ObjectId) -> bool:
        """True when both the key and the ciphertext of ``object_id`` are present."""
        if self._keys.exists(object_id) and self._blobs.exists(object_id):
            return True
        if self._packs is None or not _fs.is_object_id(object_id):
            return False
        try:
            return self._packs.get(object_id) is not None
        except IntegrityError:  # a damaged pack: nothing in it can be read
            return False

    def object_ids(self) -> Iterator[ObjectId]:
        """Ids of complete objects (key and ciphertext), sorted."""
        if isinstance(self._blobs, LocalBlobStore):
            separate: Iterator[ObjectId] = (
                oid for oid in self._keys.ids() if self._blobs.exists(oid)
            )
        else:  # one listing instead of a request per object
            blobs = set(self._blobs.ids())
            separate = (oid for oid in self._keys.ids() if oid in blobs)
        packed = self._packs.ids() if self._packs is not None else iter(())
        yield from heapq.merge(separate, packed)

    def stored_at(self, object_id: ObjectId) -> float | None:
        """When the object was stored (its key's or pack's mtime); None when it is not."""
        if not _fs.is_object_id(object_id):
            return None
        stored = self._keys.stored_at(object_id)
        if stored is not None:
            return stored
        return self._packs.stored_at(object_id) if self._packs is not None else None

    def ciphertext_heads(self, size: int) -> Iterator[tuple[Path, bytes]]:
        """(file, first ``size`` bytes) of every ciphertext on the local disk, for audits.

        Every file among the local blobs counts, named like an object or not: a stray file
        there is exactly what an audit should see.
        """
        if isinstance(self._blobs, LocalBlobStore) and self._blobs.root.is_dir():
            for path in sorted(self._blobs.root.rglob("*")):
                if not path.is_file() or path.name.startswith("."):
                    continue
                with contextlib.suppress(FileNotFoundError), path.open("rb") as handle:
                    yield path, handle.read(size)
        if self._packs is not None:
            yield from self._packs.ciphertext_heads(size)

    def orphans(self) -> OrphanReport:
        # A pack slot holds its key and ciphertext together: packed objects are never orphans.
        keys = set(self._keys.ids())
        blobs = set(self._blobs.ids())
        return OrphanReport(
            blobs_without_key=tuple(sorted(blobs - keys)),
            keys_without_blob=tuple(sorted(keys - blobs)),
            damaged_packs=tuple(
                path.name for path in (self._packs.damaged() if self._packs is not None else [])
            ),
        )

    # -- deletion and rotation -----------------------------------------------------------

    def remove_keyless_blobs(self, stored_before: float) -> int:
        """Delete ciphertext whose key is gone, written before ``stored_before``.

        Such a blob is unreadable (a crash between the blob and its key, or a key row
        rolled back with the transaction that wrote it), but it still takes space, and
        in a bucket the provider keeps it. The age limit spares a write in flight, whose
        key is on its way. Returns how many were deleted.
        """
        removed = 0
        for oid in self.orphans().blobs_without_key:
            stored = self._blobs.stored_at(oid)
            if stored is None or stored > stored_before or self._keys.exists(oid):
                continue
            removed += self._blobs.delete(oid)
        return removed

    def shred(self, object_id: ObjectId) -> bool:
        """Crypto-shred: destroy the wrapped key first, then the ciphertext. Idempotent.

        Returns True when anything was removed.
        """
        if not _fs.is_object_id(object_id):
            return False
        removed_key = self._keys.delete(object_id)
        removed_blob = self._blobs.delete(object_id)
        removed_packed = self._packs is not None and bool(self._packs.shred_many([object_id]))
        return removed_key or removed_blob or removed_packed

    def shred_many(self, object_ids: Iterable[ObjectId]) -> int:
        """:meth:`shred` for a batch: every key is destroyed (durably) before any ciphertext.

        Each touched directory is fsynced once per batch instead of once per object.
        Idempotent; malformed ids are skipped. Returns how many objects had anything removed.
        """
        ids = [oid for oid in dict.fromkeys(object_ids) if _fs.is_object_id(oid)]
        ids = self.stored_locally(ids)
        removed = self._keys.delete_many(ids)
        if self._packs is not None:
            removed |= self._packs.shred_many(ids)
        # Keys are gone and their directories synced: the ciphertext is unreadable already.
        if isinstance(self._blobs, LocalBlobStore):
            dirs: set[str] = set()
            root = str(self._blobs.root)
            for oid in ids:
                path = _fs.object_path(root, oid)  # the layout of LocalBlobStore.path_for
                if _fs.unlink_quiet(path):
                    removed.add(oid)
                    dirs.add(path.rpartition("/")[0])
            for directory in dirs:
                _fs.fsync_dir(directory)
        else:  # a remote store: batched requests (S3: 1,000 objects per request)
            removed |= self._blobs.delete_many(ids)
        return len(removed)

    def stored_locally(self, ids: list[ObjectId]) -> list[ObjectId]:
        """The ids with a key, blob or pack file on the local disk (all of them elsewhere).

        A retention sweep hands over many ids whose objects are gone already (shredded by
        an earlier, interrupted pass, or never stored). Shredding one of them tries to
        open three files and raises three exceptions; one ``access`` call per file, with
        no exception and no ``Path``, finds them several times faster (20,000 missing
        ids: 0.55 s -> 0.18 s). It changes no outcome: a file written after this check
        could as well have been written just after the shred's own ``open``, which found
        nothing; whatever exists when the batch is shredded is shredded as before.
        """
        keys, blobs, packs = self._keys, self._blobs, self._packs
        if not isinstance(keys, LocalKeyStore) or not isinstance(blobs, LocalBlobStore):
            return ids
        exists, present = os.access, os.F_OK
        key_root, blob_root = str(keys.root), str(blobs.root)
        pack_root = str(packs.root) if packs is not None else None
        key_suffix, pack_suffix = KEY_SUFFIX, PACK_SUFFIX
        return [
            oid
            for oid in ids
            if exists(f"{key_root}/{oid[:2]}/{oid}{key_suffix}", present)
            or exists(f"{blob_root}/{oid[:2]}/{oid}", present)  # LocalBlobStore.path_for
            or (
                pack_root is not None
                and exists(f"{pack_root}/{oid[:2]}/{oid[:PACK_ID_LENGTH]}{pack_suffix}", present)
            )
        ]

    def rotate(self) -> RotationReport:
        """Make a new KEK active, rewrap every data key under it, then retire the old KEKs.

        Crash-safe: the new key is added to the key file first (old keys kept), each wrapped
        key is replaced atomically, and old keys are dropped only after all were rewrapped.
        Ciphertext is never touched. An ``EnvKeyring`` raises :class:`ConfigError`.
        """
        new_id = self._keyring.add_active_key()
        rewrapped = current = 0
        failed: list[ObjectId] = []
        for oid in self._keys.ids():
            try:
                wrapped = self._keys.get(oid)
                if wrapped.kek_id == new_id:
                    current += 1
                    continue
                dek = self._keyring.unwrap(wrapped, oid)
                self._keys.put(oid, self._keyring.wrap(dek, oid))
            except IntegrityError:
                failed.append(oid)
                continue
            except KeyNotFoundError:  # shredded while we were rotating
                continue
            rewrapped += 1
        packs = self._packs
        for oid in packs.ids() if packs is not None else ():
            assert packs is not None  # (mypy does not carry the narrowing into the loop)
            try:
                packed = packs.get(oid)
                if packed is None:
                    continue  # shredded while we were rotating
                wrapped = decode_document(oid, packed.key_document)
                if wrapped.kek_id == new_id:
                    current += 1
                    continue
                dek = self._keyring.unwrap(wrapped, oid)
                document = encode_document(self._keyring.wrap(dek, oid))
            except IntegrityError:
                failed.append(oid)
                continue
            if packs.replace_key(oid, document):  # False: shredded while we were rotating
                rewrapped += 1
        retired = () if failed else self._keyring.retire_inactive_keys()
        return RotationReport(
            new_kek_id=new_id,
            rewrapped=rewrapped,
            already_current=current,
            retired_kek_ids=retired,
            failed=tuple(failed),
        )


__all__ = ["OrphanReport", "RotationReport", "StoredObject", "Vault"]
