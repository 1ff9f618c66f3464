"""Locks held until the end of a transaction, so a check and the write it allows are one.

A check made with a plain read ("fewer than N jobs running?") and the insert it allows
can interleave with another process doing the same: both read the old count and both
insert. :func:`lock_keys` makes such transactions take turns:

* PostgreSQL: a transaction-scoped advisory lock per key (``pg_advisory_xact_lock``),
  so only transactions about the same key wait for each other; released at commit or
  rollback. Keys are taken in sorted order, so two transactions never deadlock.
* SQLite: the database's write lock, taken at once (``BEGIN IMMEDIATE``) instead of at
  the first write. SQLite has one writer at a time anyway: keys make no difference.

Call it first in the transaction, before the reads it protects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Connection, text

# A namespace of our own in PostgreSQL's two-key advisory locks (apart from the one-key
# space that the migration lock uses).
_PG_LOCK_SPACE = 0x7276_0001

_PG_LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")


def _pg_key(key: str) -> int:
    """A signed 32-bit number for ``key`` (two keys sharing one only wait for each other)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)


def lock_keys(connection: Connection, keys: Iterable[str]) -> None:
    """Hold a lock on each of ``keys`` until ``connection``'s transaction ends."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        for number in sorted({_pg_key(key) for key in keys}):
            connection.execute(_PG_LOCK, {"space": _PG_LOCK_SPACE, "key": number})
    elif dialect == "sqlite":
        # The driver opens its transaction lazily, at the first write; one already open
        # has written, so it holds the write lock already.
        dbapi = connection.connection.dbapi_connection
        if dbapi is not None and not getattr(dbapi, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


__all__ = ["lock_keys"]
