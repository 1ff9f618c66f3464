"""Attempt counters in the database, so every API process of a deployment counts together.

Sign-in backoff and the sign-up limit per address used to count in each process's
memory: behind several API nodes each node counted its own, which multiplied every
allowance by the number of nodes. A counter here is one row per (kind, subject):

* the subject is never stored: only a keyed hash of it, under a key of its own kept in
  the vault (the subjects are already pseudonyms: an e-mail's lookup digest, today's
  address pseudonym; hashing again keeps these rows from joining the accounts table);
* a row is live until ``expires_at``, when its count would start over; the sweeper
  deletes it then, and a read ignores it before that.

:func:`bump` counts one attempt in one statement (an upsert), so two processes counting
at the same instant both count: neither increment is lost.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from reelvault.db.base import UTCDateTime
from reelvault.db.privacy_models import AttemptCounter
from reelvault.privacy.expiry import delete_expired_rows
from reelvault.privacy.secret_store import get_secret
from reelvault.runtime import Runtime
from reelvault.types import DataClass

SUBJECT_KEY_NAME = "attempt-counters"


@dataclass(frozen=True)
class Count:
    """A live counter: attempts since ``started_at``, the latest at ``last_at``."""

    count: int
    started_at: datetime
    last_at: datetime
    expires_at: datetime


def subject_hash(runtime: Runtime, kind: str, subject: str) -> str:
    """The keyed hash a counter is stored under (64 hex characters)."""
    key = get_secret(runtime, SUBJECT_KEY_NAME)
    return hmac.new(key, f"{kind}\0{subject}".encode(), hashlib.sha256).hexdigest()


def read(runtime: Runtime, kind: str, subjects: Sequence[str]) -> list[Count]:
    """The live counters of ``subjects`` (those never counted, or expired, are absent)."""
    hashes = [subject_hash(runtime, kind, subject) for subject in subjects]
    now = runtime.clock()
    with runtime.session() as session:
        rows = session.scalars(
            select(AttemptCounter).where(
                AttemptCounter.kind == kind,
                AttemptCounter.subject_hash.in_(hashes),
                AttemptCounter.expires_at > now,
            )
        ).all()
        return [Count(row.count, row.started_at, row.last_at, row.expires_at) for row in rows]


def bump(runtime: Runtime, kind: str, subject: str, lifetime: timedelta, *, sliding: bool) -> Count:
    """Count one attempt and return the counter as it now stands.

    A counter past its ``expires_at`` starts over at 1. ``lifetime`` is how long the
    counter lives: from its first attempt (a fixed window) or, ``sliding``, from its
    latest (so it starts over only after that long without an attempt).
    """
    now = runtime.clock()
    ends = now + lifetime
    table = AttemptCounter.__table__
    insert = _insert_for(runtime)(table).values(
        kind=kind,
        subject_hash=subject_hash(runtime, kind, subject),
        count=1,
        started_at=now,
        last_at=now,
        data_class=DataClass.ACCOUNT.value,
        expires_at=ends,
    )
    expired = table.c.expires_at <= literal(now, UTCDateTime())
    upsert = insert.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.subject_hash],
        set_={
            "count": case((expired, 1), else_=table.c.count + 1),
            "started_at": case((expired, literal(now, UTCDateTime())), else_=table.c.started_at),
            "last_at": literal(now, UTCDateTime()),
            "expires_at": (
                literal(ends, UTCDateTime())
                if sliding
                else case((expired, literal(ends, UTCDateTime())), else_=table.c.expires_at)
            ),
        },
    ).returning(table.c.count, table.c.started_at, table.c.last_at, table.c.expires_at)
    with runtime.transaction() as connection:
        count, started_at, last_at, expires_at = connection.execute(upsert).one()
    return Count(count, started_at, last_at, expires_at)


def _insert_for(runtime: Runtime) -> Any:
    # Both dialects spell the upsert the same way (INSERT ... ON CONFLICT DO UPDATE).
    return postgresql.insert if runtime.db.dialect.name == "postgresql" else sqlite.insert


def clear(runtime: Runtime, kind: str, subject: str) -> None:
    """Forget a subject's counter (a successful sign-in clears its account's failures)."""
    with runtime.session() as session:
        session.execute(
            delete(AttemptCounter).where(
                AttemptCounter.kind == kind,
                AttemptCounter.subject_hash == subject_hash(runtime, kind, subject),
            )
        )


def delete_expired(runtime: Runtime) -> int:
    """Forget counters whose window is over (run by the sweeper)."""
    return delete_expired_rows(runtime, AttemptCounter)


__all__ = ["SUBJECT_KEY_NAME", "Count", "bump", "clear", "delete_expired", "read", "subject_hash"]
