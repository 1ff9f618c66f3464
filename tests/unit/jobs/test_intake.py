"""The job intake: jobs submitted together are stored together, and fail alone or together."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

import reelvault.jobs.intake as intake_module
from reelvault.app.compose import open_runtime
from reelvault.db.models import StoredObject
from reelvault.errors import ForbiddenError, StorageError
from reelvault.jobs import objects, submission
from reelvault.jobs.intake import JobIntake
from reelvault.jobs.lifecycle import cancel_job
from reelvault.jobs.queries import get_job, list_jobs
from reelvault.jobs.submission import PreparedJob, prepare_job
from reelvault.jobs.uploads import store_upload
from reelvault.jobs.views import JobView
from reelvault.privacy.restrict import set_restricted
from reelvault.runtime import Runtime
from reelvault.testing import registry_with_fake, settings_for
from reelvault.types import ObjectId, Task
from reelvault.vault import _fs as vault_fs

from .helpers import fake_request

T = TypeVar("T")


def _engine_prompt(runtime: Runtime, job_id: str) -> str:
    """The prompt as the engine will read it: decrypted from the vault."""
    with runtime.session() as session:
        object_id = session.scalar(
            select(StoredObject.id).where(
                StoredObject.job_id == job_id, StoredObject.kind == objects.JOB_PROMPT
            )
        )
    assert object_id is not None
    prompt: str = json.loads(runtime.vault.read_bytes(ObjectId(object_id)))["prompt"]
    return prompt


def _in_own_loop(coroutine: Coroutine[Any, Any, T]) -> Future[T]:
    """Run on an event loop of its own thread (another test may hold this thread's loop)."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(asyncio.run, coroutine)
    pool.shutdown(wait=False)
    return future


async def _store_all(
    intake: JobIntake, prepared: list[PreparedJob]
) -> list[JobView | BaseException]:
    """Store from coroutines waiting together; each job's view, or the error it got."""
    return await asyncio.gather(*(intake.store(job) for job in prepared), return_exceptions=True)


def _store(intake: JobIntake, prepared: PreparedJob) -> JobView:
    return _in_own_loop(intake.store(prepared)).result(timeout=30)


def test_jobs_submitted_together_share_one_batch_and_all_land(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    store = submission.admit_and_store
    release = threading.Event()

    def counting_store(runtime: Runtime, batch: list[PreparedJob]) -> list[JobView | Exception]:
        batches.append(len(batch))
        release.wait(5)  # hold the first batch so the others queue up behind it
        return store(runtime, batch)

    monkeypatch.setattr(intake_module, "admit_and_store", counting_store)
    intake = JobIntake(runtime, writers=1)
    prompts = [f"a lighthouse number {n}" for n in range(6)]
    storing = _in_own_loop(
        _store_all(intake, [prepare_job(runtime, fake_request(prompt=p)) for p in prompts])
    )
    time.sleep(0.2)
    release.set()
    views = storing.result(timeout=30)
    assert all(isinstance(view, JobView) for view in views), views

    assert sorted(batches) == [1, 5] or batches == [6], batches
    assert len({view.id for view in views}) == 6
    assert [_engine_prompt(runtime, view.id) for view in views] == prompts
    assert {view.id for view in list_jobs(runtime)} == {view.id for view in views}


def test_a_second_writer_stores_jobs_while_the_first_waits_on_the_database(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On a server database a batch mostly waits on the server; with one writer every
    # job behind it would wait too.
    store = submission.admit_and_store
    first_batch_held = threading.Event()
    release = threading.Event()

    def holding_store(runtime: Runtime, batch: list[PreparedJob]) -> list[JobView | Exception]:
        if not first_batch_held.is_set():
            first_batch_held.set()
            release.wait(10)
        return store(runtime, batch)

    monkeypatch.setattr(intake_module, "admit_and_store", holding_store)
    intake = JobIntake(runtime, writers=2)
    held = _in_own_loop(_store_all(intake, [prepare_job(runtime, fake_request(prompt="held"))]))
    assert first_batch_held.wait(5)
    behind = _in_own_loop(_store_all(intake, [prepare_job(runtime, fake_request(prompt="next"))]))
    try:
        (view,) = behind.result(timeout=5)  # stored while the first batch is still held
        assert isinstance(view, JobView)
        assert [v.id for v in list_jobs(runtime)] == [view.id]
    finally:
        release.set()
    (first,) = held.result(timeout=30)
    assert {v.id for v in list_jobs(runtime)} == {first.id, view.id}


def test_server_databases_get_two_writers_and_sqlite_one(runtime: Runtime) -> None:
    expected = 1 if runtime.db.dialect.name == "sqlite" else 2
    assert intake_module.writers_for(runtime) == expected


def test_prompts_of_one_batch_share_one_pack_and_are_shredded_one_by_one(
    runtime: Runtime,
) -> None:
    prepared = [prepare_job(runtime, fake_request(prompt=f"kite {n}")) for n in range(5)]
    views = submission.store_jobs(runtime, prepared)
    packs = sorted((runtime.settings.vault_dir / "packs").rglob("*.pack"))
    assert len(packs) == 1
    assert list((runtime.settings.vault_dir / "blobs").rglob("*")) == []
    assert [_engine_prompt(runtime, view.id) for view in views] == [f"kite {n}" for n in range(5)]

    cancel_job(runtime, views[0].id, owner_id=views[0].owner_id)  # its prompt is shredded
    assert [_engine_prompt(runtime, view.id) for view in views[1:]] == [
        f"kite {n}" for n in range(1, 5)
    ]
    for view in views[1:]:
        cancel_job(runtime, view.id, owner_id=view.owner_id)
    assert list((runtime.settings.vault_dir / "packs").rglob("*.pack")) == []


def test_a_storage_failure_fails_the_batch_and_leaves_nothing(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise StorageError("could not write data key: no space left on device")

    monkeypatch.setattr(vault_fs, "atomic_write_many", full_disk)
    intake = JobIntake(runtime)
    outcomes = _in_own_loop(
        _store_all(intake, [prepare_job(runtime, fake_request()) for _ in range(3)])
    ).result(timeout=30)
    assert [type(outcome) for outcome in outcomes] == [StorageError] * 3
    assert all("no space left" in str(outcome) for outcome in outcomes)
    assert list_jobs(runtime) == []
    assert list(runtime.vault.object_ids()) == []
    assert list(runtime.vault._blobs.ids()) == []


def test_the_writer_stops_when_idle_and_starts_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_module, "IDLE_EXIT_S", 0.05)
    intake = JobIntake(runtime)
    first = _store(intake, prepare_job(runtime, fake_request()))
    (writer,) = intake.writers
    writer.join(timeout=5)
    assert not writer.is_alive()
    assert intake.writers == frozenset()
    second = _store(intake, prepare_job(runtime, fake_request()))
    assert {first.id, second.id} == {view.id for view in list_jobs(runtime)}


def test_a_restricted_owners_job_is_refused_alone_and_its_upload_shredded(
    runtime: Runtime,
) -> None:
    set_restricted(runtime, "owner-restricted", True)
    photo = (Path(__file__).parents[2] / "data" / "fullbody_yoga_beach.jpg").read_bytes()
    upload = store_upload(runtime, "image", [photo], max_bytes=10**7)
    intake = JobIntake(runtime)
    refused, view = _in_own_loop(
        _store_all(
            intake,
            [
                prepare_job(
                    runtime,
                    fake_request(
                        task=Task.IMAGE_TO_VIDEO, prompt=None, owner_id="owner-restricted"
                    ),
                    [upload],
                ),
                prepare_job(runtime, fake_request(owner_id="owner-free")),
            ],
        )
    ).result(timeout=30)

    assert isinstance(refused, ForbiddenError)
    assert "restricted at your request" in str(refused)
    assert isinstance(view, JobView)
    assert [job.id for job in list_jobs(runtime)] == [view.id]
    assert upload.object_id not in set(runtime.vault.object_ids())


def test_coroutines_waiting_together_all_get_their_jobs(runtime: Runtime) -> None:
    intake = JobIntake(runtime)
    prompts = [f"a heron number {n}" for n in range(6)]

    views = _in_own_loop(
        _store_all(intake, [prepare_job(runtime, fake_request(prompt=p)) for p in prompts])
    ).result(timeout=30)
    assert all(isinstance(view, JobView) for view in views), views
    assert [_engine_prompt(runtime, view.id) for view in views] == prompts


def test_a_caller_that_goes_away_still_gets_its_job_stored(runtime: Runtime) -> None:
    intake = JobIntake(runtime)

    async def leave_early() -> None:
        task = asyncio.ensure_future(
            intake.store(prepare_job(runtime, fake_request(prompt="left early")))
        )
        await asyncio.sleep(0)  # queued with the writer
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    _in_own_loop(leave_early()).result(timeout=30)
    deadline = time.monotonic() + 10
    while not list_jobs(runtime) and time.monotonic() < deadline:
        time.sleep(0.01)
    (job,) = list_jobs(runtime)
    assert _engine_prompt(runtime, job.id) == "left early"


@pytest.mark.parametrize("policy", ["ephemeral", "standard", "library"])
def test_the_answer_to_a_create_is_the_job_as_stored(tmp_path: Path, policy: str) -> None:
    settings = settings_for(tmp_path, policy=policy)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    intake = JobIntake(runtime)
    request = fake_request(prompt="write to me at someone@example.com")
    view = _store(intake, prepare_job(runtime, request))
    stored = get_job(runtime, view.id)
    runtime.close()
    assert stored == view
    assert view.prompt_kept is (policy != "ephemeral")
