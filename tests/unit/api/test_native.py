"""The native API end to end, in-process: create, watch, download, cancel, delete, errors."""

from __future__ import annotations

import io
import json

import av
import pytest
from fastapi.testclient import TestClient

from .conftest import FAKE_JOB, wait_for


def test_create_watch_and_download(api: TestClient) -> None:
    created = api.post("/api/v1/jobs", json=FAKE_JOB)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["status"] == "queued" and job["object"] == "job"
    assert "prompt" not in job
    done = wait_for(api, job["id"])
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["expires_at"] is not None  # ephemeral: a download window
    video = api.get(f"/api/v1/jobs/{job['id']}/content")
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert video.headers["cache-control"] == "private, no-store"
    assert int(video.headers["content-length"]) == len(video.content) == done["output_bytes"]
    with av.open(io.BytesIO(video.content)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) == 8
    part = api.get(f"/api/v1/jobs/{job['id']}/content", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == video.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(video.content)}"
    tail = api.get(f"/api/v1/jobs/{job['id']}/content", headers={"Range": "bytes=-50"})
    assert tail.content == video.content[-50:]
    bad = api.get(
        f"/api/v1/jobs/{job['id']}/content", headers={"Range": f"bytes={len(video.content)}-"}
    )
    assert bad.status_code == 416
    thumb = api.get(f"/api/v1/jobs/{job['id']}/content", params={"variant": "thumbnail"})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert thumb.content[:4] == b"RIFF"


def test_download_before_completion_is_409_with_status(api: TestClient) -> None:
    job = api.post("/api/v1/jobs", json={**FAKE_JOB, "params": {"delay": 0.2}}).json()
    early = api.get(f"/api/v1/jobs/{job['id']}/content")
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "conflict"
    assert "not completed" in early.json()["error"]["message"]
    api.post(f"/api/v1/jobs/{job['id']}/cancel")


def test_cancel_then_cancel_again(api: TestClient) -> None:
    job = api.post(
        "/api/v1/jobs", json={**FAKE_JOB, "seconds": 5, "params": {"delay": 0.05}}
    ).json()
    first = api.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert first.status_code == 200
    final = wait_for(api, job["id"])
    assert final["status"] == "cancelled"
    second = api.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert second.status_code == 409
    assert second.json()["error"]["message"] == "the job is already cancelled"


def test_delete_shreds_and_forgets(api: TestClient) -> None:
    job = api.post("/api/v1/jobs", json=FAKE_JOB).json()
    wait_for(api, job["id"])
    deleted = api.delete(f"/api/v1/jobs/{job['id']}")
    assert deleted.json() == {"id": job["id"], "object": "job.deleted", "deleted": True}
    assert api.get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert list(api.runtime.vault.object_ids()) == []  # type: ignore[attr-defined]


def test_list_is_paginated_newest_first(api: TestClient) -> None:
    ids = [api.post("/api/v1/jobs", json={**FAKE_JOB, "seed": n}).json()["id"] for n in range(5)]
    first = api.get("/api/v1/jobs", params={"limit": 2}).json()
    assert [job["id"] for job in first["data"]] == ids[::-1][:2]
    assert first["has_more"] is True
    second = api.get("/api/v1/jobs", params={"limit": 2, "after": first["next_cursor"]}).json()
    assert [job["id"] for job in second["data"]] == ids[::-1][2:4]
    third = api.get("/api/v1/jobs", params={"limit": 2, "after": second["next_cursor"]}).json()
    assert [job["id"] for job in third["data"]] == ids[:1]
    assert third["has_more"] is False and third["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "status", "code", "fragment"),
    [
        ({**FAKE_JOB, "engine": "nope"}, 400, "unknown_engine", "unknown engine 'nope'"),
        ({**FAKE_JOB, "model": "sora-9", "engine": None}, 400, "unknown_engine", "unknown model"),
        ({**FAKE_JOB, "size": "65x48"}, 422, "invalid_request", "must be even"),
        ({**FAKE_JOB, "size": "big"}, 422, "invalid_request", "not WIDTHxHEIGHT"),
        ({**FAKE_JOB, "fps": "many"}, 422, "invalid_request", "fps"),
        ({**FAKE_JOB, "colour": "red"}, 422, "invalid_request", "colour"),
        ({**FAKE_JOB, "prompt": ""}, 422, "invalid_request", "the prompt is empty"),
        ({**FAKE_JOB, "webhook_url": "ftp://x"}, 422, "invalid_request", "http or https"),
        ({**FAKE_JOB, "webhook_url": "http://127.0.0.1/h"}, 422, "invalid_request", "private"),
        ({**FAKE_JOB, "task": "dance"}, 422, "invalid_request", "dance needs"),
    ],
)
def test_bad_requests_get_precise_errors(
    api: TestClient, body: dict[str, object], status: int, code: str, fragment: str
) -> None:
    response = api.post("/api/v1/jobs", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert fragment in error["message"]
    assert set(error) == {"code", "message", "param"}


def test_malformed_json_and_wrong_shapes(api: TestClient) -> None:
    broken = api.post(
        "/api/v1/jobs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["error"]["message"] == "the request body is not valid JSON"
    listed = api.post("/api/v1/jobs", json=[1, 2])
    assert listed.status_code == 422
    assert api.get("/api/v1/jobs/job_doesnotexist").status_code == 404
    assert api.get("/api/v1/nothing-here").json()["error"]["code"] == "not_found"


def test_engines_describe_themselves(api: TestClient) -> None:
    engines = {engine["name"]: engine for engine in api.get("/api/v1/engines").json()["data"]}
    procedural = engines["procedural"]
    assert procedural["tasks"] == ["text_to_video"]
    assert procedural["runs_locally"] is True
    assert procedural["sends_data_to_third_party"] is False
    assert "camera" in procedural["params_schema"]["properties"]


def test_server_sent_events_progress_then_done(api: TestClient) -> None:
    job = api.post(
        "/api/v1/jobs", json={**FAKE_JOB, "seconds": 2, "params": {"delay": 0.03}}
    ).json()
    events: list[tuple[str, dict[str, object]]] = []
    with api.stream("GET", f"/api/v1/jobs/{job['id']}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
                if name == "done":
                    break
    assert events[-1][0] == "done"
    assert events[-1][1]["status"] == "completed"
    progress = [int(data["progress"]) for _, data in events]  # type: ignore[call-overload]
    assert progress == sorted(progress)
    assert len(events) >= 3


def test_ops_endpoints(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": True, "vault": True, "workers": True}
    job = api.post("/api/v1/jobs", json=FAKE_JOB).json()
    wait_for(api, job["id"])
    metrics = api.get("/metrics").text
    assert 'reelvault_jobs_finished_total{engine="fake",state="completed"} 1.0' in metrics
    assert "reelvault_queue_depth 0.0" in metrics
    assert "lantern" not in metrics


def test_rate_limit_answers_429_with_retry_after(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .conftest import make_client

    client, runtime = make_client(tmp_path, rate_limit_per_minute=2)
    with client:
        assert client.post("/api/v1/jobs", json=FAKE_JOB).status_code == 201
        assert client.post("/api/v1/jobs", json=FAKE_JOB).status_code == 201
        limited = client.post("/api/v1/jobs", json=FAKE_JOB)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
    runtime.close()


def test_webm_output_on_request(api: TestClient) -> None:
    job = api.post("/api/v1/jobs", json={**FAKE_JOB, "format": "webm"}).json()
    assert job["format"] == "webm"
    assert wait_for(api, job["id"])["status"] == "completed"
    video = api.get(f"/api/v1/jobs/{job['id']}/content")
    assert video.headers["content-type"] == "video/webm"
    assert video.content[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a WebM file
    with av.open(io.BytesIO(video.content)) as container:
        assert container.streams.video[0].codec_context.name in ("vp9", "libvpx-vp9")
        assert sum(1 for _ in container.decode(video=0)) == 8
    refused = api.post("/api/v1/jobs", json={**FAKE_JOB, "format": "gif"})
    assert refused.status_code == 422
    assert refused.json()["error"]["param"] == "format"
