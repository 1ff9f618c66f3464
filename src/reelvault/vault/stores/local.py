"""Ciphertext blobs as files: ``<root>/ab/<id>`` (in a deployment ``<vault_dir>/blobs``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from reelvault.errors import ObjectNotFoundError, ValidationError
from reelvault.private_files import storage_error
from reelvault.types import ObjectId
from reelvault.vault import _fs


class _FileSink:
    """Writes to a file descriptor; filesystem errors become ``StorageError``."""

    def __init__(self, fd: int, where: Path) -> None:
        self._fd = fd
        self._where = where
        self.bytes_written = 0

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        try:
            written = _fs.write_all(self._fd, data)
        except OSError as exc:
            raise storage_error(exc, f"could not write blob in {self._where}") from None
        self.bytes_written += written
        return written


class LocalBlobStore:
    """Blobs in a local directory, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path_for(self, object_id: ObjectId) -> Path:
        if not _fs.is_object_id(object_id):
            raise ValidationError("invalid object id", param="object_id")
        return _fs.shard(self.root, object_id) / object_id

    @contextlib.contextmanager
    def open_write(self, object_id: ObjectId) -> Iterator[_FileSink]:
        final = self.path_for(object_id)
        with _fs.atomic_file(final, what="blob") as fd:
            yield _FileSink(fd, final.parent)

    def write_many(self, blobs: Sequence[tuple[ObjectId, bytes]]) -> None:
        """Store several small blobs at once, made durable together (see ``atomic_write_many``)."""
        _fs.atomic_write_many(
            [(self.path_for(object_id), data) for object_id, data in blobs], what="blob"
        )

    def open_read(self, object_id: ObjectId) -> BinaryIO:
        if not _fs.is_object_id(object_id):
            raise ObjectNotFoundError("no such object", param="object_id")
        path = self.path_for(object_id)
        try:
            return path.open("rb", buffering=0)
        except FileNotFoundError:
            raise ObjectNotFoundError(f"no blob for object {object_id}") from None
        except OSError as exc:
            raise storage_error(exc, f"could not read blob {path}") from None

    def delete(self, object_id: ObjectId) -> bool:
        if not _fs.is_object_id(object_id):
            return False
        path = self.path_for(object_id)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise storage_error(exc, f"could not delete blob {path}") from None
        _fs.fsync_dir(path.parent)
        return True

    def delete_many(self, object_ids: Sequence[ObjectId]) -> set[ObjectId]:
        return {object_id for object_id in object_ids if self.delete(object_id)}

    def exists(self, object_id: ObjectId) -> bool:
        return _fs.is_object_id(object_id) and self.path_for(object_id).is_file()

    def ids(self) -> Iterator[ObjectId]:
        return _fs.sharded_ids(self.root)

    def reachable(self) -> bool:
        return True  # a local disk's trouble shows as a StorageError where it happens

    def size(self, object_id: ObjectId) -> int:
        if not _fs.is_object_id(object_id):
            raise ObjectNotFoundError("no such object", param="object_id")
        try:
            return self.path_for(object_id).stat().st_size
        except FileNotFoundError:
            raise ObjectNotFoundError(f"no blob for object {object_id}") from None

    def stored_at(self, object_id: ObjectId) -> float | None:
        if not _fs.is_object_id(object_id):
            return None
        try:
            return self.path_for(object_id).stat().st_mtime
        except FileNotFoundError:
            return None


__all__ = ["LocalBlobStore"]
