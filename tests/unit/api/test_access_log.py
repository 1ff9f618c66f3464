"""The access log names the route template and status, never ids, queries or the client."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

ACCESS = "reelvault.access"
SECRET_ID = "vid_0123456789abcdef0123456789abcdef"


def access_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ACCESS]


def test_logs_route_template_and_status_only(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS):
        response = api.get(f"/v1/videos/{SECRET_ID}?secret=xyz")
    assert response.status_code == 404
    messages = access_messages(caplog)
    assert len(messages) == 1
    assert messages[0].startswith("GET /v1/videos/{video_id} 404 ")
    text = caplog.text + " ".join(messages)
    for leaked in (SECRET_ID, "secret=xyz", "xyz", "127.0.0.1", "testclient"):
        assert leaked not in text


def test_successful_request_logs_its_status(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS):
        assert api.get("/v1/videos").status_code == 200
    assert [m.rsplit(" ", 1)[0] for m in access_messages(caplog)] == ["GET /v1/videos 200"]


def test_unmatched_path_is_not_echoed(api: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS):
        assert api.get("/no/such/place-42").status_code == 404
    messages = access_messages(caplog)
    assert len(messages) == 1
    assert messages[0].startswith("GET unmatched 404 ")
    assert "place-42" not in caplog.text


def test_nothing_logged_above_info(api: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=ACCESS):
        api.get(f"/v1/videos/{SECRET_ID}")
        api.get("/v1/videos")
    assert access_messages(caplog) == []
