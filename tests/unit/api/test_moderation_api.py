"""Content moderation and the likeness affirmation through both APIs (issue 22).

A blocked request leaves nothing (no job, no upload, no log of its words); a blocked
output fails its job with ``content_blocked`` and nothing of it is kept; an image with a
face needs the affirmation, which goes into the consent ledger.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.db.models import Job, StoredObject
from reelvault.db.privacy_models import ConsentRecord
from reelvault.media.encode import encode_h264
from reelvault.runtime import Runtime
from reelvault.testing import MAGENTA, moderators_with_fake, registry_with_fake, settings_for

from .conftest import FAKE_JOB, wait_for

DATA = Path(__file__).parents[2] / "data"
FACE = (DATA / "portrait_astronaut_256.jpg").read_bytes()
NO_FACE = (DATA / "fullbody_yoga_beach.jpg").read_bytes()
FIELDS = {k: str(v) for k, v in FAKE_JOB.items() if k != "prompt"}
BLOCKED_PROMPT = "a s3xy sch00lg1rl, cinematic"


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((96, 128, 3), colour, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An app whose moderators include the fake image moderator (blocks magenta)."""
    settings = settings_for(tmp_path, moderators=["rules", "fake"])
    runtime = open_runtime(
        settings, registry=registry_with_fake(settings), moderators=moderators_with_fake()
    )
    with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client
    runtime.close()


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    return runtime


def _nothing_kept(runtime: Runtime) -> None:
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0
        assert session.scalar(select(func.count()).select_from(StoredObject)) == 0
    assert list(runtime.vault.object_ids()) == []


def test_a_blocked_prompt_is_a_400_naming_the_category_and_leaves_nothing(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post("/api/v1/jobs", json={**FAKE_JOB, "prompt": BLOCKED_PROMPT})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "content_blocked"
    assert error["categories"] == ["minors"] and error["param"] == "prompt"
    for word in ("s3xy", "sexy", "sch00lg1rl", "schoolgirl"):
        assert word not in response.text.lower()
        assert word not in caplog.text.lower()
    _nothing_kept(_runtime(client))


def test_the_openai_route_blocks_the_same_way(client: TestClient) -> None:
    response = client.post(
        "/v1/videos", json={"prompt": BLOCKED_PROMPT, "model": "reelvault-fake", "size": "64x48"}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["type"], error["categories"]) == (
        "content_blocked",
        "invalid_request_error",
        ["minors"],
    )
    _nothing_kept(_runtime(client))


def test_a_blocked_upload_is_shredded_and_no_job_is_made(client: TestClient) -> None:
    response = client.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video"},
        files={"image": ("me.png", _png(MAGENTA), "image/png")},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["categories"] == ["testing"]
    assert response.json()["error"]["param"] == "image"
    _nothing_kept(_runtime(client))
    ordinary = client.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video"},
        files={"image": ("me.png", _png((40, 120, 200)), "image/png")},
    )
    assert ordinary.status_code == 201, ordinary.text


def test_a_blocked_output_fails_the_job_and_keeps_nothing_of_it(client: TestClient) -> None:
    response = client.post("/api/v1/jobs", json={**FAKE_JOB, "params": {"magenta": True}})
    assert response.status_code == 201, response.text
    job = wait_for(client, response.json()["id"])
    assert job["status"] == "failed"
    assert job["error"]["code"] == "content_blocked"
    assert (
        "testing" in job["error"]["message"] and "nothing of it was kept" in job["error"]["message"]
    )
    assert job["output_bytes"] is None
    runtime = _runtime(client)
    with runtime.session() as session:
        kinds = set(session.scalars(select(StoredObject.kind)))
    assert not {kind for kind in kinds if kind.startswith("output")}
    assert list(runtime.vault.object_ids()) == []
    assert client.get(f"/api/v1/jobs/{job['id']}/content").status_code in (404, 409, 410)
    fine = client.post("/api/v1/jobs", json=FAKE_JOB)
    assert wait_for(client, fine.json()["id"])["status"] == "completed"


def _likeness_records(runtime: Runtime) -> list[tuple[str, bool, str]]:
    with runtime.session() as session:
        return [
            (row.purpose, row.granted, row.policy_version)
            for row in session.scalars(
                select(ConsentRecord).where(ConsentRecord.purpose == "likeness")
            )
        ]


def test_a_face_needs_the_likeness_affirmation(client: TestClient) -> None:
    runtime = _runtime(client)
    refused = client.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video"},
        files={"image": ("me.jpg", FACE, "image/jpeg")},
    )
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "likeness_affirmation_required"
    assert error["param"] == "likeness_affirmed" and "permission" in error["message"]
    _nothing_kept(runtime)
    assert _likeness_records(runtime) == []

    affirmed = client.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video", "likeness_affirmed": "true"},
        files={"image": ("me.jpg", FACE, "image/jpeg")},
    )
    assert affirmed.status_code == 201, affirmed.text
    assert _likeness_records(runtime) == [("likeness", True, runtime.policy.version_hash)]


def test_no_face_no_question(client: TestClient) -> None:
    response = client.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video"},
        files={"image": ("me.jpg", NO_FACE, "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    assert _likeness_records(_runtime(client)) == []


def test_the_openai_route_asks_for_the_affirmation_too(client: TestClient) -> None:
    fields = {"prompt": "she smiles", "model": "reelvault-fake", "size": "64x48", "seconds": "1"}
    refused = client.post(
        "/v1/videos", data=fields, files={"input_reference": ("me.jpg", FACE, "image/jpeg")}
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "likeness_affirmation_required"
    affirmed = client.post(
        "/v1/videos",
        data={**fields, "likeness_affirmed": "true"},
        files={"input_reference": ("me.jpg", FACE, "image/jpeg")},
    )
    assert affirmed.status_code == 200, affirmed.text


def test_image_moderators_pass_over_a_motion_capture_reference(client: TestClient) -> None:
    """A BVH dance reference holds no picture: nothing to show an image moderator."""
    motion = (DATA / "arms_and_knees_dance.bvh").read_bytes()
    response = client.post(
        "/api/v1/jobs",
        data={"task": "dance", "engine": "puppet", "size": "128x128", "fps": "30", "seconds": "1"},
        files={
            "image": ("me.jpg", NO_FACE, "image/jpeg"),
            "reference_video": ("dab.bvh", motion, "application/octet-stream"),
        },
    )
    assert response.status_code == 201, response.text


def test_frames_of_an_uploaded_video_are_moderated(client: TestClient, tmp_path: Path) -> None:
    video = tmp_path / "magenta.mp4"
    frames = (np.full((96, 128, 3), MAGENTA, dtype=np.uint8) for _ in range(16))
    encode_h264(frames, video, fps=8, width=128, height=96)
    response = client.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "dance"},
        files={
            "image": ("me.jpg", NO_FACE, "image/jpeg"),
            "reference_video": ("dance.mp4", video.read_bytes(), "video/mp4"),
        },
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"], error["categories"]) == (
        "content_blocked",
        "reference_video",
        ["testing"],
    )
    _nothing_kept(_runtime(client))
