"""Engine and session factories, SQLite tuning and migrations at start-up."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from reelvault.db.liveness import check_on_checkout
from reelvault.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the API read while workers write; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Freed pages are zeroed so deleted rows do not linger in the database file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _create_private_file(path: Path) -> None:
    """Create the database file readable by this user only, before SQLite does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def make_db_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> Engine:
    """A SQLAlchemy engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    Other databases (PostgreSQL through psycopg 3) get a connection pool of ``pool_size``
    plus ``max_overflow``, each connection checked before use so a restarted server is
    reconnected to instead of failing the next request (:mod:`reelvault.db.liveness`:
    a round trip only when the server has spoken, not ``pool_pre_ping``'s on every use).
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with the URL inside
        raise ConfigError(f"invalid setting database_url: {type(exc).__name__}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            _create_private_file(Path(database))
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    try:
        engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    except ModuleNotFoundError as exc:  # the driver is an optional dependency
        raise ConfigError(
            f"database_url needs the {exc.name} package: pip install 'reelvault[scale]'"
        ) from None
    check_on_checkout(engine)
    return engine


def truncate_wal(engine: Engine) -> bool:
    """Copy SQLite's write-ahead log into the database and empty it. Best effort.

    ``secure_delete`` zeroes deleted rows in the database file, but the WAL still holds
    the page images written before the delete until they happen to be overwritten. After
    an erasure those images are the last copy of what was erased. Returns False when the
    log could not be emptied now (another connection is reading); the next checkpoint
    will. Other databases keep no such file here: True.
    """
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    return busy is None or busy[0] == 0


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations between processes sharing one SQLite file."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_suffix(".migrate.lock")
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


# Any constant: the advisory lock's key, the same in every reelvault process.
_PG_MIGRATION_LOCK = 0x7265_656C


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe from several processes).

    On SQLite a lock file serialises processes sharing the file; on PostgreSQL a
    transaction-scoped advisory lock does (API nodes and workers may start together).
    """
    if current_revision(engine) == _newest_revision():
        return  # nothing to do: no lock to take, no Alembic environment to load
    config = alembic_config(engine)
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    """The newest revision this version of reelvault knows."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


@functools.cache
def _newest_revision() -> str | None:
    """:func:`head_revision`, read once: the migration scripts ship with the code."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


__all__ = [
    "alembic_config",
    "current_revision",
    "head_revision",
    "make_db_engine",
    "make_session_factory",
    "migrate",
    "truncate_wal",
]
