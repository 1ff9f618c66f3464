"""Where wrapped data keys live: by default one small JSON file per object,
``<root>/ab/<id>.key`` (:class:`LocalKeyStore`); with blobs in a shared bucket, rows in
the database (:class:`DocumentKeyStore` over the database's key rows).

Files are written atomically (temp file, fsync, rename, fsync of the directory) with mode
0600. Deleting a key overwrites the file with zeros and fsyncs before unlinking: best effort
on SSDs and copy-on-write filesystems, where the KEK wrap is what really protects the key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from reelvault.errors import IntegrityError, KeyNotFoundError, ValidationError
from reelvault.private_files import storage_error
from reelvault.types import ObjectId
from reelvault.vault import _fs
from reelvault.vault.keys import WrappedKey

_FORMAT = "reelvault-wrapped-dek"
_VERSION = 1
SUFFIX = ".key"


def encode_document(wrapped: WrappedKey) -> bytes:
    """The JSON document that stores a wrapped key (a key file's content, a pack slot's key)."""
    document = {
        "format": _FORMAT,
        "version": _VERSION,
        "kek_id": wrapped.kek_id,
        "nonce": base64.b64encode(wrapped.nonce).decode("ascii"),
        "ciphertext": base64.b64encode(wrapped.ciphertext).decode("ascii"),
    }
    return (json.dumps(document, sort_keys=True) + "\n").encode("ascii")


def decode_document(object_id: ObjectId, raw: bytes) -> WrappedKey:
    """The wrapped key in a stored document; :class:`IntegrityError` when malformed."""
    try:
        data: Any = json.loads(raw)
        if data["format"] != _FORMAT or data["version"] != _VERSION:
            raise ValueError
        return WrappedKey(
            kek_id=str(data["kek_id"]),
            nonce=base64.b64decode(data["nonce"], validate=True),
            ciphertext=base64.b64decode(data["ciphertext"], validate=True),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise IntegrityError(f"stored data key of object {object_id} is malformed") from None


class KeyStore(Protocol):
    """What the vault needs from a place that keeps wrapped data keys."""

    def put(self, object_id: ObjectId, wrapped: WrappedKey) -> None: ...

    def put_many(self, keys: Sequence[tuple[ObjectId, WrappedKey]]) -> None:
        """Store several keys; when it returns, all are stored."""
        ...

    def get(self, object_id: ObjectId) -> WrappedKey:
        """:class:`KeyNotFoundError` when shredded or never stored."""
        ...

    def exists(self, object_id: ObjectId) -> bool: ...

    def delete(self, object_id: ObjectId) -> bool: ...

    def delete_many(self, object_ids: Iterable[ObjectId]) -> set[ObjectId]:
        """The ids whose key was removed; when it returns, every removal is durable."""
        ...

    def ids(self) -> Iterator[ObjectId]:
        """Every object id with a stored key, sorted."""
        ...

    def stored_at(self, object_id: ObjectId) -> float | None:
        """When the key was stored (Unix time); None when there is none."""
        ...


class KeyDocuments(Protocol):
    """Key documents (:func:`encode_document`) by object id: a database table, say."""

    def put_documents(self, documents: Sequence[tuple[str, bytes]]) -> None: ...

    def get_document(self, object_id: str) -> bytes | None: ...

    def stored_at(self, object_id: str) -> float | None: ...

    def delete_ids(self, object_ids: Iterable[str]) -> set[str]: ...

    def ids(self) -> Iterator[str]: ...


class DocumentKeyStore:
    """A :class:`KeyStore` over :class:`KeyDocuments` (the database's ``vault_keys``)."""

    def __init__(self, documents: KeyDocuments) -> None:
        self.documents = documents

    def __repr__(self) -> str:
        return f"DocumentKeyStore({self.documents!r})"

    def put(self, object_id: ObjectId, wrapped: WrappedKey) -> None:
        self.put_many([(object_id, wrapped)])

    def put_many(self, keys: Sequence[tuple[ObjectId, WrappedKey]]) -> None:
        for object_id, _ in keys:
            if not _fs.is_object_id(object_id):
                raise ValidationError("invalid object id", param="object_id")
        self.documents.put_documents(
            [(object_id, encode_document(wrapped)) for object_id, wrapped in keys]
        )

    def get(self, object_id: ObjectId) -> WrappedKey:
        raw = self.documents.get_document(object_id) if _fs.is_object_id(object_id) else None
        if raw is None:
            raise KeyNotFoundError(
                f"no data key for object {object_id} (shredded or never stored)",
                param="object_id",
            )
        return decode_document(object_id, raw)

    def exists(self, object_id: ObjectId) -> bool:
        return _fs.is_object_id(object_id) and self.documents.get_document(object_id) is not None

    def delete(self, object_id: ObjectId) -> bool:
        return bool(self.delete_many([object_id]))

    def delete_many(self, object_ids: Iterable[ObjectId]) -> set[ObjectId]:
        wanted = [oid for oid in object_ids if _fs.is_object_id(oid)]
        return {ObjectId(oid) for oid in self.documents.delete_ids(wanted)}

    def ids(self) -> Iterator[ObjectId]:
        return (ObjectId(oid) for oid in self.documents.ids())

    def stored_at(self, object_id: ObjectId) -> float | None:
        return self.documents.stored_at(object_id) if _fs.is_object_id(object_id) else None


class LocalKeyStore:
    """Wrapped data keys as files under ``root`` (in a deployment: ``<vault_dir>/keys``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalKeyStore({str(self.root)!r})"

    def path_for(self, object_id: ObjectId) -> Path:
        if not _fs.is_object_id(object_id):
            raise ValidationError("invalid object id", param="object_id")
        return _fs.shard(self.root, object_id) / f"{object_id}{SUFFIX}"

    def put(self, object_id: ObjectId, wrapped: WrappedKey) -> None:
        """Store (or atomically replace) the wrapped key of ``object_id``."""
        _fs.atomic_write_bytes(self.path_for(object_id), encode_document(wrapped), what="data key")

    def put_many(self, keys: Sequence[tuple[ObjectId, WrappedKey]]) -> None:
        """:meth:`put` for several keys, made durable together (``_fs.atomic_write_many``)."""
        _fs.atomic_write_many(self.files_for(keys), what="data key")

    def files_for(self, keys: Sequence[tuple[ObjectId, WrappedKey]]) -> list[tuple[Path, bytes]]:
        """The files :meth:`put_many` writes, for a caller that writes them with others."""
        return [(self.path_for(object_id), encode_document(wrapped)) for object_id, wrapped in keys]

    def get(self, object_id: ObjectId) -> WrappedKey:
        """The wrapped key; :class:`KeyNotFoundError` when it was shredded or never stored."""
        if not _fs.is_object_id(object_id):
            raise KeyNotFoundError("no data key for this object id", param="object_id")
        path = self.path_for(object_id)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise KeyNotFoundError(
                f"no data key for object {object_id} (shredded or never stored)"
            ) from None
        except OSError as exc:
            raise storage_error(exc, f"could not read data key {path}") from None
        return decode_document(object_id, raw)

    def exists(self, object_id: ObjectId) -> bool:
        return _fs.is_object_id(object_id) and self.path_for(object_id).is_file()

    def delete(self, object_id: ObjectId) -> bool:
        """Overwrite with zeros, fsync and unlink; False when there was nothing to delete."""
        if not _fs.is_object_id(object_id):
            return False
        return _fs.shred_file(self.path_for(object_id))

    def delete_many(self, object_ids: Iterable[ObjectId]) -> set[ObjectId]:
        """:meth:`delete` for many keys, fsyncing each touched directory once at the end.

        Returns the ids whose key was removed; when it returns, every removal is durable.
        """
        removed: set[ObjectId] = set()
        dirs: set[str] = set()
        root = str(self.root)
        for object_id in object_ids:
            if not _fs.is_object_id(object_id):
                continue
            path = _fs.object_path(root, object_id, SUFFIX)
            if _fs.zero_and_unlink(path):
                removed.add(object_id)
                dirs.add(path.rpartition("/")[0])
        for directory in dirs:
            _fs.fsync_dir(directory)
        return removed

    def ids(self) -> Iterator[ObjectId]:
        """Every object id with a stored key, sorted."""
        return _fs.sharded_ids(self.root, SUFFIX)

    def stored_at(self, object_id: ObjectId) -> float | None:
        """The key file's mtime; None when there is none."""
        if not _fs.is_object_id(object_id):
            return None
        try:
            return self.path_for(object_id).stat().st_mtime
        except FileNotFoundError:
            return None


__all__ = [
    "DocumentKeyStore",
    "KeyDocuments",
    "KeyStore",
    "LocalKeyStore",
    "decode_document",
    "encode_document",
]
