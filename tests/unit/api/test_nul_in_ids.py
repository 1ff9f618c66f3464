"""An id holding a NUL character gets a 4xx, on PostgreSQL too (its text type takes no
NUL: the lookup itself fails there). Found by the admin IDOR matrix: `job_%00` gave 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PATHS = [
    ("GET", "/api/v1/jobs/job_%00"),
    ("DELETE", "/api/v1/jobs/job_%00"),
    ("GET", "/api/v1/jobs/job_%00/content"),
    ("GET", "/v1/videos/video_%00"),
    ("DELETE", "/api/v1/account/keys/key_%00"),
    ("GET", "/api/v1/jobs?after=job_%00"),
    ("POST", "/api/v1/jobs/job_%00/remix"),
    ("POST", "/v1/videos/video_%00/remix"),
]


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_a_nul_in_an_id_is_a_client_error(api: TestClient, method: str, path: str) -> None:
    answer = api.request(method, path)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    assert answer.json()["error"]["code"] in ("not_found", "invalid_request", "unauthorized")


def test_a_nul_in_a_json_field_is_a_client_error(api: TestClient) -> None:
    answer = api.post(
        "/api/v1/jobs",
        json={"prompt": "a kite", "size": "64x48", "seconds": 1, "webhook_url": "http://a\u0000b"},
    )
    assert 400 <= answer.status_code < 500, answer.text


def test_a_nul_in_the_id_of_a_video_to_extend_is_a_client_error(api: TestClient) -> None:
    video = {"id": "video_\u0000"}
    for path, body in (
        ("/v1/videos/extensions", {"prompt": "on", "seconds": "4", "video": video}),
        ("/v1/videos/edits", {"prompt": "on", "video": video}),
    ):
        answer = api.post(path, json=body)
        assert 400 <= answer.status_code < 500, (path, answer.text)
