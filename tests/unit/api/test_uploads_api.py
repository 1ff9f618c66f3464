"""Multipart uploads through the API: streamed into the vault, typed by content, limited."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from .conftest import FAKE_JOB, make_client, wait_for

DATA = Path(__file__).parents[2] / "data"
PHOTO = (DATA / "fullbody_yoga_beach.jpg").read_bytes()
VIDEO = (DATA / "SYNTHETIC_dance_moves_576.mp4").read_bytes()
FIELDS = {k: str(v) for k, v in FAKE_JOB.items() if k != "prompt"}


def test_image_job_by_multipart(api: TestClient) -> None:
    response = api.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video", "params": '{"delay": 0}'},
        files={"image": ("me.jpg", PHOTO, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "completed", job
    # ephemeral: the upload was shredded when the job ended
    assert len(list(api.runtime.vault.object_ids())) == 3  # the three outputs  # type: ignore[attr-defined]


def test_dance_job_takes_two_files(api: TestClient) -> None:
    response = api.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "dance"},
        files={
            "image": ("me.jpg", PHOTO, "image/jpeg"),
            "reference_video": ("dance.mp4", VIDEO, "video/mp4"),
        },
    )
    assert response.status_code == 201, response.text
    assert wait_for(api, response.json()["id"])["status"] == "completed"


def test_type_is_checked_by_content_not_name(api: TestClient) -> None:
    response = api.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video"},
        files={"image": ("photo.jpg", VIDEO, "image/jpeg")},
    )
    assert response.status_code == 415
    assert response.json()["error"]["message"] == "image must be an image (JPEG, PNG or WebP)"
    assert list(api.runtime.vault.object_ids()) == []  # type: ignore[attr-defined]


def test_oversize_upload_is_413_and_nothing_is_kept(tmp_path: Path) -> None:
    client, runtime = make_client(tmp_path, max_image_bytes=20_000)
    with client:
        response = client.post(
            "/api/v1/jobs",
            data={**FIELDS, "task": "image_to_video"},
            files={"image": ("me.jpg", PHOTO, "image/jpeg")},
        )
        assert response.status_code == 413
        assert "larger than the limit of 20000 bytes" in response.json()["error"]["message"]
        assert list(runtime.vault.object_ids()) == []
    runtime.close()


def test_truncated_multipart_is_refused_and_shredded(api: TestClient) -> None:
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="task"\r\n\r\nimage_to_video\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + PHOTO[:30_000]
    response = api.post(
        "/api/v1/jobs",
        content=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422
    assert "cut short" in response.json()["error"]["message"]
    assert list(api.runtime.vault.object_ids()) == []  # type: ignore[attr-defined]


def test_bad_fields_after_upload_shred_the_upload(api: TestClient) -> None:
    response = api.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video", "fps": "fast"},
        files={"image": ("me.jpg", PHOTO, "image/jpeg")},
    )
    assert response.status_code == 422
    assert list(api.runtime.vault.object_ids()) == []  # type: ignore[attr-defined]


def test_no_plaintext_upload_reaches_the_disk(api: TestClient, tmp_path: Path) -> None:
    api.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video", "params": '{"delay": 0.5}'},
        files={"image": ("me.jpg", PHOTO, "image/jpeg")},
    )
    # while the job is queued, the upload exists only encrypted
    needle = PHOTO[1000:1064]
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file() and "scratch" not in path.parts:
            assert needle not in path.read_bytes(), path


MOTION = (DATA / "arms_and_knees_dance.bvh").read_bytes()
DANCE_FIELDS = {"task": "dance", "engine": "puppet", "size": "128x128", "fps": "30", "seconds": "2"}


def test_a_bvh_file_is_a_dance_reference_for_an_engine_that_reads_motion(
    api: TestClient,
) -> None:
    engines = {e["name"]: e for e in api.get("/api/v1/engines").json()["data"]}
    assert engines["puppet"]["reads_motion"] and not engines["fake"]["reads_motion"]
    response = api.post(
        "/api/v1/jobs",
        data=DANCE_FIELDS,
        files={
            "image": ("me.jpg", PHOTO, "image/jpeg"),
            # Typed by content: the name and the declared type say nothing.
            "reference_video": ("dab.txt", MOTION, "application/octet-stream"),
        },
    )
    assert response.status_code == 201, response.text
    job = wait_for(api, response.json()["id"])
    assert job["status"] == "completed", job
    assert job["seconds"] == 2


def test_a_bvh_file_for_an_engine_that_needs_a_video_is_refused(api: TestClient) -> None:
    response = api.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "dance"},
        files={
            "image": ("me.jpg", PHOTO, "image/jpeg"),
            "reference_video": ("dab.bvh", MOTION, "application/octet-stream"),
        },
    )
    assert response.status_code == 415, response.text
    assert "dances from a video, not a BVH motion file" in response.json()["error"]["message"]
    assert list(api.runtime.vault.object_ids()) == []  # type: ignore[attr-defined]


def test_a_damaged_or_too_long_bvh_file_is_refused_before_it_is_kept(api: TestClient) -> None:
    head = MOTION.split(b"MOTION")[0]
    first_frame = MOTION.split(b"Frame Time:")[1].splitlines()[1]  # one whole frame line
    for body, status, words in [
        (head + b"MOTION\nFrames: 99999\nFrame Time: 0.0333\n", 413, "frames"),
        (
            head + b"MOTION\nFrames: 2\nFrame Time: 0.0333\n" + first_frame + b"\n",
            422,
            "declares 2 frames but has 1",
        ),
        (head + b"MOTION\nFrames: 2\nFrame Time: 0.0333\n1 2 3\n", 422, "3 values in frame 1"),
        (b"HIERARCHY\nROOT {\n", 422, "BVH file"),
    ]:
        response = api.post(
            "/api/v1/jobs",
            data=DANCE_FIELDS,
            files={
                "image": ("me.jpg", PHOTO, "image/jpeg"),
                "reference_video": ("dab.bvh", body, "application/octet-stream"),
            },
        )
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert words in error["message"] and error["param"] == "reference_video"
    assert list(api.runtime.vault.object_ids()) == []  # type: ignore[attr-defined]
