"""Alembic environment: runs on the connection handed over by reelvault.db.session.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import reelvault.db.character_models  # saved likenesses
import reelvault.db.dsr_models  # the data-subject rights tables
import reelvault.db.moderation_models  # abuse reports
import reelvault.db.privacy_models  # noqa: F401  (the privacy tables)
from reelvault.db import models  # noqa: F401  (registers the tables on Base.metadata)
from reelvault.db.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        context.configure(
            connection=fresh,
            target_metadata=target_metadata,
            render_as_batch=fresh.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
