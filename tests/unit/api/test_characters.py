"""Characters (#20 part 4): a person's likeness saved under a name, used later by name.

What a user would notice: creating one needs the likeness affirmation (recorded in the
consent ledger with the policy version); a prompt's ``@name`` or ``character`` makes an
image→video job from the saved photo; another owner can neither see nor use it; the
export holds it; deleting or erasing removes it (and a job can no longer use it); the
sweeper removes it when the policy's retention ends; nothing of it is plaintext on disk.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.accounts.keys import create_api_key
from reelvault.db.character_models import Character
from reelvault.db.models import StoredObject
from reelvault.jobs.request import INPUT_KIND_PREFIX
from reelvault.privacy import consent
from reelvault.privacy.erase import erase_owner
from reelvault.privacy.export import export_bytes
from reelvault.privacy.sweeper import sweep as sweep_once
from reelvault.runtime import Runtime
from tests.unit.api.conftest import make_client, wait_for

DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
NAME = "Zephyrine Quill"  # a name no code, policy text or test data holds
LIVEPHOTO = {"engine": "livephoto", "size": "96x64", "fps": 8, "seconds": 1, "seed": 3}


@pytest.fixture
def standard(tmp_path: Path) -> Any:
    client, runtime = make_client(tmp_path, policy="standard")
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client
    runtime.close()


def _owner_headers(runtime: Runtime, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_key(runtime, name=name).secret}"}


def _create(
    api: TestClient,
    *,
    name: str = NAME,
    media: bytes | None = None,
    filename: str = "me.jpg",
    affirmed: bool = True,
    headers: dict[str, str] | None = None,
    path: str = "/api/v1/characters",
) -> Any:
    data = {"name": name, "likeness_affirmed": "true" if affirmed else "false"}
    files = {"video": (filename, media if media is not None else PHOTO.read_bytes())}
    return api.post(path, data=data, files=files, headers=headers)


def _vault_objects(runtime: Runtime) -> int:
    return sum(1 for path in (runtime.settings.data_dir).rglob("*") if path.is_file())


def _clip(seconds: float = 1.0, size: tuple[int, int] = (96, 64)) -> bytes:
    """A short real H.264 clip (a moving gradient) made in memory."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=8)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for index in range(int(seconds * 8)):
            x = np.linspace(0, 255, size[0], dtype=np.float32)
            row = ((x + index * 20) % 256).astype(np.uint8)
            pixels = np.repeat(np.repeat(row[None, :, None], size[1], 0), 3, 2)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def test_a_character_is_created_listed_and_read_back_by_its_owner(standard: TestClient) -> None:
    response = _create(standard)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["id"].startswith("char_") and made["name"] == NAME
    assert made["media_type"] == "image/jpeg"
    assert made["expires_at"] is not None  # standard policy: at most 90 days
    assert standard.get(f"/api/v1/characters/{made['id']}").json()["name"] == NAME
    assert [c["id"] for c in standard.get("/api/v1/characters").json()["data"]] == [made["id"]]
    # OpenAI's shape for the same character
    fetched = standard.get(f"/v1/videos/characters/{made['id']}").json()
    assert set(fetched) == {"id", "created_at", "name"} and fetched["name"] == NAME


def test_creation_records_the_affirmation_with_the_policy_version(standard: TestClient) -> None:
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    assert _create(standard).status_code == 201
    history = consent.history(runtime, "local")
    likeness = [item for item in history if item.purpose == consent.LIKENESS]
    assert likeness and likeness[-1].granted
    assert likeness[-1].policy_version == runtime.policy.version_hash


def test_without_the_affirmation_nothing_is_kept(standard: TestClient) -> None:
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    before = _vault_objects(runtime)
    response = _create(standard, affirmed=False)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "likeness_affirmation_required"
    assert standard.get("/api/v1/characters").json()["data"] == []
    assert _vault_objects(runtime) == before  # the upload was shredded
    assert not [i for i in consent.history(runtime, "local") if i.purpose == consent.LIKENESS]


def test_a_policy_that_keeps_nothing_refuses_characters(api: TestClient) -> None:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    assert not runtime.policy.keeps_characters  # the default profile is ephemeral
    before = _vault_objects(runtime)
    response = _create(api)
    assert response.status_code == 400
    assert "cannot save characters" in response.json()["error"]["message"]
    assert _vault_objects(runtime) == before


@pytest.mark.parametrize(
    ("name", "status"),
    [("", 422), (" ", 422), ("x" * 81, 422), ("<script>", 422), ("@alice", 422)],
)
def test_bad_names_are_refused(standard: TestClient, name: str, status: int) -> None:
    response = _create(standard, name=name)
    assert response.status_code in (400, status), response.text
    assert response.json()["error"]["param"] == "name"


def test_names_are_unique_per_owner_whatever_their_case(standard: TestClient) -> None:
    assert _create(standard).status_code == 201
    again = _create(standard, name=NAME.upper())
    assert again.status_code == 409
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    other = _owner_headers(runtime, "other")
    assert _create(standard, headers=other).status_code == 201  # another owner may


def test_media_is_checked_by_content(standard: TestClient) -> None:
    response = _create(standard, media=b"hello, this is not a picture", filename="x.jpg")
    assert response.status_code == 415
    broken = _clip()[:300]
    response = _create(standard, media=broken, filename="x.mp4")
    assert response.status_code in (415, 422), response.text
    assert standard.get("/api/v1/characters").json()["data"] == []


def test_at_name_in_a_prompt_makes_an_image_to_video_job(standard: TestClient) -> None:
    character = _create(standard).json()
    body = {**LIVEPHOTO, "prompt": f"@{NAME.lower()} waves, slow zoom in"}
    body.pop("engine")
    response = standard.post("/api/v1/jobs", json={**body, "task": "text_to_video"})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["task"] == "image_to_video" and job["engine"] == "livephoto"
    assert wait_for(standard, job["id"])["status"] == "completed"
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    with runtime.session() as session:
        image = session.scalar(
            select(StoredObject).where(
                StoredObject.job_id == job["id"],
                StoredObject.kind == INPUT_KIND_PREFIX + "image",
            )
        )
        row = session.get(Character, character["id"])
        assert image is not None and row is not None
        # The job's own copy under its own key: deleting the character leaves the job.
        assert image.id != row.media_object
        assert runtime.vault.read_bytes(image.id) == PHOTO.read_bytes()


def test_a_character_made_from_a_video_gives_a_still(standard: TestClient) -> None:
    made = _create(standard, media=_clip(), filename="me.mp4")
    assert made.status_code == 201, made.text
    assert made.json()["media_type"] == "video/mp4"
    response = standard.post(
        "/api/v1/jobs",
        json={**LIVEPHOTO, "task": "image_to_video", "prompt": "drift", "character": NAME},
    )
    assert response.status_code == 201, response.text
    assert wait_for(standard, response.json()["id"])["status"] == "completed"


def test_another_owner_can_neither_see_nor_use_it(standard: TestClient) -> None:
    character = _create(standard).json()
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    other = _owner_headers(runtime, "stranger")
    assert standard.get(f"/api/v1/characters/{character['id']}", headers=other).status_code == 404
    assert (
        standard.get(f"/v1/videos/characters/{character['id']}", headers=other).status_code == 404
    )
    assert (
        standard.delete(f"/api/v1/characters/{character['id']}", headers=other).status_code == 404
    )
    assert standard.get("/api/v1/characters", headers=other).json()["data"] == []
    by_id = {**LIVEPHOTO, "task": "image_to_video", "prompt": "wave", "character": character["id"]}
    assert standard.post("/api/v1/jobs", json=by_id, headers=other).status_code == 404
    # Their @name is just text to someone else: no picture, so no image→video job.
    mention = {**LIVEPHOTO, "task": "image_to_video", "prompt": f"@{NAME} waves"}
    refused = standard.post("/api/v1/jobs", json=mention, headers=other)
    assert refused.status_code == 422 and refused.json()["error"]["param"] == "image"


def test_delete_shreds_it_and_jobs_can_no_longer_use_it(standard: TestClient) -> None:
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    character = _create(standard).json()
    with runtime.session() as session:
        row = session.get(Character, character["id"])
        assert row is not None
        media, name = row.media_object, row.name_object
    gone = standard.delete(f"/api/v1/characters/{character['id']}")
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert not runtime.vault.exists(media) and not runtime.vault.exists(name)
    assert standard.get(f"/api/v1/characters/{character['id']}").status_code == 404
    body = {**LIVEPHOTO, "task": "image_to_video", "prompt": "wave", "character": NAME}
    assert standard.post("/api/v1/jobs", json=body).status_code == 404


def test_export_holds_it_and_erasure_removes_it(standard: TestClient) -> None:
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    character = _create(standard).json()
    archive = export_bytes(runtime, ["local"])
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        data = json.loads(zipped.read("data.json"))
        assert [c["name"] for c in data["owners"][0]["characters"]] == [NAME]
        assert zipped.read(f"media/characters/{character['id']}.jpg") == PHOTO.read_bytes()
        summary = data["owners"][0]["summary"]["held"]["character"]
        assert summary["characters"] == 1 and summary["retention"] == "90 days"
    report = erase_owner(runtime, "local")
    assert report.characters == 1
    with runtime.session() as session:
        assert session.scalar(select(func.count()).select_from(Character)) == 0
    body = {**LIVEPHOTO, "task": "image_to_video", "prompt": "wave", "character": NAME}
    assert standard.post("/api/v1/jobs", json=body).status_code == 404


def test_the_sweeper_removes_it_when_the_policy_retention_ends(tmp_path: Path) -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    client, runtime = make_client(tmp_path, policy="standard")
    runtime.clock = lambda: now[0]  # type: ignore[method-assign]
    with client:
        made = _create(client).json()
        now[0] += timedelta(days=89)
        sweep_once(runtime)
        assert client.get(f"/api/v1/characters/{made['id']}").status_code == 200
        now[0] += timedelta(days=2)
        report = sweep_once(runtime)
        assert report.characters_deleted == 1
        assert client.get(f"/api/v1/characters/{made['id']}").status_code == 404
    runtime.close()


def test_nothing_of_it_is_plaintext_on_disk(standard: TestClient) -> None:
    runtime: Runtime = standard.runtime  # type: ignore[attr-defined]
    assert _create(standard).status_code == 201
    photo = PHOTO.read_bytes()
    needles = [NAME.encode(), NAME.encode("utf-16-le"), photo[1000:1064]]
    for path in runtime.settings.data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for needle in needles:
                assert needle not in content, f"{needle[:12]!r} in {path.name}"
