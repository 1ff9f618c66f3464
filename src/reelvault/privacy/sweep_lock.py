"""One retention sweep at a time across every node of a deployment.

Every node may run the sweeper (API nodes, worker nodes, an operator's ``reelvault
privacy sweep``); a database lock lets one of them sweep while the others skip that
round, instead of a second scheduler to configure. PostgreSQL: a session-level advisory
lock (``pg_try_advisory_lock``), released by the server if the node dies. SQLite (one
machine): an exclusive ``flock`` on a file next to the database, released by the kernel
if the process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from reelvault.runtime import Runtime

# A constant of this application (any 64-bit number; "rvsweep" in ASCII), apart from the
# migration lock's.
ADVISORY_KEY = 0x72_76_73_77_65_65_70


@contextlib.contextmanager
def sweep_lock(runtime: Runtime) -> Iterator[bool]:
    """Yields True while this process holds the deployment's sweep lock, False when
    another sweep holds it (the caller skips this round)."""
    if runtime.db.dialect.name == "postgresql":
        with _advisory_lock(runtime) as held:
            yield held
    else:
        with _file_lock(_lock_path(runtime)) as held:
            yield held


@contextlib.contextmanager
def _advisory_lock(runtime: Runtime) -> Iterator[bool]:
    # The lock belongs to this connection's session: hold the connection for the sweep.
    with runtime.db.connect() as connection:
        held = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
            ).scalar_one()
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()


def _lock_path(runtime: Runtime) -> Path:
    database = runtime.db.url.database
    if database and database != ":memory:":
        return Path(database).with_name(Path(database).name + ".sweep-lock")
    return runtime.settings.data_dir / "sweep.lock"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


__all__ = ["ADVISORY_KEY", "sweep_lock"]
