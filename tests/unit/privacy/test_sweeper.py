"""Retention: what the policy says expires is shredded, with an injectable clock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelvault.accounts.owners import webhook_secret
from reelvault.app.compose import open_runtime
from reelvault.db.base import Base
from reelvault.db.models import Job, StoredObject
from reelvault.db.privacy_models import PrivacySecret
from reelvault.db.references import is_reference_column
from reelvault.errors import GoneError, NotFoundError
from reelvault.jobs.queries import export_output, get_job, read_prompt
from reelvault.jobs.submission import submit_job
from reelvault.privacy import privacy_audit
from reelvault.privacy.restrict import set_restricted
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for
from reelvault.types import LOCAL_OWNER, JobStatus, new_object_id

from ..jobs.helpers import fake_request, run_to_end


def _held(runtime: Runtime) -> list[str]:
    """Vault objects other than the service's own keys (the audit chain's HMAC key)."""
    with runtime.session() as session:
        own = set(session.scalars(select(PrivacySecret.object_id)))
    return [oid for oid in runtime.vault.object_ids() if oid not in own]


def _open(tmp_path: Path, policy: str, clock: FakeClock) -> Runtime:
    return open_runtime(
        settings_for(tmp_path, policy=policy), registry=registry_with_fake(), clock=clock
    )


def test_ephemeral_output_is_shredded_after_the_download_window(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = _open(tmp_path, "ephemeral", clock)
    try:
        job = run_to_end(runtime, fake_request())
        export_output(runtime, job.id, tmp_path / "early.mp4")
        clock.advance(minutes=59)
        assert sweep(runtime).objects_shredded == 0
        clock.advance(minutes=2)
        report = sweep(runtime)
        assert report.objects_shredded == 3  # video, thumbnail, sprite sheet
        assert report.jobs_expired == 1
        assert _held(runtime) == []
        assert get_job(runtime, job.id).status is JobStatus.EXPIRED
        with pytest.raises(GoneError, match="retention period has ended"):
            export_output(runtime, job.id, tmp_path / "late.mp4")
        assert not (tmp_path / "late.mp4").exists()
        assert sweep(runtime).total == 0  # idempotent
    finally:
        runtime.close()


def test_standard_prompt_expires_after_30_days_and_metadata_after_90(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = _open(tmp_path, "standard", clock)
    try:
        job = run_to_end(runtime, fake_request(prompt="keep for a month"))
        clock.advance(days=29)
        sweep(runtime)
        assert read_prompt(runtime, job.id) == "keep for a month"
        clock.advance(days=2)
        sweep(runtime)
        assert read_prompt(runtime, job.id) is None
        clock.advance(days=60)
        sweep(runtime)
        with pytest.raises(NotFoundError):
            get_job(runtime, job.id)
        with runtime.session() as session:
            assert session.scalar(select(func.count()).select_from(Job)) == 0
            assert session.scalar(select(func.count()).select_from(StoredObject)) == 0
        assert _held(runtime) == []
    finally:
        runtime.close()


def test_library_keeps_outputs_until_deleted(tmp_path: Path) -> None:
    clock = FakeClock()
    runtime = _open(tmp_path, "library", clock)
    try:
        job = run_to_end(runtime, fake_request())
        assert job.output_expires_at is None
        clock.advance(days=3650)
        sweep(runtime)
        assert get_job(runtime, job.id).status is JobStatus.COMPLETED
        export_output(runtime, job.id, tmp_path / "ten-years.mp4")
    finally:
        runtime.close()


def test_leftovers_of_a_crash_are_shredded(runtime: Runtime) -> None:
    # A job that ended while its prompt row survived (e.g. the process died between
    # the status change and the shred): the sweeper finishes the job's retention.
    job = submit_job(runtime, fake_request())
    with runtime.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.status = JobStatus.FAILED.value
    assert len(_held(runtime)) == 1
    assert sweep(runtime).objects_shredded == 1
    assert _held(runtime) == []


def test_stale_scratch_folders_are_removed(runtime: Runtime) -> None:
    stale = runtime.settings.scratch_dir / "job_deadbeef"
    stale.mkdir(parents=True)
    (stale / "input.png").write_bytes(b"\x89PNG leftover")
    assert sweep(runtime).scratch_removed == 1
    assert not stale.exists()


def test_orphaned_upload_is_shredded_after_the_grace_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between storing an upload and writing its job row leaves a readable
    object that nothing would ever expire: the sweeper shreds it once it is old enough."""
    runtime = _open(tmp_path, "library", FakeClock())
    try:
        job = run_to_end(runtime, fake_request(prompt="kept until deleted"))
        secret = webhook_secret(runtime, LOCAL_OWNER)  # referenced from the owners table
        orphan = runtime.vault.put_bytes(b"an upload whose job row was never written")
        kept = set(_held(runtime)) - {orphan.object_id}
        assert sweep(runtime).orphans_shredded == 0  # young: its row may be on its way
        assert runtime.vault.read_bytes(orphan.object_id)

        later = time.time() + runtime.settings.orphan_grace_seconds + 1
        monkeypatch.setattr(time, "time", lambda: later)
        report = sweep(runtime)
        assert report.orphans_shredded == 1
        assert not runtime.vault.exists(orphan.object_id)
        assert set(_held(runtime)) == kept  # everything a row names stays
        assert read_prompt(runtime, job.id) == "kept until deleted"
        assert webhook_secret(runtime, LOCAL_OWNER) == secret
    finally:
        runtime.close()


def test_ciphertext_whose_key_never_committed_is_removed_after_the_grace_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash (or a rolled-back transaction) between a blob and its key leaves
    unreadable ciphertext that takes space for ever: once old enough it goes."""
    runtime = _open(tmp_path, "library", FakeClock())
    try:
        job = run_to_end(runtime, fake_request(prompt="kept until deleted"))
        keyless = new_object_id()
        with runtime.vault.blobs.open_write(keyless) as sink:
            sink.write(b"RVLT ciphertext whose key was never stored")
        assert runtime.vault.orphans().blobs_without_key == (keyless,)
        sweep(runtime)
        assert runtime.vault.blobs.exists(keyless)  # young: its key may be on its way

        later = time.time() + runtime.settings.orphan_grace_seconds + 1
        monkeypatch.setattr(time, "time", lambda: later)
        sweep(runtime)
        assert not runtime.vault.blobs.exists(keyless)
        assert runtime.vault.orphans().clean
        assert read_prompt(runtime, job.id) == "kept until deleted"  # whole objects stay
    finally:
        runtime.close()


def test_every_vault_reference_column_follows_the_naming_convention() -> None:
    """The sweeper knows a row refers to a vault object only by the column's name: a
    column holding vault ids under another name would get its objects shredded."""
    not_vault_ids = {("api_keys", "secret_hash")}  # a digest, not an object id
    vaultish = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if "object" in column.name or "secret" in column.name or "vault" in column.name
    } - not_vault_ids
    assert {
        (table, column)
        for table, column in vaultish
        if not is_reference_column(Base.metadata.tables[table].columns[column])
    } == set()


def test_restriction_pauses_retention_for_that_owner_only(tmp_path: Path) -> None:
    """GDPR art. 18: restricted data is kept as it is (e.g. for a legal claim), so the
    sweeper leaves it alone until the restriction is lifted."""
    clock = FakeClock()
    runtime = _open(tmp_path, "ephemeral", clock)
    try:
        held = run_to_end(runtime, fake_request(owner_id="own_restricted"))
        other = run_to_end(runtime, fake_request(owner_id="own_other"))
        set_restricted(runtime, "own_restricted", True)
        clock.advance(days=2)  # past the 1-hour outputs and the 1-day job metadata
        sweep(runtime)
        assert get_job(runtime, held.id).status is JobStatus.COMPLETED
        export_output(runtime, held.id, tmp_path / "kept.mp4")
        with pytest.raises(NotFoundError):
            get_job(runtime, other.id)
        assert privacy_audit.run_audit(runtime).counts()["expired"] == 0

        set_restricted(runtime, "own_restricted", False)
        report = sweep(runtime)
        assert report.jobs_deleted == 1 and report.objects_shredded == 3
        with pytest.raises(NotFoundError):
            get_job(runtime, held.id)
    finally:
        runtime.close()
