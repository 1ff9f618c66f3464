"""Through the HTTP API: the consent gate, a remote job end to end, cancellation, failures."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.db.models import StoredObject
from reelvault.engines.registry import EngineRegistry
from reelvault.engines.remote import RemoteConfig, RemoteEngine, processors
from reelvault.media.probe import probe_video
from reelvault.privacy.consent import grant, provider_purpose, withdraw
from reelvault.runtime import Runtime
from reelvault.testing import FakeEngine, settings_for
from reelvault.types import LOCAL_OWNER
from tests.unit.engines.remote.conftest import remote_config
from tests.unit.engines.remote.fakes import FakeComfy, FakeFal, reply_json

MODEL = "fal-ai/kling-video/v2/master/text-to-video"
JOB = {"model": MODEL, "prompt": "a fox running through snow", "size": "640x360", "seconds": 2}


def remote_engine_class(config: RemoteConfig) -> type[RemoteEngine]:
    class ConfiguredRemote(RemoteEngine):
        def __init__(self, settings: Any) -> None:
            super().__init__(settings, config=config)

    return ConfiguredRemote


@pytest.fixture
def api(tmp_path: Path, fal: FakeFal, comfy: FakeComfy) -> Iterator[TestClient]:
    settings = settings_for(tmp_path)
    registry = EngineRegistry(settings)
    registry.register(FakeEngine)
    registry.register(remote_engine_class(remote_config(tmp_path, fal=fal, comfy=comfy)))
    runtime = open_runtime(settings, registry=registry)
    with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client
    runtime.close()


def wait_for(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_without_consent_nothing_is_sent_or_stored(api: TestClient, fal: FakeFal) -> None:
    response = api.post("/api/v1/jobs", json=JOB)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "consent_required"
    assert "fal.ai" in error["message"] and "prompt" in error["message"]
    assert "fox" not in error["message"]
    assert api.get("/api/v1/jobs").json()["data"] == []
    assert fal.seen == []
    # Multipart with an image: refused the same way, and the upload is shredded.
    with (Path(__file__).resolve().parents[3] / "data" / "fullbody_yoga_beach.jpg").open(
        "rb"
    ) as image:
        response = api.post(
            "/api/v1/jobs",
            data={"task": "image_to_video", "model": MODEL, "size": "640x360"},
            files={"image": ("me.jpg", image, "image/jpeg")},
        )
    assert response.status_code == 403
    assert "image" in response.json()["error"]["message"]
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    with runtime.session() as session:
        assert session.scalars(select(StoredObject)).all() == []  # the upload was shredded
    assert fal.seen == []


def test_gate_reports_provider_and_sends(api: TestClient) -> None:
    from reelvault.errors import ConsentRequiredError
    from reelvault.jobs.request import JobRequest, validate_request
    from reelvault.types import Task

    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    request = JobRequest(
        prompt="x", task=Task.DANCE, engine="remote", params={"model": MODEL}, owner_id=LOCAL_OWNER
    )
    with pytest.raises(ConsentRequiredError) as caught:
        validate_request(runtime, request)
    assert caught.value.provider == "fal"
    assert caught.value.sends == ["prompt", "image", "reference video"]


def test_after_opt_in_the_job_runs_and_an_mp4_comes_out(api: TestClient, fal: FakeFal) -> None:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    grant(runtime, LOCAL_OWNER, provider_purpose("fal"))
    created = api.post("/api/v1/jobs", json=JOB)
    assert created.status_code == 201, created.text
    assert created.json()["engine"] == "remote"
    assert created.json()["params"]["model"] == MODEL
    job = wait_for(api, created.json()["id"])
    assert job["status"] == "completed", job
    content = api.get(f"/api/v1/jobs/{job['id']}/content")
    assert content.status_code == 200 and content.content[4:8] == b"ftyp"
    video = Path(str(api.runtime.settings.data_dir)) / "out.mp4"  # type: ignore[attr-defined]
    video.write_bytes(content.content)
    info = probe_video(video)
    assert (info.width, info.height, info.frame_count) == (576, 576, 120)
    assert len(fal.requests_to("/status")) >= 2
    # Withdrawing takes effect for the very next job.
    withdraw(runtime, LOCAL_OWNER, provider_purpose("fal"))
    assert api.post("/api/v1/jobs", json=JOB).status_code == 403


def test_cancel_through_the_api_cancels_at_the_provider(api: TestClient, fal: FakeFal) -> None:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    grant(runtime, LOCAL_OWNER, provider_purpose("fal"))
    fal.behaviour.statuses = ["IN_QUEUE", "IN_PROGRESS"]
    job_id = api.post("/api/v1/jobs", json=JOB).json()["id"]
    deadline = time.monotonic() + 10
    while not fal.polls and time.monotonic() < deadline:
        time.sleep(0.02)
    assert api.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
    assert wait_for(api, job_id)["status"] == "cancelled"
    assert len(fal.cancelled) == 1


def test_provider_failures_fail_the_job_and_the_worker_survives(
    api: TestClient, fal: FakeFal
) -> None:
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    grant(runtime, LOCAL_OWNER, provider_purpose("fal"))
    fal.behaviour.submit_errors = [reply_json(500, {"detail": "boom"})]
    failed = wait_for(api, api.post("/api/v1/jobs", json=JOB).json()["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "engine_error"
    assert "HTTP 500" in failed["error"]["message"] and "fox" not in failed["error"]["message"]
    fal.behaviour.result = {"video": "nope"}
    malformed = wait_for(api, api.post("/api/v1/jobs", json=JOB).json()["id"])
    assert malformed["status"] == "failed" and "without a video" in malformed["error"]["message"]
    # The same worker thread takes the next job.
    local = {"engine": "fake", "prompt": "x", "size": "64x48", "fps": 8, "seconds": 1}
    assert wait_for(api, api.post("/api/v1/jobs", json=local).json()["id"])["status"] == "completed"


def test_own_comfyui_server_needs_no_consent(tmp_path: Path, comfy: FakeComfy) -> None:
    from reelvault.jobs.request import JobRequest, validate_request

    settings = settings_for(tmp_path)
    registry = EngineRegistry(settings)
    config = remote_config(tmp_path, comfy=comfy, comfyui_is_own_server=True)
    registry.register(remote_engine_class(config))
    runtime = open_runtime(settings, registry=registry)
    try:
        request = JobRequest(prompt="x", engine="remote", params={"model": "comfyui"})
        validate_request(runtime, request)  # no ConsentRequiredError
    finally:
        runtime.close()


def test_processors_lists_enabled_third_parties() -> None:
    class Configured:
        fal_key = "k"
        replicate_api_token = None
        comfyui_url = "http://gpu-box.lan:8188"
        comfyui_workflow = "/srv/workflow.json"
        comfyui_is_own_server = False

    found = processors(Configured())
    assert [item["purpose"] for item in found] == ["provider:fal", "provider:comfyui"]
    assert all(
        set(item) == {"provider", "name", "purpose", "url", "role", "retention"} for item in found
    )
    Configured.comfyui_is_own_server = True
    assert [item["purpose"] for item in processors(Configured())] == ["provider:fal"]


def test_withdrawal_while_queued_stops_the_job_before_anything_is_sent(
    tmp_path: Path, fal: FakeFal, comfy: FakeComfy
) -> None:
    settings = settings_for(tmp_path)
    registry = EngineRegistry(settings)
    registry.register(remote_engine_class(remote_config(tmp_path, fal=fal, comfy=comfy)))
    runtime = open_runtime(settings, registry=registry)
    try:
        # No workers yet: the job waits in the queue while the owner changes their mind.
        with TestClient(create_app(settings, runtime=runtime, worker_mode="none")) as client:
            grant(runtime, LOCAL_OWNER, provider_purpose("fal"))
            job = client.post("/api/v1/jobs", json=JOB).json()
            withdraw(runtime, LOCAL_OWNER, provider_purpose("fal"))
        from reelvault.jobs.worker import Worker

        assert Worker(runtime).run_once() == "failed"
        with TestClient(create_app(settings, runtime=runtime, worker_mode="none")) as client:
            final = client.get(f"/api/v1/jobs/{job['id']}").json()
        assert final["error"]["code"] == "consent_required"
        assert fal.seen == []
    finally:
        runtime.close()


def test_negative_prompt_and_input_reach_the_provider_but_not_the_database(
    api: TestClient, fal: FakeFal
) -> None:
    # Free-text parameters are prompt data: kept encrypted with the prompt, not in jobs.params.
    runtime: Runtime = api.runtime  # type: ignore[attr-defined]
    grant(runtime, LOCAL_OWNER, provider_purpose("fal"))
    params = {"model": MODEL, "negative_prompt": "no Tangerine Axolotl", "input": {"mood": "Ochre"}}
    created = api.post("/api/v1/jobs", json={**JOB, "params": params})
    assert created.status_code == 201, created.text
    assert created.json()["params"] == {"model": MODEL, "image_input": None, "video_input": None}
    job = wait_for(api, created.json()["id"])
    assert job["status"] == "completed", job
    (submitted,) = [json.loads(seen.body) for seen in fal.requests_to(MODEL, "POST")]
    assert submitted["negative_prompt"] == "no Tangerine Axolotl"
    assert submitted["mood"] == "Ochre"
    database = sorted(runtime.settings.data_dir.glob("*.db*"))  # with its WAL
    assert any(path.name.endswith("-wal") for path in database)
    for path in database:
        assert b"Tangerine" not in path.read_bytes() and b"Ochre" not in path.read_bytes()
