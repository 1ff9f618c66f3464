"""The privacy self-service API, as the studio calls it (in-process, real components)."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from pathlib import Path

import pytest

from reelvault.jobs.queue.database import DatabaseQueue
from reelvault.privacy import consent, notify
from reelvault.privacy.notify import SmtpSettings
from reelvault.testing import FakeClock
from tests.storage_backends import database_holds

from .api_helpers import (
    IMAGE,
    bearer,
    declare_adult,
    files_containing,
    image_job,
    privacy_app,
    text_job,
    wait_done,
)
from .test_notify import Inbox, _link, smtp_server  # noqa: F401


def test_consents_list_and_withdraw_take_effect_at_once(tmp_path: Path, clock: FakeClock) -> None:
    with privacy_app(tmp_path, policy="library", clock=clock, workers=False) as (client, runtime):
        headers, owner = bearer(runtime)
        listed = client.get("/api/v1/privacy/consents", headers=headers).json()["purposes"]
        by_name = {entry["purpose"]: entry for entry in listed}
        assert {"analytics", "marketing", "optional_cookies"} <= set(by_name)
        # Each engine that sends data off this machine is its own opt-in purpose.
        for name, entry in by_name.items():
            if name.startswith("provider:"):
                assert entry["opt_in"] and not entry["granted"]
                assert entry["legal_basis"] == "consent"
        assert by_name["analytics"] == {
            "purpose": "analytics",
            "granted": True,
            "opt_in": False,
            "legal_basis": "legitimate_interests",
            "description": by_name["analytics"]["description"],
        }
        assert by_name["marketing"]["opt_in"] and not by_name["marketing"]["granted"]
        assert by_name["marketing"]["legal_basis"] == "consent"
        # A browser's Global Privacy Control signal is honoured.
        gpc = client.get("/api/v1/privacy/consents", headers={**headers, "Sec-GPC": "1"}).json()
        assert not {e["purpose"]: e for e in gpc["purposes"]}["analytics"]["granted"]

        # Marketing is for adults only: the owner is asked their age first.
        asked = client.put(
            "/api/v1/privacy/consents/marketing", json={"granted": True}, headers=headers
        )
        assert asked.status_code == 403 and asked.json()["error"]["code"] == "age_required"
        declare_adult(client, headers)
        changed = client.put(
            "/api/v1/privacy/consents/marketing", json={"granted": True}, headers=headers
        )
        assert changed.status_code == 200 and changed.json()["granted"] is True
        withdrawn = client.put(
            "/api/v1/privacy/consents/marketing", json={"granted": False}, headers=headers
        ).json()
        assert withdrawn["granted"] is False
        history = consent.history(runtime, owner)
        assert [d.granted for d in history if d.purpose == "marketing"] == [True, False]
        assert {d.policy_version for d in history} == {runtime.policy.version_hash}
        bad = client.put("/api/v1/privacy/consents/spying", json={"granted": True}, headers=headers)
        assert bad.status_code == 422


def test_access_says_nothing_honestly_for_a_new_visitor(tmp_path: Path, clock: FakeClock) -> None:
    with privacy_app(tmp_path, policy="standard", clock=clock, workers=False) as (client, runtime):
        headers, _owner = bearer(runtime)
        answer = client.get("/api/v1/privacy/access", headers=headers).json()
        assert answer["holds_data"] is False
        assert answer["summary"].startswith("We hold no personal data linked to you.")
        assert answer["held"] == {}
        text_job(client, headers, "a paper boat on a quiet canal")
        held = client.get("/api/v1/privacy/access", headers=headers).json()
        assert held["holds_data"] is True
        assert held["held"]["job_metadata"]["jobs"] == 1
        assert held["held"]["prompt"]["objects"] == 2  # the engine's copy and the kept one
        assert held["held"]["prompt"]["retention"] == "30 days"


def test_export_is_a_zip_of_json_and_decrypted_media(tmp_path: Path, clock: FakeClock) -> None:
    with privacy_app(tmp_path, policy="library", clock=clock) as (client, runtime):
        headers, owner = bearer(runtime)
        job = image_job(client, headers, "my cat jumping, mail me at cat.owner@example.net")
        assert wait_done(client, job["id"], headers)["status"] == "completed"
        video = client.get(f"/api/v1/jobs/{job['id']}/content", headers=headers).content
        response = client.get("/api/v1/privacy/export", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        assert "attachment" in response.headers["content-disposition"]
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        data = json.loads(archive.read("data.json"))
        (record,) = data["owners"]
        assert record["owner_id"] == owner
        (exported_job,) = record["jobs"]
        assert exported_job["prompt"] == "my cat jumping, mail me at [EMAIL]"  # kept redacted
        assert record["consents"]["effective"]["analytics"] is True
        assert record["subscription_status"] is None
        names = set(archive.namelist())
        assert f"media/{job['id']}/output_video.mp4" in names
        assert archive.read(f"media/{job['id']}/output_video.mp4") == video
        assert archive.read(f"media/{job['id']}/input_image.jpg") == IMAGE.read_bytes()
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["missing"] == 0
        # Nothing decrypted was left on disk by the export.
        assert files_containing(tmp_path / "data", [IMAGE.read_bytes()[1000:1064]]) == []


def test_erase_leaves_no_trace_of_prompt_email_or_upload(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    inbox, smtp = smtp_server
    prompt = "Zanzibar heron Quetzalcoatl dancing on velvet dunes"
    address = "erase.me.please@example.org"
    with privacy_app(
        tmp_path,
        policy="library",
        clock=clock,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from=smtp.sender,
        smtp_starttls=False,
        smtp_username=smtp.username,
        smtp_password=smtp.password,
        public_base_url=smtp.public_base_url,
    ) as (client, runtime):
        headers, owner = bearer(runtime)
        other_headers, _other = bearer(runtime, "someone else")
        kept = text_job(client, other_headers, "an unrelated lighthouse at dawn")
        jobs = [text_job(client, headers, prompt), image_job(client, headers, prompt)]
        for job in [*jobs, kept]:
            assert wait_done(client, job["id"], headers if job in jobs else other_headers)
        declare_adult(client, headers)
        assert (
            client.post(
                "/api/v1/privacy/notify", json={"email": address}, headers=headers
            ).status_code
            == 202
        )
        assert inbox.recipients == [[address]]
        client.put("/api/v1/privacy/consents/marketing", json={"granted": True}, headers=headers)
        client.post("/api/v1/webhook-secret", headers=headers)

        erased = client.post("/api/v1/privacy/erase", headers=headers)
        assert erased.status_code == 200
        counts = erased.json()["erased"]
        assert counts["jobs"] == 2 and counts["contacts"] == 1 and counts["api_keys"] == 1
        assert counts["objects_shredded"] >= 6  # prompts, upload, outputs, webhook secret
        # The identity is gone too; the other owner is untouched.
        assert client.get("/api/v1/jobs", headers=headers).status_code == 401
        assert wait_done(client, kept["id"], other_headers)["status"] == "completed"
        access = client.get("/api/v1/privacy/access", headers=other_headers).json()
        assert access["held"]["job_metadata"]["jobs"] == 1
    needles = [
        prompt.encode(),
        b"Quetzalcoatl",
        address.encode(),
        b"erase.me.please",
        IMAGE.read_bytes()[2000:2064],
        owner.encode(),
    ]
    data_dir = tmp_path / "data"
    if runtime.db.url.get_backend_name() == "sqlite":
        assert (data_dir / "reelvault.db").is_file()  # searched below with the other files
    else:
        assert [needle for needle in needles if database_holds(runtime.db, needle)] == []
    assert files_containing(data_dir, needles) == []
    logs = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("reelvault"))
    assert "Quetzalcoatl" not in logs and "erase.me.please" not in logs


def test_restrict_holds_queued_jobs_until_lifted(tmp_path: Path, clock: FakeClock) -> None:
    with privacy_app(tmp_path, policy="standard", clock=clock, workers=False) as (client, runtime):
        headers, _owner = bearer(runtime)
        job = text_job(client, headers, "a kite over a wheat field")
        answer = client.post("/api/v1/privacy/restrict", headers=headers).json()
        assert answer == {"restricted": True, "held_jobs": 1}
        queue = DatabaseQueue(runtime)
        assert queue.claim("w1") is None  # held: data kept, not processed
        assert client.get(f"/api/v1/jobs/{job['id']}", headers=headers).json()["status"] == (
            "queued"
        )
        lifted = client.post(
            "/api/v1/privacy/restrict", json={"restricted": False}, headers=headers
        ).json()
        assert lifted["restricted"] is False
        assert queue.claim("w1") == job["id"]


def test_object_stops_analytics_and_marketing(tmp_path: Path, clock: FakeClock) -> None:
    with privacy_app(tmp_path, policy="library", clock=clock, workers=False) as (client, runtime):
        headers, owner = bearer(runtime)
        declare_adult(client, headers)
        client.put("/api/v1/privacy/consents/marketing", json={"granted": True}, headers=headers)
        assert consent.has_consent(runtime, owner, "marketing")
        answer = client.post("/api/v1/privacy/object", headers=headers).json()
        assert answer["objected"] == ["analytics", "marketing"]
        assert not consent.has_consent(runtime, owner, "analytics")
        assert not consent.has_consent(runtime, owner, "marketing")


def test_notify_without_smtp_is_a_clear_409(tmp_path: Path, clock: FakeClock) -> None:
    with privacy_app(tmp_path, policy="library", clock=clock, workers=False) as (client, runtime):
        headers, _owner = bearer(runtime)
        response = client.post(
            "/api/v1/privacy/notify", json={"email": "a@example.org"}, headers=headers
        )
        assert response.status_code == 409
        assert "SMTP" in response.json()["error"]["message"]


def test_unsubscribe_link_page_never_unsubscribes_on_get(
    tmp_path: Path,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    with privacy_app(
        tmp_path,
        policy="library",
        clock=clock,
        workers=False,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_from=smtp.sender,
        smtp_starttls=False,
        smtp_username=smtp.username,
        smtp_password=smtp.password,
        public_base_url=smtp.public_base_url,
    ) as (client, runtime):
        headers, _owner = bearer(runtime)
        declare_adult(client, headers)
        client.post("/api/v1/privacy/notify", json={"email": "n@example.org"}, headers=headers)
        confirm = _link(inbox.messages[0], "/api/v1/privacy/notify/confirm")
        assert client.get(f"/api/v1/privacy/notify/confirm?token={confirm}").status_code == 200
        assert client.get(f"/api/v1/privacy/notify/confirm?token={confirm}").status_code == 404
        token = _link(inbox.messages[0], "/api/v1/privacy/notify/unsubscribe")
        page = client.get(f"/api/v1/privacy/notify/unsubscribe?token={token}")
        assert page.status_code == 200 and '<form method="post"' in page.text
        assert notify.count(runtime)["confirmed"] == 1
        one_click = client.post(
            f"/api/v1/privacy/notify/unsubscribe?token={token}",
            data={"List-Unsubscribe": "One-Click"},
        )
        assert one_click.status_code == 200
        assert notify.count(runtime) == {"pending": 0, "confirmed": 0}
