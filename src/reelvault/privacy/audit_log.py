"""The audit log: append-only and hash-chained, holding counts and pseudonymous ids only.

Each entry's ``hash`` is an HMAC-SHA256, under a key kept in the vault, of the canonical
JSON of its content and the hash of the entry before it, so editing, removing or
reordering any entry breaks the chain from that point on and :func:`verify` says where.
Being keyed, the chain cannot be rewritten by someone who can write the database but
not read the vault: recomputing every hash is not enough. The chain's start is anchored
to the key too (the first entry follows a genesis value derived from it), and once the
key exists an emptied log is reported. A log written before the chain was keyed (plain
SHA-256) is checked and re-hashed under the key, once, by the first entry recorded
after the upgrade.

Removing the newest entries cannot be seen from the chain alone: compare the head
(``AuditReport.head_hash``) with one noted earlier, outside the database
(``reelvault audit verify --expect-head``).

Entries expire per the policy's ``audit_entry`` retention. :func:`prune_expired` removes
the oldest ones and records where the chain now starts (``audit_anchor``), so pruning
is told apart from tampering.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time as time_module
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from reelvault.db.privacy_models import AuditAnchor, AuditEntry
from reelvault.errors import StorageError, ValidationError
from reelvault.privacy.redact import contains_pii
from reelvault.privacy.secret_store import get_secret, read_secret
from reelvault.runtime import Runtime
from reelvault.types import DataClass
from reelvault.vault import Vault

GENESIS_HASH = "0" * 64  # where a chain started before it was keyed
CHAIN_KEY_NAME = "audit-chain"
SYSTEM_ACTOR = "system"
_ANCHOR_ID = 1
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Ids, pseudonyms and enum values: no spaces, dots or "@", so no prose, e-mail or IPv4.
_TOKEN = re.compile(r"^[A-Za-z0-9_:\-]{1,80}$")
_WRITE_ATTEMPTS = 50

FieldValue = int | float | bool | str | None


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    kind: str  # edited, missing, broken_link, bad_start, head_mismatch, emptied, rewritten
    detail: str


@dataclass
class AuditReport:
    entries: int = 0
    first_seq: int | None = None
    head_seq: int | None = None
    head_hash: str = GENESIS_HASH
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_seq": self.first_seq,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": [vars(problem) for problem in self.problems],
        }


def _check_token(value: str, what: str) -> None:
    if not _TOKEN.match(value) or contains_pii(value):
        # The value is not echoed: it might be exactly what must not be written anywhere.
        raise ValidationError(
            f"audit {what} must be an id, a pseudonym or a count, not free text", param=what
        )


def _check_fields(fields: dict[str, Any]) -> dict[str, FieldValue]:
    checked: dict[str, FieldValue] = {}
    for name, value in fields.items():
        if not _FIELD_NAME.match(name):
            raise ValidationError("audit field names are snake_case identifiers", param=name)
        if isinstance(value, str):
            _check_token(value, name)
        elif value is not None and not isinstance(value, int | float | bool):
            raise ValidationError(
                "audit fields hold counts, flags, ids or pseudonyms only", param=name
            )
        checked[name] = value
    return checked


def canonical_json(
    *,
    seq: int,
    time: datetime,
    action: str,
    actor: str,
    fields: dict[str, Any],
    prev_hash: str,
) -> str:
    """The exact text an entry's hash covers (sorted keys, no whitespace, ASCII)."""
    return json.dumps(
        {
            "seq": seq,
            "time": time.isoformat(),
            "action": action,
            "actor": actor,
            "fields": fields,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    )


def entry_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """The entry's chain hash: HMAC-SHA256 under ``key``, or plain SHA-256 (legacy)."""
    text = canonical_json(
        seq=entry.seq,
        time=entry.time,
        action=entry.action,
        actor=entry.actor,
        fields=entry.fields,
        prev_hash=entry.prev_hash,
    ).encode("ascii")
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


# Deployments (by their vault) whose log this process has checked for legacy entries.
_rekey_checked: weakref.WeakSet[Vault] = weakref.WeakSet()


def chain_key(runtime: Runtime) -> bytes:
    """The chain's HMAC key (created in the vault on first use).

    The first call in a process also makes sure the log is keyed throughout: a log from
    before keying is re-hashed under the key (see :func:`_rekey_legacy_entries`).
    """
    key = get_secret(runtime, CHAIN_KEY_NAME)
    if runtime.vault not in _rekey_checked:
        _rekey_legacy_entries(runtime, key)
        _rekey_checked.add(runtime.vault)
    return key


def _rekey_legacy_entries(runtime: Runtime, key: bytes) -> int:
    """Re-hash a log written with plain SHA-256 under ``key``; returns how many entries.

    Only an intact legacy chain is re-hashed (each entry must match its plain hash and
    follow the one before), so an edit made before the upgrade stays visible. A keyed
    head means the whole log is keyed already: one query per process.
    """
    with runtime.session() as session:
        head = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
        if head is None or hmac.compare_digest(entry_hash(head, key), head.hash):
            return 0
        anchor = session.get(AuditAnchor, _ANCHOR_ID)
        previous_plain = anchor.hash if anchor else GENESIS_HASH
        previous_keyed = anchor.hash if anchor else keyed_genesis(key)
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        for entry in entries:
            if entry.prev_hash != previous_plain or entry_hash(entry) != entry.hash:
                return 0  # not an intact legacy chain: leave it for verify to report
            previous_plain = entry.hash
            entry.prev_hash = previous_keyed
            entry.hash = previous_keyed = entry_hash(entry, key)
        return len(entries)


def keyed_genesis(key: bytes) -> str:
    """Where a keyed chain starts: only the key's holder can start a chain that verifies."""
    return hmac.new(key, b"reelvault audit chain genesis", hashlib.sha256).hexdigest()


def _chain_tail(session: Session, key: bytes) -> tuple[int, str]:
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    if last is not None:
        return last.seq, last.hash
    anchor = session.get(AuditAnchor, _ANCHOR_ID)
    if anchor is not None:
        return anchor.seq, anchor.hash
    return 0, keyed_genesis(key)


def record(runtime: Runtime, action: str, *, actor: str = SYSTEM_ACTOR, **fields: Any) -> int:
    """Append an entry; returns its sequence number.

    ``fields`` may hold counts, flags, ids and pseudonyms, never personal data: strings
    are refused unless they look like an id (no spaces, dots or ``@``) and contain
    nothing the redactor recognises. Concurrent writers (API, workers, sweeper) each
    get the next number: a lost race on the primary key is retried.
    """
    if not _ACTION.match(action):
        raise ValidationError("audit actions are dotted snake_case names", param="action")
    _check_token(actor, "actor")
    checked = _check_fields(fields)
    key = chain_key(runtime)
    for attempt in range(_WRITE_ATTEMPTS):
        now = runtime.clock().astimezone(UTC)
        try:
            with runtime.session() as session:
                last_seq, last_hash = _chain_tail(session, key)
                entry = AuditEntry(
                    seq=last_seq + 1,
                    time=now,
                    action=action,
                    actor=actor,
                    fields=checked,
                    prev_hash=last_hash,
                    data_class=DataClass.AUDIT_ENTRY.value,
                    expires_at=runtime.policy.expires_at(DataClass.AUDIT_ENTRY, now=now),
                )
                entry.hash = entry_hash(entry, key)
                session.add(entry)
            return entry.seq
        except (DbIntegrityError, OperationalError):
            # Another writer took this number (or holds the SQLite write lock): retry.
            time_module.sleep(min(0.001 * 2**attempt, 0.05))
    raise StorageError("could not append to the audit log (too much contention)")


def iter_entries(runtime: Runtime, *, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every entry in sequence order, read in batches."""
    after = -1
    while True:
        with runtime.session() as session:
            rows = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > after)
                .order_by(AuditEntry.seq)
                .limit(batch)
            ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def tail(runtime: Runtime, count: int = 20) -> list[AuditEntry]:
    with runtime.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(count))
        return list(reversed(rows.all()))


def verify(runtime: Runtime, *, expected_head: str | None = None) -> AuditReport:
    """Check the whole chain; every problem found is listed (by sequence number)."""
    report = AuditReport()
    key = read_secret(runtime, CHAIN_KEY_NAME)
    with runtime.session() as session:
        anchor = session.get(AuditAnchor, _ANCHOR_ID)
    prev_seq = anchor.seq if anchor else 0
    prev_hash = anchor.hash if anchor else (keyed_genesis(key) if key else GENESIS_HASH)
    first = True
    for entry in iter_entries(runtime):
        report.entries += 1
        if first:
            report.first_seq = entry.seq
        if key is None:
            if first:
                report.problems.append(
                    AuditProblem(entry.seq, "rewritten", "the chain key is gone from the vault")
                )
        elif not hmac.compare_digest(entry_hash(entry, key), entry.hash):
            report.problems.append(
                AuditProblem(entry.seq, "edited", "the entry does not match its hash")
            )
        if entry.seq != prev_seq + 1:
            kind = "bad_start" if first else "missing"
            report.problems.append(
                AuditProblem(
                    entry.seq, kind, f"expected entry {prev_seq + 1}, found entry {entry.seq}"
                )
            )
        elif entry.prev_hash != prev_hash and key is not None:
            kind = "bad_start" if first else "broken_link"
            report.problems.append(
                AuditProblem(
                    entry.seq,
                    kind,
                    "the entry does not follow the one before it (removed, replaced or moved)",
                )
            )
        first = False
        prev_seq, prev_hash = entry.seq, entry.hash
    if key is not None and not report.entries and anchor is None:
        # The key is made for the first entry: entries existed, and are gone.
        report.problems.append(AuditProblem(0, "emptied", "the log's entries are gone"))
    report.head_seq = prev_seq if report.entries or prev_seq else None
    report.head_hash = prev_hash
    if expected_head is not None and expected_head not in (prev_hash, f"{prev_seq}:{prev_hash}"):
        report.problems.append(
            AuditProblem(
                prev_seq,
                "head_mismatch",
                "the newest entry is not the one expected (entries removed from the end?)",
            )
        )
    return report


def prune_expired(runtime: Runtime) -> int:
    """Remove the oldest entries past their ``expires_at``, moving the anchor past them."""
    now = runtime.clock()
    removed = 0
    while True:
        with runtime.session() as session:
            rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq).limit(500)).all()
            expired: list[AuditEntry] = []
            for row in rows:
                if row.expires_at is None or row.expires_at > now:
                    break
                expired.append(row)
            if not expired:
                return removed
            anchor = session.get(AuditAnchor, _ANCHOR_ID)
            if anchor is None:
                anchor = AuditAnchor(id=_ANCHOR_ID, seq=0, hash=GENESIS_HASH, updated_at=now)
                session.add(anchor)
            anchor.seq = expired[-1].seq
            anchor.hash = expired[-1].hash
            anchor.updated_at = now
            for row in expired:
                session.delete(row)
            removed += len(expired)
            if len(expired) < len(rows):
                return removed


__all__ = [
    "CHAIN_KEY_NAME",
    "GENESIS_HASH",
    "SYSTEM_ACTOR",
    "AuditProblem",
    "AuditReport",
    "canonical_json",
    "chain_key",
    "entry_hash",
    "iter_entries",
    "keyed_genesis",
    "prune_expired",
    "record",
    "tail",
    "verify",
]
