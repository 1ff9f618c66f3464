"""Nothing a client sends makes the API answer 500, and the catch-all logs no details.

Issue 15, finding 6: deeply nested JSON (body or multipart ``params``), integers over
4,300 digits (JSON, ``params``, the ``Range`` header) and a malformed MP4 sent to
``/api/v1/provenance/verify`` each ended in an unhandled exception; the traceback that
reached the log named scratch paths and job ids.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelvault.runtime import Runtime
from tests.unit.api.conftest import FAKE_JOB, make_client, wait_for

DATA = Path(__file__).resolve().parents[1] / "data"
DEEP = "[" * 50_000 + "]" * 50_000
HUGE = "9" * 5_000


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    api, runtime = make_client(tmp_path, watermark_secret="w" * 32)
    # The server's view: a failure must come back as a response, never as an exception.
    with api:
        yield api, runtime
    runtime.close()


def _clear_4xx(response: object, param: str | None = None) -> dict[str, object]:
    status = response.status_code  # type: ignore[attr-defined]
    assert 400 <= status < 500, response.text  # type: ignore[attr-defined]
    error: dict[str, object] = response.json()["error"]  # type: ignore[attr-defined]
    assert isinstance(error["message"], str) and error["message"]
    if param is not None:
        assert error["param"] == param
    return error


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/v1/jobs", '{"prompt": "x", "params": {"a": ' + DEEP + "}}"),
        ("/api/v1/jobs", DEEP),
        ("/v1/videos", '{"prompt": "x", "model": ' + DEEP + "}"),
        ("/api/v1/jobs", '{"prompt": "x", "seed": ' + HUGE + "}"),
        ("/api/v1/jobs", '{"prompt": "x", "params": {"steps": -' + HUGE + "}}"),
        ("/v1/videos", '{"prompt": "x", "seconds": ' + HUGE + "}"),
        ("/api/v1/jobs", '{"prompt": "x", "engine": "fake", "seconds": 1e999}'),
        ("/api/v1/jobs", '{"prompt": "x", "engine": "fake", "params": {"delay": NaN}}'),
    ],
    ids=[
        "deep-params",
        "deep-body",
        "deep-openai",
        "huge-seed",
        "huge-params",
        "huge-openai",
        "float-overflow",
        "nan",
    ],
)
def test_nested_or_huge_json_is_a_clear_4xx(
    client: tuple[TestClient, Runtime], route: str, body: str
) -> None:
    api, _ = client
    response = api.post(route, content=body, headers={"content-type": "application/json"})
    _clear_4xx(response)
    assert api.get("/api/v1/jobs").json()["data"] == []


@pytest.mark.parametrize(
    "params",
    ['{"a": ' + "[" * 20_000 + "]" * 20_000 + "}", '{"steps": ' + HUGE + "}"],
    ids=["deep", "huge"],
)
def test_multipart_params_nested_or_huge_is_a_clear_4xx(
    client: tuple[TestClient, Runtime], params: str
) -> None:
    api, _ = client
    fields = {"prompt": (None, "x"), "engine": (None, "fake"), "params": (None, params)}
    _clear_4xx(api.post("/api/v1/jobs", files=fields), param="params")


@pytest.mark.parametrize(
    "fields",
    [{"fps": HUGE}, {"seed": HUGE}, {"seconds": HUGE}, {"seconds": "1e999"}],
    ids=["fps", "seed", "seconds", "seconds-overflow"],
)
def test_multipart_numbers_out_of_range_are_a_clear_4xx(
    client: tuple[TestClient, Runtime], fields: dict[str, str]
) -> None:
    api, _ = client
    form = {"prompt": (None, "x"), "engine": (None, "fake")}
    form.update({name: (None, value) for name, value in fields.items()})
    _clear_4xx(api.post("/api/v1/jobs", files=form))


def test_huge_numbers_in_the_range_header(client: tuple[TestClient, Runtime]) -> None:
    api, _ = client
    job = api.post("/api/v1/jobs", json=FAKE_JOB).json()
    assert wait_for(api, job["id"])["status"] == "completed"
    url = f"/api/v1/jobs/{job['id']}/content"
    size = len(api.get(url).content)

    beyond = api.get(url, headers={"Range": f"bytes={HUGE}-"})
    assert beyond.status_code == 416, beyond.text
    assert beyond.json()["error"]["code"] == "range_not_satisfiable"
    assert HUGE not in beyond.text

    to_the_end = api.get(url, headers={"Range": f"bytes=10-{HUGE}"})
    assert to_the_end.status_code == 206
    assert to_the_end.headers["content-range"] == f"bytes 10-{size - 1}/{size}"

    suffix = api.get(url, headers={"Range": f"bytes=-{HUGE}"})
    assert suffix.status_code == 206
    assert len(suffix.content) == size

    padded = api.get(url, headers={"Range": "bytes=" + "0" * 5_000 + "1-2"})
    assert padded.status_code == 206 and len(padded.content) == 2


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"junk" * 100,
        (DATA / "squats_woman_720x1280_5fps.mp4").read_bytes()[:4000],
    ],
    ids=["garbage-after-ftyp", "truncated"],
)
def test_a_malformed_mp4_to_verify_is_a_clear_4xx(
    client: tuple[TestClient, Runtime], content: bytes
) -> None:
    api, runtime = client
    response = api.post(
        "/api/v1/provenance/verify", files={"file": ("clip.mp4", content, "video/mp4")}
    )
    error = _clear_4xx(response, param="file")
    assert error["code"] == "unsupported_media_type"
    assert str(runtime.settings.data_dir) not in response.text


def test_the_catch_all_logs_only_the_type_and_the_route_template(
    client: tuple[TestClient, Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    api, _ = client
    scratch = "/var/lib/reelvault/scratch/job_s3cr3t/input.png"

    def fails(job_id: str) -> None:
        raise RuntimeError(f"cannot open {scratch} for {job_id}")

    api.app.add_api_route("/api/v1/failing/{job_id}", fails)  # type: ignore[attr-defined]
    with caplog.at_level(logging.DEBUG):
        response = api.get("/api/v1/failing/job_s3cr3t")
    assert response.status_code == 500
    assert response.json()["error"] == {
        "code": "internal_error",
        "message": "internal server error",
        "param": None,
    }
    assert any(
        "RuntimeError" in record.getMessage() and "/api/v1/failing/{job_id}" in record.getMessage()
        for record in caplog.records
    )
    # The test client's own request log (httpx) is the client's, not the server's.
    for record in (r for r in caplog.records if not r.name.startswith("httpx")):
        text = record.getMessage()
        assert "s3cr3t" not in text and "cannot open" not in text, text
        assert record.exc_info is None and record.exc_text is None, text
