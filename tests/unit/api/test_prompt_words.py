"""The procedural engine's report on a prompt's words through the API: drawn and not drawn."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from .conftest import FAKE_JOB, make_client, wait_for

FOX = "a red fox running through a snowy forest at night under the northern lights, a zorblax"
PROCEDURAL_JOB = {**FAKE_JOB, "engine": "procedural", "prompt": FOX, "size": "128x72"}
DRAWN = ["fox", "snowy", "forest", "night", "northern lights"]


def test_a_jobs_words_are_reported_while_its_prompt_is_kept(tmp_path: Path) -> None:
    client, runtime = make_client(tmp_path, policy="standard")
    with client:
        job = client.post("/api/v1/jobs", json=PROCEDURAL_JOB).json()
        assert wait_for(client, job["id"])["status"] == "completed"
        words = client.get(f"/api/v1/jobs/{job['id']}/words")
        assert words.status_code == 200, words.text
        assert words.json() == {
            "object": "prompt_words",
            "engine": "procedural",
            "drawn": DRAWN,
            "not_drawn": ["zorblax"],
        }
        fake = client.post("/api/v1/jobs", json=FAKE_JOB).json()
        wait_for(client, fake["id"])
        other = client.get(f"/api/v1/jobs/{fake['id']}/words")
        assert other.status_code == 404
        assert "does not report" in other.json()["error"]["message"]
    runtime.close()


def test_once_the_prompt_is_gone_so_is_the_report(api: TestClient) -> None:
    job = api.post("/api/v1/jobs", json=PROCEDURAL_JOB).json()
    assert wait_for(api, job["id"])["status"] == "completed"
    gone = api.get(f"/api/v1/jobs/{job['id']}/words")
    assert gone.status_code == 410, gone.text
    assert "zorblax" not in gone.text and "fox" not in gone.text


def test_an_engine_reports_the_words_of_a_prompt_before_any_job(api: TestClient) -> None:
    words = api.post("/api/v1/engines/procedural/words", json={"prompt": FOX})
    assert words.status_code == 200, words.text
    assert words.json()["drawn"] == DRAWN and words.json()["not_drawn"] == ["zorblax"]
    assert api.post("/api/v1/engines/fake/words", json={"prompt": FOX}).status_code == 404
    assert api.post("/api/v1/engines/nope/words", json={"prompt": FOX}).status_code == 404
    empty = api.post("/api/v1/engines/procedural/words", json={"prompt": ""})
    assert empty.status_code in (400, 422)
