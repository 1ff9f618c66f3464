"""Run the storage tests (db, jobs, privacy, api) on SQLite and on PostgreSQL.

Tests in the folders of :data:`STORAGE_TEST_DIRS` get a ``database_backend`` parameter:
``sqlite`` (the embedded default) and ``postgresql``. With ``postgresql`` every data
folder a test's settings use (:func:`reelvault.testing.settings_for`) gets a database of
its own, cloned from a template that the migrations built once per session, so the test
runs the same code on a real PostgreSQL server. A test that is about SQLite itself
carries the ``sqlite_only`` marker.

A database a test is done with is emptied and handed to a later test (a few
milliseconds) rather than dropped and cloned again (about 0.15 s of the server's time
each, on a machine whose two cores the tests need): only when no connection to it is
left and its schema is still the template's (same columns, indexes, constraints,
triggers, functions and migration revision); anything else is dropped.

``REELVAULT_TEST_DATABASES=sqlite`` (or ``postgresql``) runs one backend only; the
privacy mutation runs use it so they do not double. Without a PostgreSQL server the
``postgresql`` cases skip with the reason (under CI they fail, see ``tests.services``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.services import POSTGRES_URL, unavailable

_CLONES_AHEAD = 2  # databases each test process keeps cloned for the tests to come
STORAGE_TEST_DIRS = ("tests/unit/db", "tests/unit/jobs", "tests/unit/privacy", "tests/unit/api")
BACKENDS = ("sqlite", "postgresql")

# What must be as the template left it for an emptied database to pass for a new clone.
_SCHEMA_FINGERPRINT = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':'
                     || is_nullable || ':' || coalesce(column_default, ''), ','
                     ORDER BY table_name, column_name)
     FROM information_schema.columns WHERE table_schema = 'public'),
  (SELECT string_agg(indexdef, ',' ORDER BY indexdef)
     FROM pg_indexes WHERE schemaname = 'public'),
  (SELECT string_agg(conname || ' ' || pg_get_constraintdef(oid), ',' ORDER BY conname)
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
  (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal),
  (SELECT count(*) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
  (SELECT string_agg(version_num, ',') FROM alembic_version)))
"""
_OTHER_CONNECTIONS = """
SELECT count(*) FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


def wanted_backends() -> list[str]:
    chosen = os.environ.get("REELVAULT_TEST_DATABASES", ",".join(BACKENDS))
    return [name for name in BACKENDS if name in chosen.split(",")]


def is_storage_test(path: Path, root: Path) -> bool:
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else ""
    return any(relative.startswith(folder + "/") for folder in STORAGE_TEST_DIRS)


class PostgresDatabases:
    """Fresh databases on the test server, cloned from one migrated template."""

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        self._admin: Engine | None = None
        self._template: str | None = None
        self._fingerprint: str | None = None
        self._problem: str | None = None
        self._cloner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-clone")
        self._ahead: deque[Future[str | None]] = deque()
        self._ahead_drops: list[Future[None]] = []

    def _connect(self) -> Engine:
        if self._admin is None and self._problem is None:
            try:
                admin = create_engine(self._admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text("SELECT 1"))
                self._admin = admin
            except ModuleNotFoundError as exc:
                self._problem = f"the {exc.name} driver is not installed"
            except Exception as exc:  # down, refusing, or a wrong URL
                self._problem = type(exc).__name__
        if self._admin is None:
            unavailable("PostgreSQL", f"{self._problem}; set REELVAULT_TEST_POSTGRES_URL")
            raise AssertionError  # unreachable: unavailable() raises
        return self._admin

    def _url(self, name: str) -> str:
        return make_url(self._admin_url).set(database=name).render_as_string(hide_password=False)

    def _template_name(self) -> str:
        if self._template is None:
            from reelvault.db.session import make_db_engine, migrate

            name = "rv_tmpl_" + secrets.token_hex(6)
            self._create(name)
            engine = make_db_engine(self._url(name))
            try:
                migrate(engine)
                with engine.connect() as connection:
                    self._fingerprint = connection.execute(text(_SCHEMA_FINGERPRINT)).scalar_one()
            finally:
                engine.dispose()
            self._template = name
        return self._template

    def _create(self, name: str, template: str | None = None) -> None:
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._connect().connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))

    def _clone(self, template: str) -> str:
        name = "rv_test_" + secrets.token_hex(6)
        self._create(name, template)
        return name

    def new(self) -> tuple[str, str]:
        """(name, URL) of an empty database with the current schema.

        An emptied one a test has finished with where there is one, else a clone: a
        thread clones the next ones while a test runs, so most tests find theirs ready.
        """
        template = self._template_name()
        while True:
            while len(self._ahead) <= _CLONES_AHEAD:
                self._ahead.append(self._cloner.submit(self._clone, template))
            name = self._ahead.popleft().result()
            if name is not None:  # None: a finished one that could not be reused
                return name, self._url(name)

    def drop(self, name: str) -> None:
        with self._connect().connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_later(self, name: str) -> None:
        """Drop on the cloning thread: a DROP waits for a CREATE under way (both lock the
        catalogue of databases), so a test that dropped its own would wait for the clone."""
        self._ahead_drops.append(self._cloner.submit(self.drop, name))

    def recycle_later(self, name: str) -> Future[str | None]:
        """Empty the database on the cloning thread for a later test (or drop it)."""
        recycled = self._cloner.submit(self._recycle, name)
        self._ahead.append(recycled)
        return recycled

    def _recycle(self, name: str) -> str | None:
        engine = create_engine(self._url(name), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                if not self._alone(connection) or (
                    connection.execute(text(_SCHEMA_FINGERPRINT)).scalar_one() != self._fingerprint
                ):
                    raise LookupError(name)
                _empty(connection)
            return name
        except Exception:  # in use, changed, or gone: a clone replaces it
            engine.dispose()
            self.drop(name)
            return None
        finally:
            engine.dispose()

    @staticmethod
    def _alone(connection: Connection) -> bool:
        """No other connection: the test's own pools close as it ends, a moment later."""
        deadline = time.monotonic() + 0.5
        while connection.execute(text(_OTHER_CONNECTIONS)).scalar_one():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self) -> None:
        for dropping in self._ahead_drops:
            with contextlib.suppress(Exception):  # reported by the drop's own test run
                dropping.result()
        while self._ahead:
            with contextlib.suppress(Exception):  # a clone that failed left nothing to drop
                name = self._ahead.popleft().result()
                if name is not None:
                    self.drop(name)
        self._cloner.shutdown()
        if self._template is not None:
            self.drop(self._template)
        if self._admin is not None:
            self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.close()


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """``sqlite`` or ``postgresql``: which database this test's runtimes open."""
    backend: str = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield backend
        return
    if request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about SQLite itself")
    import reelvault.testing  # late: pytest loads it as a plugin (assertion rewriting)

    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    monkeypatch: pytest.MonkeyPatch = request.getfixturevalue("monkeypatch")
    # The first data folder gets the database that REELVAULT_DATABASE_URL names too, so
    # the CLI run in-process on that folder (settings from the environment) sees it.
    first = databases.new()
    monkeypatch.setenv("REELVAULT_DATABASE_URL", first[1])
    created: dict[Path, tuple[str, str]] = {}

    def database_for(data_dir: Path) -> str:
        if data_dir.resolve() not in created:
            created[data_dir.resolve()] = first if not created else databases.new()
        return created[data_dir.resolve()][1]

    reelvault.testing.database_for_data_dir = database_for
    try:
        yield backend
    finally:
        reelvault.testing.database_for_data_dir = None
        for name in {first[0], *(name for name, _url in created.values())}:
            databases.recycle_later(name)


def _empty(connection: Connection) -> None:
    """Every row gone (the migration revision kept), every sequence from its start."""
    connection.execute(text("SET LOCAL lock_timeout = '1s'"))
    # Foreign keys are triggers: off for this transaction, so the order does not matter.
    connection.execute(text("SET LOCAL session_replication_role = replica"))
    tables = connection.execute(
        text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
    ).scalars()
    for table in list(tables):
        connection.execute(text(f'DELETE FROM "{table}"'))
    sequences = connection.execute(
        text("SELECT sequence_name FROM information_schema.sequences")
    ).scalars()
    for sequence in list(sequences):
        connection.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


def parametrize_storage_tests(metafunc: pytest.Metafunc) -> None:
    """Give each storage test one case per wanted backend."""
    if "database_backend" not in metafunc.fixturenames:
        return
    if not is_storage_test(Path(str(metafunc.definition.path)), metafunc.config.rootpath):
        return
    metafunc.parametrize("database_backend", wanted_backends(), indirect=True)


def database_holds(db: Engine, needle: bytes, *, whole: bool = False) -> bool:
    """Whether ``needle`` is anywhere in the database's stored bytes.

    SQLite: the database file and its write-ahead log, byte for byte (freed pages too).
    PostgreSQL: every row of every table as text, with bytea columns in hex, so both a
    text value and binary content are found.

    ``whole``: only where no letter or digit touches it on either side. For short needles
    (a card's last four digits): random ids and times hold any four digits now and then.
    """
    url = db.url
    if url.get_backend_name() == "sqlite":
        main = Path(str(url.database))
        files = [main, main.with_name(main.name + "-wal")]
        pattern = re.compile(
            (rb"(?<![0-9A-Za-z])" + re.escape(needle) + rb"(?![0-9A-Za-z])")
            if whole
            else re.escape(needle)
        )
        return any(path.is_file() and pattern.search(path.read_bytes()) for path in files)
    wanted = [needle.decode("utf-8", "replace").lower(), needle.hex()]
    patterns = [
        re.compile(
            (r"(?<![0-9a-z])" + re.escape(piece) + r"(?![0-9a-z])") if whole else re.escape(piece)
        )
        for piece in wanted
    ]
    with db.connect() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for table in list(tables):
            rows = connection.execute(text(f'SELECT t::text FROM "{table}" t')).scalars()
            for row in rows:
                if any(pattern.search(row.lower()) for pattern in patterns):
                    return True
    return False
