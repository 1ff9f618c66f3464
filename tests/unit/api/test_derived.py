"""Remix, extend and edit in the native API and under /v1: lineage, refusals, privacy."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from reelvault.accounts.keys import create_api_key
from reelvault.db.models import Job, StoredObject
from reelvault.jobs import objects
from reelvault.media.provenance import init_provenance, verify_file
from reelvault.privacy.erase import erase_owner
from reelvault.types import ObjectId
from tests.unit.api.conftest import FAKE_JOB, make_client, wait_for

PROCEDURAL = {"engine": "procedural", "size": "160x96", "fps": 12, "seconds": 1, "seed": 9}
PHOTO = Path(__file__).parents[2] / "data" / "fullbody_yoga_beach.jpg"


def _made(api: TestClient, body: dict[str, object], headers: dict[str, str] | None = None) -> str:
    response = api.post("/api/v1/jobs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    job_id: str = response.json()["id"]
    assert wait_for(api, job_id, headers=headers)["status"] == "completed"
    return job_id


def _prompts_of(api: TestClient, job_id: str) -> list[str | None]:
    runtime = api.runtime  # type: ignore[attr-defined]
    with runtime.session() as session:
        rows = session.scalars(
            select(StoredObject).where(
                StoredObject.job_id == job_id,
                StoredObject.kind.in_([objects.PROMPT, objects.JOB_PROMPT]),
            )
        ).all()
        ids = [ObjectId(row.id) for row in rows]
    return [objects.read_prompt_document(runtime.vault, oid)[0] for oid in ids]


def test_an_engine_that_cannot_remix_says_so(api: TestClient) -> None:
    source = _made(api, FAKE_JOB)
    assert api.get(f"/api/v1/jobs/{source}").json()["derivations"] == []
    native = api.post(f"/api/v1/jobs/{source}/remix", json={"prompt": "at night"})
    assert native.status_code == 400
    assert "engine fake cannot remix videos" in native.json()["error"]["message"]
    openai = api.post(f"/v1/videos/{source}/remix", json={"prompt": "at night"})
    assert openai.status_code == 400
    assert openai.json()["error"]["param"] == "video"
    extend = api.post(
        "/v1/videos/extensions",
        json={"video": {"id": source}, "prompt": "on", "seconds": "4"},
    )
    assert extend.status_code == 400 and "cannot extend" in extend.json()["error"]["message"]


def test_remix_records_its_source_and_outlives_it(tmp_path: Path) -> None:
    api, runtime = make_client(tmp_path, policy="standard")
    with api:
        api.runtime = runtime  # type: ignore[attr-defined]
        source = _made(api, {**PROCEDURAL, "prompt": "a red balloon over the sea"})
        response = api.post(f"/api/v1/jobs/{source}/remix", json={"prompt": "at night"})
        assert response.status_code == 201, response.text
        remix = response.json()
        assert (remix["source_job_id"], remix["derivation"]) == (source, "remix")
        assert (remix["seed"], remix["size"], remix["seconds"]) == (9, "160x96", 1)
        assert wait_for(api, remix["id"])["status"] == "completed"
        # its prompt objects hold its own prompt only, never a copy of the source's
        assert set(_prompts_of(api, remix["id"])) == {"at night"}

        assert api.delete(f"/api/v1/jobs/{source}").status_code == 200
        kept = api.get(f"/api/v1/jobs/{remix['id']}").json()
        assert kept["status"] == "completed" and kept["source_job_id"] == source
        assert api.get(f"/api/v1/jobs/{remix['id']}/content").status_code == 200
        # the source is gone: a remix of it is a 404
        assert api.post(f"/api/v1/jobs/{source}/remix", json={"prompt": "x"}).status_code == 404
    runtime.close()


def test_another_owners_job_is_404(api: TestClient) -> None:
    runtime = api.runtime  # type: ignore[attr-defined]
    mine = create_api_key(runtime, name="me").secret
    theirs = create_api_key(runtime, name="them").secret
    source = _made(api, {**PROCEDURAL, "prompt": "boats"}, {"Authorization": f"Bearer {mine}"})
    for path in (f"/api/v1/jobs/{source}/remix", f"/v1/videos/{source}/remix"):
        response = api.post(
            path, json={"prompt": "at night"}, headers={"Authorization": f"Bearer {theirs}"}
        )
        assert response.status_code == 404, path
    response = api.post(
        f"/api/v1/jobs/{source}/extend",
        json={"prompt": "on", "seconds": 1},
        headers={"Authorization": f"Bearer {theirs}"},
    )
    assert response.status_code == 404


def test_a_photo_remix_needs_a_policy_that_keeps_the_photo(api: TestClient) -> None:
    runtime = api.runtime  # type: ignore[attr-defined]
    response = api.post(
        "/api/v1/jobs",
        data={"task": "image_to_video", "engine": "livephoto", "size": "160x96", "seconds": "1"},
        files={"image": ("me.jpg", PHOTO.read_bytes(), "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    source = response.json()["id"]
    assert wait_for(api, source)["status"] == "completed"
    before = set(runtime.vault.object_ids())
    remix = api.post(f"/api/v1/jobs/{source}/remix", json={"prompt": "push in"})
    assert remix.status_code == 410  # ephemeral: the photo was shredded after the job
    assert "no longer kept" in remix.json()["error"]["message"]
    assert set(runtime.vault.object_ids()) <= before  # nothing left behind


def test_only_a_completed_video_can_be_used(api: TestClient) -> None:
    response = api.post("/api/v1/jobs", json={**FAKE_JOB, "params": {"fail": "engine_error"}})
    assert response.status_code == 201, response.text
    failed = response.json()["id"]
    assert wait_for(api, failed)["status"] == "failed"
    early = api.post(f"/api/v1/jobs/{failed}/extend", json={"prompt": "on", "seconds": 1})
    assert early.status_code == 409
    assert "only a completed video" in early.json()["error"]["message"]


def test_extend_in_the_native_api(api: TestClient) -> None:
    source = _made(api, {**PROCEDURAL, "prompt": "a kite over hills"})
    offered = api.get(f"/api/v1/jobs/{source}").json()["derivations"]
    assert offered == ["edit", "extension", "remix"]
    response = api.post(f"/api/v1/jobs/{source}/extend", json={"prompt": "on", "seconds": 1})
    assert response.status_code == 201, response.text
    extended = response.json()
    assert (extended["seconds"], extended["derivation"]) == (2, "extension")
    assert extended["derivations"] == []  # queued: nothing to make from it yet
    done = wait_for(api, extended["id"])
    assert done["status"] == "completed", json.dumps(done["error"])
    runtime = api.runtime  # type: ignore[attr-defined]
    with runtime.session() as session:
        job = session.get(Job, extended["id"])
        assert job is not None and job.output_frames == 24
        # the copy of the source's video went with the job's end
        assert job.object_of_kind(objects.SOURCE_VIDEO) is None
        assert job.timeline_frames == 12  # the source's: its timeline goes on
    # an extension of the extension goes on along the same timeline
    again = api.post(f"/api/v1/jobs/{extended['id']}/extend", json={"prompt": "on", "seconds": 1})
    assert again.status_code == 201, again.text
    assert wait_for(api, again.json()["id"])["status"] == "completed"
    with runtime.session() as session:
        longest = session.get(Job, again.json()["id"])
        assert longest is not None and longest.output_frames == 36
        assert longest.timeline_frames == 12


def test_a_remix_carries_its_lineage_in_its_content_credentials(
    api: TestClient, tmp_path: Path
) -> None:
    runtime = api.runtime  # type: ignore[attr-defined]
    init_provenance(runtime.settings)
    source = _made(api, {**PROCEDURAL, "prompt": "a kite over hills"})
    response = api.post(f"/v1/videos/{source}/remix", json={"prompt": "at dusk"})
    assert response.status_code == 200, response.text
    remix = response.json()["id"]
    assert wait_for(api, remix)["status"] == "completed"
    path = tmp_path / "remix.mp4"
    path.write_bytes(api.get(f"/api/v1/jobs/{remix}/content").content)
    report = verify_file(path, runtime.settings)
    assert report.manifest == "valid"
    assert report.actions == ("c2pa.created", "c2pa.edited")


def test_erasing_the_owner_erases_what_was_made_from_their_videos(api: TestClient) -> None:
    runtime = api.runtime  # type: ignore[attr-defined]
    key = create_api_key(runtime, name="me")
    headers = {"Authorization": f"Bearer {key.secret}"}
    source = _made(api, {**PROCEDURAL, "prompt": "boats"}, headers)
    remix = api.post(f"/api/v1/jobs/{source}/remix", json={"prompt": "at night"}, headers=headers)
    assert remix.status_code == 201, remix.text
    assert wait_for(api, remix.json()["id"], headers=headers)["status"] == "completed"
    with runtime.session() as session:
        owner = session.get(Job, source).owner_id
    erase_owner(runtime, owner)
    with runtime.session() as session:
        assert session.scalars(select(Job).where(Job.owner_id == owner)).all() == []
        assert session.get(Job, remix.json()["id"]) is None


def test_the_video_to_edit_may_be_named_in_several_ways(api: TestClient) -> None:
    source = _made(api, FAKE_JOB)
    # each form reaches the source (the fake engine then says what it cannot do)
    for answer in (
        api.post("/v1/videos/edits", json={"prompt": "x", "video": {"id": source}}),
        api.post("/v1/videos/edits", json={"prompt": "x", "video": source}),
        api.post(
            "/v1/videos/edits", data={"prompt": "x", "video[id]": source}, files={"f": ("", b"")}
        ),
    ):
        assert answer.status_code == 400, answer.text
        assert "engine fake cannot edit videos" in answer.json()["error"]["message"]
    missing = api.post("/v1/videos/edits", json={"prompt": "x"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "video"
