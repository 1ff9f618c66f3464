"""Deleting rows whose retention ended: one rule for every table with an ``expires_at``.

A row goes once ``expires_at <= now``; a NULL ``expires_at`` means "kept for as long as its
owner is" and never expires here. Each caller adds its own rule on top: rows still in force
that must stay (they lose their expiry instead), or what else goes with a row (its vault
object, rows linked to it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.orm import Session

from reelvault.runtime import Runtime


def is_expired(model: Any, now: datetime) -> ColumnElement[bool]:
    """The condition "retention ended" on ``model`` (any mapped class with ``expires_at``)."""
    return and_(model.expires_at.is_not(None), model.expires_at <= now)


def delete_expired_rows(
    runtime: Runtime,
    model: Any,
    *,
    keep: ColumnElement[bool] | None = None,
    with_row: Callable[[Session, Any], None] | None = None,
) -> int:
    """Delete the rows of ``model`` past their ``expires_at``; returns how many went.

    ``keep`` selects expired rows that must stay all the same (a decision still in force):
    they lose their expiry instead of going. ``with_row`` is called with each row before it
    is deleted, in the same session, to remove what goes with it; without it the rows go
    in one bulk DELETE.
    """
    expired = is_expired(model, runtime.clock())
    with runtime.session() as session:
        if keep is not None:
            session.execute(update(model).where(expired, keep).values(expires_at=None))
        if with_row is None:
            result = session.execute(delete(model).where(expired))
            return int(getattr(result, "rowcount", 0) or 0)
        rows = session.scalars(select(model).where(expired)).all()
        for row in rows:
            with_row(session, row)
            session.delete(row)
        return len(rows)


__all__ = ["delete_expired_rows", "is_expired"]
