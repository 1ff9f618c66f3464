"""The ``BlobStore`` protocol: what the vault needs from a place that keeps ciphertext."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import BinaryIO, Protocol

from reelvault.types import ObjectId


class BlobSink(Protocol):
    """A write-only byte sink handed out by :meth:`BlobStore.open_write`."""

    def write(self, data: bytes | bytearray | memoryview, /) -> int: ...


class BlobStore(Protocol):
    """Ciphertext blobs by object id. Stores see only ciphertext, never keys or plaintext."""

    def open_write(self, object_id: ObjectId) -> AbstractContextManager[BlobSink]:
        """A sink whose content becomes the blob atomically when the ``with`` block ends
        without error; on error nothing (not even a temporary) is left behind.
        Raises ``StorageError`` when the backend cannot store it (e.g. disk full)."""
        ...

    def write_many(self, blobs: Sequence[tuple[ObjectId, bytes]]) -> None:
        """Store several whole blobs; when it returns, all are stored. On error, blobs
        already stored may remain (the caller deletes them); no temporary is left."""
        ...

    def open_read(self, object_id: ObjectId) -> BinaryIO:
        """The blob for reading; ``ObjectNotFoundError`` when absent."""
        ...

    def delete(self, object_id: ObjectId) -> bool:
        """Remove the blob; True when it existed."""
        ...

    def delete_many(self, object_ids: Sequence[ObjectId]) -> set[ObjectId]:
        """Remove several blobs at once; the ids that existed. A store that cannot tell
        cheaply (S3's batch delete) returns every id given."""
        ...

    def exists(self, object_id: ObjectId) -> bool: ...

    def ids(self) -> Iterator[ObjectId]:
        """Every stored object id."""
        ...

    def reachable(self) -> bool:
        """Whether the store answers now, for readiness probes: quick, never raises."""
        ...

    def size(self, object_id: ObjectId) -> int:
        """Stored (ciphertext) size in bytes; ``ObjectNotFoundError`` when absent."""
        ...

    def stored_at(self, object_id: ObjectId) -> float | None:
        """When the blob was last written (Unix time); None when absent."""
        ...


__all__ = ["BlobSink", "BlobStore"]
