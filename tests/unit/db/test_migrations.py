"""The schema comes from Alembic migrations and matches the models."""

from __future__ import annotations

import stat
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from reelvault.db.base import Base
from reelvault.db.session import make_db_engine, migrate


def test_migrations_create_the_models_schema_exactly(tmp_path: Path) -> None:
    engine = make_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert {"jobs", "stored_objects", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1
    engine.dispose()


def test_database_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.db"
    engine = make_db_engine(f"sqlite:///{path}")
    migrate(engine)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    engine.dispose()
