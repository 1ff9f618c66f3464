"""Wrapped data keys as database rows, for a vault whose blobs are shared (S3).

With blobs in a bucket that several machines use, every machine needs every object's
data key: the keys move from ``<vault_dir>/keys`` into the ``vault_keys`` table. A row
holds the same JSON document a key file holds (the data key wrapped under the master
key, which never reaches the database). Shredding deletes the row.

SQLite has one writer at a time. A key written on a connection of its own while this
thread's transaction holds the write lock would wait for a lock that is never released
("database is locked"). So a key write joins the transaction this thread has open
(:func:`writes_through`, which ``Runtime.session()`` and ``Runtime.transaction()`` set),
and commits or rolls back with the rows that refer to the object. Only outside any
transaction does it use a short one of its own.

The column is ``id``, not ``object_id``: a key row is part of the object, not a
reference to it (:mod:`reelvault.db.references`), so an object whose only row is its key
is still an orphan.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import cast

from sqlalchemy import (
    Connection,
    Engine,
    Float,
    LargeBinary,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelvault.db.base import Base

_BATCH = 500  # ids per IN (...) list


class VaultKey(Base):
    __tablename__ = "vault_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[float] = mapped_column(Float)  # Unix time, for the orphan grace


KEYS_TABLE = cast(Table, VaultKey.__table__)

# The transaction this thread has open: a Core connection, or a session whose
# connection is taken (and its transaction begun) only when a key is actually touched.
_ambient: contextvars.ContextVar[Connection | Session | None] = contextvars.ContextVar(
    "reelvault_key_transaction", default=None
)


@contextlib.contextmanager
def writes_through(transaction: Connection | Session) -> Iterator[None]:
    """Key reads and writes in this block go through ``transaction``."""
    token = _ambient.set(transaction)
    try:
        yield
    finally:
        try:
            _ambient.reset(token)
        except ValueError:  # left in another context (a generator resumed elsewhere)
            _ambient.set(None)


class DatabaseKeyRows:
    """Key documents by object id in the ``vault_keys`` table (see the module text)."""

    def __init__(
        self,
        engine: Engine,
        turns: Callable[[], AbstractContextManager[object]] | None = None,
    ) -> None:
        self.engine = engine
        # SQLite: the runtime's writer lock, so threads of this process take turns.
        self._turns = turns if turns is not None else contextlib.nullcontext

    def __repr__(self) -> str:
        return f"DatabaseKeyRows({self.engine.url.get_backend_name()})"

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        ambient = _ambient.get()
        if ambient is not None:
            yield ambient.connection() if isinstance(ambient, Session) else ambient
            return
        with self._turns(), self.engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Connection]:
        ambient = _ambient.get()
        if ambient is not None:  # sees this transaction's own, uncommitted, keys
            yield ambient.connection() if isinstance(ambient, Session) else ambient
            return
        with self.engine.connect() as connection:
            yield connection

    def put_documents(self, documents: Sequence[tuple[str, bytes]]) -> None:
        """Store (or replace) the documents of several objects, all or none."""
        if not documents:
            return
        ids = [object_id for object_id, _ in documents]
        now = time.time()
        table = KEYS_TABLE
        with self._writing() as connection:
            for part in _parts(ids):
                connection.execute(delete(table).where(table.c.id.in_(part)))
            connection.execute(
                insert(table),
                [{"id": oid, "document": doc, "stored_at": now} for oid, doc in documents],
            )

    def get_document(self, object_id: str) -> bytes | None:
        table = KEYS_TABLE
        with self._reading() as connection:
            value = connection.execute(
                select(table.c.document).where(table.c.id == object_id)
            ).scalar()
        return bytes(value) if value is not None else None

    def stored_at(self, object_id: str) -> float | None:
        table = KEYS_TABLE
        with self._reading() as connection:
            value = connection.execute(
                select(table.c.stored_at).where(table.c.id == object_id)
            ).scalar()
        return float(value) if value is not None else None

    def delete_ids(self, object_ids: Iterable[str]) -> set[str]:
        """Delete the rows of ``object_ids``; the ids that had one."""
        wanted = list(dict.fromkeys(object_ids))
        if not wanted:
            return set()
        table = KEYS_TABLE
        removed: set[str] = set()
        with self._writing() as connection:
            for part in _parts(wanted):
                found = connection.execute(select(table.c.id).where(table.c.id.in_(part)))
                removed.update(found.scalars())
                connection.execute(delete(table).where(table.c.id.in_(part)))
        return removed

    def ids(self) -> Iterator[str]:
        """Every object id with a key row, sorted."""
        table = KEYS_TABLE
        with self._reading() as connection:
            found = list(connection.execute(select(table.c.id).order_by(table.c.id)).scalars())
        return iter(found)


def _parts(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


__all__ = ["KEYS_TABLE", "DatabaseKeyRows", "VaultKey", "writes_through"]
