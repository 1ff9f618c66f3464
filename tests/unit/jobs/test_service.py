"""Submitting, validating, cancelling and deleting jobs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reelvault.app.compose import open_runtime
from reelvault.db.models import StoredObject
from reelvault.errors import (
    ConflictError,
    EngineNotFoundError,
    NotFoundError,
    ValidationError,
)
from reelvault.jobs.lifecycle import cancel_job, delete_job
from reelvault.jobs.queries import get_job, list_jobs, read_prompt
from reelvault.jobs.submission import submit_job
from reelvault.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from reelvault.types import JobStatus, ObjectId, Task
from tests.storage_backends import database_holds

from .helpers import fake_request, run_to_end


@pytest.mark.parametrize(
    ("overrides", "param", "message"),
    [
        ({"prompt": "   "}, "prompt", "the prompt is empty"),
        ({"prompt": None}, "prompt", "the prompt is empty"),
        ({"prompt": "x" * 2001}, "prompt", "2001 characters; the limit is 2000"),
        ({"width": 65}, "size", "must be even"),
        ({"width": 8}, "size", "width 8 is out of range"),
        ({"fps": 0}, "fps", "fps 0 is out of range"),
        ({"seconds": 999.0}, "seconds", "seconds 999 is out of range"),
        ({"seed": -1}, "seed", "seed must be between"),
        ({"params": {"nope": 1}}, "nope", "parameter nope"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_stored(
    runtime: Runtime, overrides: dict[str, object], param: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        submit_job(runtime, fake_request(**overrides))
    assert caught.value.param == param
    assert list_jobs(runtime) == []
    assert list(runtime.vault.object_ids()) == []


def test_unknown_engine_names_the_known_ones(runtime: Runtime) -> None:
    with pytest.raises(EngineNotFoundError, match=r"unknown engine 'sora'.*fake"):
        submit_job(runtime, fake_request(engine="sora"))


def test_task_the_engine_cannot_do(runtime: Runtime) -> None:
    with pytest.raises(ValidationError, match="cannot do dance"):
        submit_job(runtime, fake_request(engine="procedural", task=Task.DANCE))


def test_prompt_is_stored_encrypted_and_not_in_the_database(runtime: Runtime) -> None:
    secret = "a lighthouse keeper named Zebulon Quark"
    job = submit_job(runtime, fake_request(prompt=secret))
    assert job.status is JobStatus.QUEUED
    assert not job.prompt_kept  # ephemeral: only the job's own copy exists
    assert not database_holds(runtime.db, b"Zebulon")
    for path in runtime.settings.vault_dir.rglob("*"):
        if path.is_file():
            assert b"Zebulon" not in path.read_bytes()
    assert read_prompt(runtime, job.id) is None
    with runtime.session() as session:
        row = session.scalars(select(StoredObject).where(StoredObject.kind == "job_prompt")).one()
        assert row.expires_with_job and row.data_class == "prompt"
        object_id = ObjectId(row.id)
    # the engine's copy decrypts to the original while the job is queued
    assert secret in runtime.vault.read_bytes(object_id).decode()


def test_retained_prompts_are_redacted_but_engines_get_the_original(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runtime = open_runtime(settings_for(tmp_path, policy="standard"), registry=registry_with_fake())
    try:
        prompt = "a birthday video for jane.doe@example.com, call +44 20 7946 0958"
        job = submit_job(runtime, fake_request(prompt=prompt))
        kept = read_prompt(runtime, job.id)
        assert kept is not None
        assert "jane.doe" not in kept and "7946" not in kept
        assert "[EMAIL]" in kept and "[PHONE]" in kept
        with runtime.session() as session:
            row = session.scalars(
                select(StoredObject).where(StoredObject.kind == "job_prompt")
            ).one()
            object_id = ObjectId(row.id)
        assert prompt in runtime.vault.read_bytes(object_id).decode()
    finally:
        runtime.close()


def test_ephemeral_prompt_is_shredded_when_the_job_ends(runtime: Runtime) -> None:
    assert runtime.policy.name == "ephemeral"
    job = run_to_end(runtime, fake_request())
    assert job.status is JobStatus.COMPLETED
    assert not job.prompt_kept
    assert read_prompt(runtime, job.id) is None
    with runtime.session() as session:
        kinds = {row.kind for row in session.scalars(select(StoredObject))}
    assert kinds == {"output_video", "output_thumbnail", "output_spritesheet"}


def test_standard_policy_keeps_the_prompt_for_30_days(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runtime = open_runtime(settings_for(tmp_path, policy="standard"), registry=registry_with_fake())
    try:
        job = run_to_end(runtime, fake_request(prompt="keep me"))
        assert read_prompt(runtime, job.id) == "keep me"
        with runtime.session() as session:
            row = session.scalars(select(StoredObject).where(StoredObject.kind == "prompt")).one()
            assert row.expires_at is not None
            assert (row.expires_at - row.created_at).days == 30
            assert row.data_class == "prompt"
    finally:
        runtime.close()


def test_cancel_a_queued_job_and_cancel_twice(runtime: Runtime) -> None:
    job = submit_job(runtime, fake_request())
    cancelled = cancel_job(runtime, job.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert not cancelled.prompt_kept  # the prompt went with the job
    with pytest.raises(ConflictError, match="already cancelled"):
        cancel_job(runtime, job.id)


def test_owner_scoping_hides_other_jobs(runtime: Runtime) -> None:
    job = submit_job(runtime, fake_request(owner_id="alice"))
    with pytest.raises(NotFoundError):
        get_job(runtime, job.id, owner_id="bob")
    with pytest.raises(NotFoundError):
        cancel_job(runtime, job.id, owner_id="bob")
    with pytest.raises(NotFoundError):
        delete_job(runtime, job.id, owner_id="bob")
    assert list_jobs(runtime, owner_id="bob") == []
    assert [view.id for view in list_jobs(runtime, owner_id="alice")] == [job.id]


def test_delete_shreds_everything_now(runtime: Runtime) -> None:
    job = run_to_end(runtime, fake_request())
    object_ids = list(runtime.vault.object_ids())
    assert len(object_ids) == 3
    assert delete_job(runtime, job.id) == 3
    assert list(runtime.vault.object_ids()) == []
    for object_id in object_ids:
        assert not runtime.vault.exists(ObjectId(object_id))
    with pytest.raises(NotFoundError):
        get_job(runtime, job.id)
