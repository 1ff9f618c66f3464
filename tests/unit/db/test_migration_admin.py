"""Migration admin: accounts made before it stay people (kind "person", no quota), and an
account without an address or a password (the local operator's) can exist after it."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from reelvault.db.session import alembic_config

from .test_migration_key_scopes import _engine

NOW = "'2026-01-01 00:00:00'"


def test_existing_accounts_become_people_and_the_operator_fits(
    database_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = _engine(database_backend, tmp_path, request)
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0014")
            for owner in ("own_1", "local"):
                connection.execute(
                    text(
                        "INSERT INTO owners (id, kind, data_class, created_at, last_seen_at)"
                        f" VALUES ('{owner}', 'account', 'account', {NOW}, {NOW})"
                    )
                )
            connection.execute(
                text(
                    "INSERT INTO accounts (id, owner_id, email_lookup, email_object,"
                    " password_hash, role, created_at, age_confirmed_at) VALUES ('acc_1',"
                    f" 'own_1', 'lookup', 'obj', '$argon2id$x', 'user', {NOW}, {NOW})"
                )
            )
            command.upgrade(config, "head")
            row = connection.execute(text("SELECT kind, quota FROM accounts")).one()
            connection.execute(
                text(
                    "INSERT INTO accounts (id, owner_id, role, kind, created_at,"
                    f" age_confirmed_at) VALUES ('acc_op', 'local', 'admin', 'operator',"
                    f" {NOW}, {NOW})"
                )
            )
            command.downgrade(config, "0014")  # the operator account cannot survive it
            left = connection.execute(text("SELECT id FROM accounts")).scalars().all()
            columns = {c["name"] for c in inspect(connection).get_columns("accounts")}
    finally:
        engine.dispose()
    assert (row.kind, row.quota) == ("person", None)
    assert left == ["acc_1"] and "kind" not in columns and "quota" not in columns
