"""The PostgreSQL storage tests hand an emptied database on, never a used one.

tests/storage_backends.py empties the database a test is done with for a later test
instead of dropping it. A test that sees another's rows would pass or fail by chance,
so an emptied database must hold no row, count its sequences from the start, and one
that is still in use or whose schema a test changed must not be handed on at all.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from reelvault.accounts.owners import new_owner
from reelvault.app.compose import open_runtime
from reelvault.testing import registry_with_fake, settings_for
from tests.services import POSTGRES_URL
from tests.storage_backends import PostgresDatabases


def _rows(url: str) -> dict[str, int]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
            return {
                table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in list(tables)
            }
    finally:
        engine.dispose()


def _exists(name: str) -> bool:
    engine = create_engine(POSTGRES_URL, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"), {"name": name}
            )
            return bool(found.scalar_one())
    finally:
        engine.dispose()


def test_a_finished_database_comes_back_empty(
    tmp_path: Path, postgres_databases: PostgresDatabases
) -> None:
    name, url = postgres_databases.new()
    runtime = open_runtime(settings_for(tmp_path, database_url=url), registry=registry_with_fake())
    try:
        new_owner(runtime, "api_key")
    finally:
        runtime.close()
    used = _rows(url)
    assert used["owners"] == 1 and used["alembic_version"] == 1

    assert postgres_databases.recycle_later(name).result() == name
    assert {table: count for table, count in _rows(url).items() if count} == {"alembic_version": 1}
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT nextval('consent_records_seq_seq')"))
            assert first.scalar_one() == 1
    finally:
        engine.dispose()


def test_a_database_whose_schema_changed_is_dropped(
    postgres_databases: PostgresDatabases,
) -> None:
    name, url = postgres_databases.new()
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE owners ADD COLUMN left_behind text"))
    engine.dispose()
    assert postgres_databases.recycle_later(name).result() is None
    assert not _exists(name)


def test_a_database_still_in_use_is_dropped(postgres_databases: PostgresDatabases) -> None:
    name, url = postgres_databases.new()
    engine = create_engine(url, poolclass=NullPool)
    lingering = engine.connect()  # a process the test started and did not stop
    try:
        assert postgres_databases.recycle_later(name).result() is None
    finally:
        lingering.close()
        engine.dispose()
    assert not _exists(name)
