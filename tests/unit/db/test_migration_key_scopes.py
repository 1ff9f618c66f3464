"""Migration key_scopes: keys made before scopes existed keep working (every non-admin scope)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Date, Engine, inspect, text

from reelvault.db.session import alembic_config, make_db_engine
from tests.storage_backends import PostgresDatabases


def _engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Engine:
    if backend == "sqlite":
        return make_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = "rv_mig_" + secrets.token_hex(6)
    databases._create(name)  # an empty database: the migrations run from the start
    request.addfinalizer(lambda: databases.drop(name))
    return make_db_engine(databases._url(name))


def test_existing_keys_get_every_scope_but_admin(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = _engine(database_backend, tmp_path, request)
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0010")
            connection.execute(
                text(
                    "INSERT INTO owners (id, kind, data_class, created_at, last_seen_at)"
                    " VALUES ('own_1', 'api_key', 'account', '2026-01-01 00:00:00',"
                    " '2026-01-01 00:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO api_keys (id, owner_id, name, prefix, secret_hash, created_at)"
                    " VALUES ('key_old', 'own_1', 'old', 'rv-abcdefg', :digest,"
                    " '2026-01-01 00:00:00')"
                ),
                {"digest": "0" * 64},
            )
            command.upgrade(config, "head")
            row = connection.execute(
                text("SELECT scopes, last_used_on FROM api_keys WHERE id = 'key_old'")
            ).one()
            columns = {c["name"]: c for c in inspect(connection).get_columns("api_keys")}
    finally:
        engine.dispose()
    assert row.scopes == "privacy videos:read videos:write"
    assert row.last_used_on is None
    assert columns["scopes"]["nullable"] is False
    assert isinstance(columns["last_used_on"]["type"], Date)  # a day, never a timestamp
