"""Uploads: typed by content, size-limited while streaming, encrypted, shredded with the job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from reelvault.db.models import StoredObject
from reelvault.errors import PayloadTooLargeError, UnsupportedMediaError, ValidationError
from reelvault.jobs.submission import submit_job
from reelvault.jobs.uploads import store_upload
from reelvault.jobs.worker import Worker
from reelvault.runtime import Runtime
from reelvault.types import JobStatus, Task

from .helpers import fake_request

DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
VIDEO = DATA / "SYNTHETIC_dance_moves_576.mp4"
MOTION = DATA / "arms_and_knees_dance.bvh"


def chunks_of(path: Path, size: int = 7000) -> Iterator[bytes]:
    data = path.read_bytes()
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_upload_is_encrypted_and_typed_by_content(runtime: Runtime) -> None:
    upload = store_upload(runtime, "image", chunks_of(PHOTO), max_bytes=10**7)
    assert upload.media_type.mime == "image/jpeg"
    assert upload.size == PHOTO.stat().st_size
    assert runtime.vault.read_bytes(upload.object_id) == PHOTO.read_bytes()
    head = PHOTO.read_bytes()[:64]
    for path in runtime.settings.data_dir.rglob("*"):
        if path.is_file():
            assert head not in path.read_bytes()


@pytest.mark.parametrize(
    ("name", "source", "message"),
    [
        ("image", VIDEO, "image must be an image"),
        ("reference_video", PHOTO, "reference_video must be a video .* or a BVH motion file"),
        ("image", MOTION, "image must be an image"),
        ("image", None, "image must be an image"),
    ],
)
def test_wrong_type_is_415_and_nothing_is_kept(
    runtime: Runtime, name: str, source: Path | None, message: str
) -> None:
    body = chunks_of(source) if source else iter([b"GIF89a" + b"\x00" * 100])
    with pytest.raises(UnsupportedMediaError, match=message):
        store_upload(runtime, name, body, max_bytes=10**7)
    assert list(runtime.vault.object_ids()) == []


def test_a_bvh_reference_is_typed_by_content_and_checked_whole(runtime: Runtime) -> None:
    upload = store_upload(runtime, "reference_video", chunks_of(MOTION), max_bytes=10**7)
    assert (upload.media_type.mime, upload.media_type.extension) == ("application/x-bvh", ".bvh")
    assert runtime.vault.read_bytes(upload.object_id) == MOTION.read_bytes()
    lines = MOTION.read_bytes().splitlines(keepends=True)
    cut = iter([b"".join(lines[:-3])])  # the last frames lost on the way
    with pytest.raises(ValidationError, match="declares 120 frames") as refused:
        store_upload(runtime, "reference_video", cut, max_bytes=10**7)
    assert refused.value.param == "reference_video"
    assert list(runtime.vault.object_ids()) == [upload.object_id]


def test_size_limit_is_enforced_while_streaming(runtime: Runtime) -> None:
    with pytest.raises(PayloadTooLargeError, match="larger than the limit of 20000 bytes"):
        store_upload(runtime, "image", chunks_of(PHOTO), max_bytes=20_000)
    assert list(runtime.vault.object_ids()) == []


def test_empty_upload(runtime: Runtime) -> None:
    with pytest.raises(ValidationError, match="image is empty"):
        store_upload(runtime, "image", iter([b""]), max_bytes=100)


def test_image_job_gets_its_input_and_ephemeral_shreds_it(runtime: Runtime) -> None:
    upload = store_upload(runtime, "image", chunks_of(PHOTO), max_bytes=10**7)
    request = fake_request(task=Task.IMAGE_TO_VIDEO, prompt=None)
    job = submit_job(runtime, request, [upload])
    with runtime.session() as session:
        row = session.get(StoredObject, upload.object_id)
        assert row is not None and row.data_class == "upload" and row.expires_with_job
    assert Worker(runtime).run_once() == "completed"
    assert not runtime.vault.exists(upload.object_id)
    with runtime.session() as session:
        kinds = {row.kind for row in session.scalars(select(StoredObject))}
    assert kinds == {"output_video", "output_thumbnail", "output_spritesheet"}
    assert job.status is JobStatus.QUEUED


def test_missing_or_extra_inputs_are_refused_and_shredded(runtime: Runtime) -> None:
    upload = store_upload(runtime, "image", chunks_of(PHOTO), max_bytes=10**7)
    with pytest.raises(ValidationError, match="dance needs reference_video"):
        submit_job(runtime, fake_request(task=Task.DANCE), [upload])
    assert not runtime.vault.exists(upload.object_id)
    upload = store_upload(runtime, "image", chunks_of(PHOTO), max_bytes=10**7)
    with pytest.raises(ValidationError, match="text_to_video takes no image"):
        submit_job(runtime, fake_request(), [upload])
    assert list(runtime.vault.object_ids()) == []
