"""Shared fixtures come from reelvault's own pytest plugin (settings on tmp_path, runtime).

The storage tests (db, jobs, privacy, api) run once per database backend: see
``tests/storage_backends.py``.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from reelvault import runtime as runtime_module
from reelvault.accounts import passwords
from reelvault.db import session as db_session
from tests.s3_server import s3_server
from tests.storage_backends import database_backend, parametrize_storage_tests, postgres_databases
from tests.stripe_fake import fake_stripe

pytest_plugins = ["reelvault.testing"]


@pytest.fixture(autouse=True)
def _every_test_names_its_database(database_backend: str) -> str:
    return database_backend


# argon2id at its production cost (64 MiB, 3 passes) takes 0.1-0.4 s per sign-up or
# sign-in on a shared 2-core machine, and the account tests do hundreds: they test who may
# do what, not the cost. The production parameters are checked by the rehash test
# (tests/unit/api/test_accounts.py), which undoes this.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "hasher", lambda: _CHEAP_HASHER)


# Every test that opens a runtime on a new SQLite file would run the 22 migrations again
# (about 0.1 s each, thousands of times). The first one in each test process migrates a
# template with the real code; a new, empty file then gets the template's pages (SQLite's
# backup API): the same schema, made by the same migrations. A database that already has
# a schema (an older revision under test) is migrated for real, as is PostgreSQL (cloned
# from its own migrated template, tests/storage_backends.py).
_REAL_MIGRATE = db_session.migrate
_SQLITE_TEMPLATE: list[Path] = []


def _sqlite_template() -> Path:
    if not _SQLITE_TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="reelvault-schema-")) / "template.db"
        engine = db_session.make_db_engine(f"sqlite:///{path}")
        try:
            _REAL_MIGRATE(engine)
        finally:
            engine.dispose()
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


def _migrate_from_template(engine: Engine) -> None:
    database = engine.url.database
    if (
        engine.dialect.name != "sqlite"
        or database in (None, "", ":memory:")
        or db_session.current_revision(engine) is not None
    ):
        _REAL_MIGRATE(engine)
        return
    with sqlite3.connect(_sqlite_template()) as template:
        connection = engine.raw_connection()
        try:
            template.backup(connection.driver_connection)
        finally:
            connection.close()


@pytest.fixture(autouse=True)
def _migrated_sqlite_from_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_module, "migrate", _migrate_from_template)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_storage_tests(metafunc)


__all__ = ["database_backend", "fake_stripe", "postgres_databases", "s3_server"]
