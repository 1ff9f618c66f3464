"""/privacy says which moderators run and what they keep (issue 22, transparency)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.privacy.policy_page import MODERATION_KEEPS
from reelvault.testing import moderators_with_fake, registry_with_fake, settings_for


def test_the_privacy_page_lists_the_moderators_and_what_they_keep(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, moderators=["rules", "fake"])
    runtime = open_runtime(
        settings, registry=registry_with_fake(settings), moderators=moderators_with_fake()
    )
    try:
        with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
            page = client.get("/privacy").text
            data = client.get("/privacy.json").json()
        assert "<h2>Content moderation</h2>" in page and "nothing" in page
        assert "<strong>rules</strong> (text)" in page and "<strong>fake</strong> (images)" in page
        assert "record your answer, not the face" in page
        listed = {item["name"]: item["checks"] for item in data["moderation"]["moderators"]}
        assert listed == {"rules": ["text"], "fake": ["images"]}
        assert data["moderation"]["keeps"] == MODERATION_KEEPS
        assert "abuse_report" in data["data_classes"]
    finally:
        runtime.close()
