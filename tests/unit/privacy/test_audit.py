"""The audit log is a hash chain: any edit, removal or reordering is caught by verify."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import delete, select, update

from reelvault.db.privacy_models import AuditEntry, PrivacySecret
from reelvault.errors import ValidationError
from reelvault.privacy import audit_log
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock

from .conftest import OpenRuntime


def _fill(runtime: Runtime, count: int = 5) -> None:
    for index in range(count):
        audit_log.record(runtime, "retention.sweep", objects_shredded=index, jobs_deleted=1)


def test_a_fresh_chain_verifies_and_links_each_entry(runtime: Runtime) -> None:
    assert audit_log.verify(runtime).ok
    _fill(runtime)
    report = audit_log.verify(runtime)
    assert report.ok and report.entries == 5 and report.head_seq == 5
    entries = list(audit_log.iter_entries(runtime))
    assert entries[0].prev_hash == audit_log.keyed_genesis(audit_log.chain_key(runtime))
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.hash
    assert report.head_hash == entries[-1].hash


def test_an_edited_entry_is_detected(runtime: Runtime) -> None:
    _fill(runtime)
    with runtime.session() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == 3).values(fields={"objects_shredded": 0})
        )
    report = audit_log.verify(runtime)
    assert not report.ok
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "edited")]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(runtime: Runtime) -> None:
    _fill(runtime)
    with runtime.session() as session:
        entry = session.get(AuditEntry, 3)
        assert entry is not None
        entry.action = "nothing.happened"
        entry.hash = audit_log.entry_hash(entry, audit_log.chain_key(runtime))  # even with the key
    report = audit_log.verify(runtime)
    assert [(p.seq, p.kind) for p in report.problems] == [(4, "broken_link")]


def test_a_rewritten_chain_is_detected_without_the_key(runtime: Runtime) -> None:
    """Someone who can write the database but not read the vault rewrites every entry
    and recomputes every hash and link: an unkeyed chain would verify."""
    _fill(runtime)
    with runtime.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        previous = audit_log.GENESIS_HASH
        for entry in entries:
            entry.fields = {"objects_shredded": 0, "jobs_deleted": 0}
            entry.prev_hash = previous
            entry.hash = previous = audit_log.entry_hash(entry)
    report = audit_log.verify(runtime)
    assert {p.seq for p in report.problems if p.kind == "edited"} == {1, 2, 3, 4, 5}
    # Dropping the key's record as well does not help: a log without its key fails.
    with runtime.session() as session:
        session.execute(delete(PrivacySecret).where(PrivacySecret.name == audit_log.CHAIN_KEY_NAME))
    assert [p.kind for p in audit_log.verify(runtime).problems] == ["rewritten"]


def test_an_emptied_log_is_detected(runtime: Runtime) -> None:
    _fill(runtime)
    with runtime.session() as session:
        session.execute(delete(AuditEntry))
    assert [p.kind for p in audit_log.verify(runtime).problems] == ["emptied"]


def test_a_log_from_before_keying_is_rekeyed_once(open_runtime: OpenRuntime) -> None:
    """A deployment upgraded from the unkeyed chain: its intact log is re-hashed under the
    key by the first entry recorded after the upgrade, then verifies as one keyed chain."""
    runtime = open_runtime()
    with runtime.session() as session:
        previous = audit_log.GENESIS_HASH
        for seq in (1, 2):
            entry = AuditEntry(
                seq=seq, time=runtime.clock(), action="retention.sweep", actor="system",
                fields={"objects_shredded": seq}, prev_hash=previous,
                data_class="audit_entry", expires_at=None,
            )  # fmt: skip
            entry.hash = previous = audit_log.entry_hash(entry)
            session.add(entry)
    _fill(runtime, 2)
    assert audit_log.verify(runtime).ok
    entries = list(audit_log.iter_entries(runtime))
    key = audit_log.chain_key(runtime)
    assert [audit_log.entry_hash(e, key) == e.hash for e in entries] == [True] * 4


def test_a_removed_entry_is_detected(runtime: Runtime) -> None:
    _fill(runtime)
    with runtime.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    report = audit_log.verify(runtime)
    assert [(p.seq, p.kind) for p in report.problems] == [(3, "missing")]


def test_removing_the_first_entry_is_detected(runtime: Runtime) -> None:
    _fill(runtime)
    with runtime.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 1))
    assert [p.kind for p in audit_log.verify(runtime).problems] == ["bad_start"]


def test_reordered_entries_are_detected(runtime: Runtime) -> None:
    _fill(runtime)
    with runtime.session() as session:
        # Swap the positions of entries 2 and 4 (a three-step swap of primary keys).
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=-1))
        session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(seq=2))
        session.execute(update(AuditEntry).where(AuditEntry.seq == -1).values(seq=4))
    report = audit_log.verify(runtime)
    assert not report.ok
    assert {p.seq for p in report.problems} >= {2, 4}


def test_removing_the_newest_entries_is_caught_by_the_expected_head(runtime: Runtime) -> None:
    _fill(runtime)
    noted = audit_log.verify(runtime)
    head = f"{noted.head_seq}:{noted.head_hash}"
    with runtime.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 5))
    assert audit_log.verify(runtime).ok  # the chain alone cannot tell
    report = audit_log.verify(runtime, expected_head=head)
    assert [p.kind for p in report.problems] == ["head_mismatch"]
    assert audit_log.verify(runtime, expected_head=noted.head_hash).ok is False


def test_entries_refuse_personal_data(runtime: Runtime) -> None:
    for value in ("jane@example.org", "203.0.113.7", "2001:db8::1", "a prompt with spaces"):
        with pytest.raises(ValidationError) as caught:
            audit_log.record(runtime, "job.created", detail=value)
        assert value not in str(caught.value)
    with pytest.raises(ValidationError):
        audit_log.record(runtime, "job.created", payload={"nested": 1})
    with pytest.raises(ValidationError):
        audit_log.record(runtime, "job.created", actor="Jane Doe")
    with pytest.raises(ValidationError):
        audit_log.record(runtime, "Job Created")
    assert audit_log.verify(runtime).entries == 0
    audit_log.record(runtime, "job.created", actor="own_3fa9c2", job="job_abc123", count=3, ok=True)
    assert audit_log.verify(runtime).ok


def test_concurrent_writers_keep_one_unbroken_chain(runtime: Runtime) -> None:
    def write() -> None:
        for _ in range(10):
            audit_log.record(runtime, "load.test", count=1)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = audit_log.verify(runtime)
    assert report.ok and report.entries == 40 and report.head_seq == 40


def test_pruning_by_retention_is_not_mistaken_for_tampering(
    open_runtime: OpenRuntime, clock: FakeClock
) -> None:
    runtime = open_runtime("standard")  # audit entries kept 2 years
    _fill(runtime, 3)
    clock.advance(days=400)
    _fill(runtime, 2)
    assert audit_log.prune_expired(runtime) == 0
    clock.advance(days=400)
    assert audit_log.prune_expired(runtime) == 3
    report = audit_log.verify(runtime)
    assert report.ok and report.entries == 2 and report.first_seq == 4
    audit_log.record(runtime, "after.prune")
    assert audit_log.verify(runtime).ok
    with runtime.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 4))
    assert not audit_log.verify(runtime).ok
    with runtime.session() as session:
        assert session.scalars(select(AuditEntry.seq)).all() == [5, 6]
