"""Which vault objects the database refers to.

A row refers to a vault object through ``stored_objects.id`` or through a column named
``object_id`` or ending in ``_object`` (the convention every model follows; a test holds
every model to it). Anything in the vault that no row refers to is an orphan: the privacy
audit reports it and the retention sweeper shreds it after a grace period.
"""

from __future__ import annotations

from sqlalchemy import Column, select
from sqlalchemy.orm import Session

from reelvault.db import (  # noqa: F401 - their tables count too
    character_models,
    dsr_models,
    moderation_models,
    privacy_models,
)
from reelvault.db.base import Base
from reelvault.db.models import StoredObject


def is_reference_column(column: Column[object]) -> bool:
    return column.name == "object_id" or column.name.endswith("_object")


def vault_references(session: Session) -> set[str]:
    """Every vault object id some row refers to."""
    found: set[str] = set(session.scalars(select(StoredObject.id)))
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if is_reference_column(column):
                found.update(value for value in session.scalars(select(column)) if value)
    return found


__all__ = ["is_reference_column", "vault_references"]
