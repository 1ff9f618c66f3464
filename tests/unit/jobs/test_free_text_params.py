"""Free-text engine parameters (a negative prompt) are prompt data, never job metadata.

They are kept out of ``jobs.params`` (the row outlives the prompt), stored encrypted
with the prompt, and handed back to the engine by the runner.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from reelvault.app.compose import open_runtime
from reelvault.db.models import Job, StoredObject
from reelvault.jobs import objects
from reelvault.jobs.queries import get_job, read_prompt
from reelvault.jobs.submission import submit_job
from reelvault.jobs.uploads import store_upload
from reelvault.jobs.worker import Worker
from reelvault.runtime import Runtime
from reelvault.testing import FakeEngine, registry_with_fake, settings_for
from reelvault.types import JobStatus, ObjectId, Task
from tests.storage_backends import database_holds

from .helpers import fake_request

MARKER = "Vermilion Okapi Xylophone"
PHOTO = Path(__file__).parents[2] / "data" / "fullbody_yoga_beach.jpg"


def _files_holding(root: Path, needle: bytes) -> list[str]:
    """Every file under ``root`` (database, its WAL, the vault) whose bytes hold ``needle``."""
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and needle in path.read_bytes()
    )


def _fake(runtime: Runtime) -> FakeEngine:
    engine = runtime.registry.get("fake")
    assert isinstance(engine, FakeEngine)
    return engine


def _run_queue(runtime: Runtime) -> None:
    worker = Worker(runtime, worker_id="test-worker")
    while worker.run_once() is not None:
        pass


def test_a_negative_prompt_is_in_no_file_yet_reaches_the_engine(runtime: Runtime) -> None:
    data_dir = runtime.settings.data_dir
    negative = f"no {MARKER} in sight"
    job = submit_job(runtime, fake_request(params={"negative_prompt": negative, "delay": 0.0}))
    assert "negative_prompt" not in job.params
    assert job.params["delay"] == 0.0  # the other parameters stay with the job
    if runtime.db.url.get_backend_name() == "sqlite":
        # The database is in WAL mode: the log is searched as well as the main file.
        assert any(path.name.endswith("-wal") for path in data_dir.iterdir())
    assert _files_holding(data_dir, MARKER.encode()) == []
    assert not database_holds(runtime.db, MARKER.encode())

    _run_queue(runtime)
    view = get_job(runtime, job.id)
    assert view.status is JobStatus.COMPLETED, view.error_message
    prompt, params = _fake(runtime).received[-1]
    assert prompt == "a quiet harbour at dawn"
    assert params.negative_prompt == negative  # the runner handed it back
    assert "negative_prompt" not in view.params
    assert _files_holding(data_dir, MARKER.encode()) == []
    assert not database_holds(runtime.db, MARKER.encode())
    with runtime.session() as session:
        assert "negative_prompt" not in session.scalars(select(Job.params)).one()


def test_the_free_text_is_encrypted_with_the_prompt_in_one_object(runtime: Runtime) -> None:
    job = submit_job(runtime, fake_request(params={"negative_prompt": MARKER}))
    with runtime.session() as session:
        rows = session.scalars(select(StoredObject)).all()
    (row,) = rows  # ephemeral: the engine's copy only, the same object as the prompt
    assert (row.kind, row.data_class, row.expires_with_job) == (objects.JOB_PROMPT, "prompt", True)
    prompt, free_text = objects.read_prompt_document(runtime.vault, ObjectId(row.id))
    assert (prompt, free_text) == ("a quiet harbour at dawn", {"negative_prompt": MARKER})
    assert read_prompt(runtime, job.id) is None  # ephemeral keeps nothing beyond the job


def test_free_text_without_a_prompt_still_reaches_the_engine(runtime: Runtime) -> None:
    upload = store_upload(runtime, "image", iter([PHOTO.read_bytes()]), max_bytes=10**7)
    request = fake_request(
        prompt=None, task=Task.IMAGE_TO_VIDEO, params={"negative_prompt": MARKER}
    )
    job = submit_job(runtime, request, [upload])
    assert _files_holding(runtime.settings.data_dir, MARKER.encode()) == []
    _run_queue(runtime)
    assert get_job(runtime, job.id).status is JobStatus.COMPLETED
    prompt, params = _fake(runtime).received[-1]
    assert prompt is None
    assert params.negative_prompt == MARKER


def test_a_kept_negative_prompt_is_redacted_like_the_prompt(tmp_path: Path) -> None:
    runtime = open_runtime(settings_for(tmp_path, policy="standard"), registry=registry_with_fake())
    try:
        negative = "nothing that shows jane.doe@example.com"
        job = submit_job(runtime, fake_request(params={"negative_prompt": negative}))
        _run_queue(runtime)
        assert get_job(runtime, job.id).status is JobStatus.COMPLETED
        assert _fake(runtime).received[-1][1].negative_prompt == negative  # the original
        with runtime.session() as session:
            (kept,) = session.scalars(select(StoredObject).where(StoredObject.kind == "prompt"))
            object_id = ObjectId(kept.id)
        _prompt, free_text = objects.read_prompt_document(runtime.vault, object_id)
        assert free_text == {"negative_prompt": "nothing that shows [EMAIL]"}
    finally:
        runtime.close()


def test_a_row_written_before_the_fix_is_cleaned_when_its_job_ends(runtime: Runtime) -> None:
    # Rows queued before an upgrade still hold their negative prompt in jobs.params: the
    # engine gets it, and the row forgets it when the job ends.
    job = submit_job(runtime, fake_request())
    with runtime.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.params = {**row.params, "negative_prompt": MARKER}
    _run_queue(runtime)
    assert _fake(runtime).received[-1][1].negative_prompt == MARKER
    view = get_job(runtime, job.id)
    assert view.status is JobStatus.COMPLETED
    assert "negative_prompt" not in view.params
