"""Data-subject requests by e-mail (verified by a one-time code), the age gate, the policy page."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from reelvault.accounts.keys import create_api_key
from reelvault.cli.privacy import app as privacy_cli
from reelvault.cli.state import CliState
from reelvault.db.dsr_models import OwnerContact
from reelvault.db.models import StoredObject
from reelvault.db.privacy_models import NotifySubscription
from reelvault.errors import ConfigError, NotFoundError
from reelvault.jobs.queries import get_job
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.privacy import dsr, news, notify
from reelvault.privacy.notify import SmtpSettings
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock
from reelvault.types import ObjectId

from .api_helpers import bearer, image_job, privacy_app, text_job, wait_done
from .conftest import OpenRuntime
from .test_notify import Inbox, _link, smtp_server  # noqa: F401

ADDRESS = "Requester.Person@example.org"


def _code(inbox: Inbox) -> str:
    body = inbox.messages[-1].get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(r"^    (\S+)\r?$", body.decode(), re.MULTILINE)
    assert match
    return match.group(1)


def _owner_with_contact(runtime: Runtime, smtp: SmtpSettings) -> str:
    owner = create_api_key(runtime, name="person").owner_id
    submit_job(runtime, JobRequest(prompt="a red tram in the snow", engine="fake", owner_id=owner))
    signup = notify.subscribe(runtime, smtp, ADDRESS)
    with runtime.session() as session:
        session.add(
            OwnerContact(
                owner_id=owner, subscription_id=signup.subscription_id, created_at=runtime.clock()
            )
        )
    return owner


def test_an_emailed_erase_acts_only_after_verification_and_is_due_in_30_days(
    open_runtime: OpenRuntime,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("library")
    owner = _owner_with_contact(runtime, smtp)
    created = dsr.create_request(runtime, smtp, kind=dsr.RequestKind.ERASE, address=ADDRESS)
    assert created.due_at == clock() + timedelta(days=30)
    assert inbox.recipients[-1] == [ADDRESS]
    code = _code(inbox)
    # Nothing happens before the code comes back, nor for a code that is not it.
    clock.advance(days=5)
    with pytest.raises(NotFoundError):
        dsr.verify(runtime, "not-the-code")
    assert notify.count(runtime) == {"pending": 1, "confirmed": 0}
    with runtime.session() as session:
        assert session.scalars(select(StoredObject)).all() != []
    assert len(runtime.vault.orphans().keys_without_blob) == 0
    (waiting,) = dsr.list_requests(runtime)
    assert waiting.status == "awaiting_verification" and not waiting.overdue
    outcome = dsr.verify(runtime, code)
    assert outcome.owners == [owner] and outcome.counts["contacts"] == 1
    with pytest.raises(NotFoundError):
        dsr.verify(runtime, code)  # one use only
    assert notify.count(runtime) == {"pending": 0, "confirmed": 0}
    with runtime.session() as session:
        assert session.scalars(select(StoredObject)).all() == []
    (listed,) = dsr.list_requests(runtime)
    assert listed.status == "resolved" and not listed.overdue
    # Kept (address encrypted) for the grace period, then gone.
    clock.advance(days=31)
    sweep(runtime)
    assert dsr.list_requests(runtime) == []


def test_unanswered_requests_are_listed_as_overdue(
    open_runtime: OpenRuntime,
    clock: FakeClock,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    _inbox, smtp = smtp_server
    runtime = open_runtime("standard")
    created = dsr.create_request(runtime, smtp, kind=dsr.RequestKind.ACCESS, address=ADDRESS)
    clock.advance(days=6)
    code = _code(_inbox)
    clock.advance(days=25)
    (late,) = dsr.list_requests(runtime, overdue_only=True)
    assert late.id == created.id and late.overdue
    outcome = dsr.verify(runtime, code)
    assert outcome.data == {"contacts": 0, "owners": []}  # an honest "nothing"
    assert dsr.list_requests(runtime, overdue_only=True) == []


def test_requests_need_smtp(open_runtime: OpenRuntime) -> None:
    with pytest.raises(ConfigError):
        dsr.create_request(
            open_runtime("standard"), None, kind=dsr.RequestKind.ACCESS, address=ADDRESS
        )


def _stored_addresses(runtime: Runtime) -> dict[str, str]:
    """Each signup's address as the vault gives it back, by the signup's keyed hash."""
    with runtime.session() as session:
        rows = [
            (row.address_hash, row.address_object)
            for row in session.scalars(select(NotifySubscription))
        ]
    return {
        lookup: runtime.vault.read_bytes(ObjectId(object_id)).decode("utf-8")
        for lookup, object_id in rows
    }


def test_rectify_replaces_the_address(
    open_runtime: OpenRuntime,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    runtime = open_runtime("library")
    _owner_with_contact(runtime, smtp)
    assert notify.confirm(runtime, _link(inbox.messages[-1], notify.CONFIRM_PATH))
    wrong = notify.normalise_address(ADDRESS)
    assert _stored_addresses(runtime) == {notify.address_hash(runtime, wrong): wrong}
    with runtime.session() as session:
        (old_object,) = session.scalars(select(NotifySubscription.address_object))
    dsr.create_request(runtime, smtp, kind=dsr.RequestKind.RECTIFY, address=ADDRESS)
    outcome = dsr.verify(runtime, _code(inbox), new_address=" corrected@example.org ")
    assert outcome.counts["rectified"] == 1
    # The signup now holds the corrected address, read back from the vault, and is found
    # by its keyed hash; the wrong one is shredded, not kept beside it.
    corrected = "corrected@example.org"
    assert _stored_addresses(runtime) == {notify.address_hash(runtime, corrected): corrected}
    assert ObjectId(old_object) not in set(runtime.vault.object_ids())
    assert notify.count(runtime) == {"pending": 0, "confirmed": 1}  # still the same signup
    # The next news goes to the corrected address only.
    sent = news.send_news(
        runtime, smtp, subject="Open", body="Now.", throttle=news.Throttle(60, sleep=lambda _: None)
    )
    assert sent == 1
    assert inbox.recipients[-1] == [corrected]


def _cli(data_dir: Path, policy: str) -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        state = CliState(data_dir=data_dir, policy=policy)
        ctx.obj = state
        ctx.call_on_close(state.close)

    root.add_typer(privacy_cli, name="privacy")
    return root


def test_cli_export_request_writes_a_private_zip_after_verification(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: tuple[Inbox, SmtpSettings],  # noqa: F811
) -> None:
    inbox, smtp = smtp_server
    for name, value in {
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_FROM": smtp.sender,
        "SMTP_STARTTLS": "false",
        "SMTP_USERNAME": smtp.username or "",
        "SMTP_PASSWORD": smtp.password or "",
        "PUBLIC_BASE_URL": smtp.public_base_url,
        "MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    }.items():
        monkeypatch.setenv(f"REELVAULT_{name}", value)
    data_dir = tmp_path / "data"
    cli = _cli(data_dir, "library")
    runner = CliRunner()
    created = runner.invoke(
        cli, ["privacy", "requests", "new", "export", "--email", ADDRESS, "--owner", "own_x"]
    )
    assert created.exit_code == 0, created.output
    assert ADDRESS not in created.output
    listed = runner.invoke(cli, ["privacy", "requests", "--json"])
    (item,) = json.loads(listed.output)
    assert item["kind"] == "export" and item["status"] == "awaiting_verification"
    target = tmp_path / "answer.zip"
    done = runner.invoke(cli, ["privacy", "requests", "verify", _code(inbox), "--out", str(target)])
    assert done.exit_code == 0, done.output
    assert target.stat().st_mode & 0o077 == 0
    data = json.loads(zipfile.ZipFile(io.BytesIO(target.read_bytes())).read("data.json"))
    assert [owner["owner_id"] for owner in data["owners"]] == ["own_x"]
    assert runner.invoke(cli, ["privacy", "requests", "--overdue"]).exit_code == 0


def test_under_age_declaration_erases_and_blocks_collection(
    tmp_path: Path, clock: FakeClock
) -> None:
    # The job-end hooks as production registers them (no test-only registration).
    with privacy_app(tmp_path, policy="library", clock=clock) as (client, runtime):
        headers, owner = bearer(runtime)
        bearer(runtime, "another user")  # so the API keeps requiring keys
        first = text_job(client, headers, "a drawing of my school")
        wait_done(client, first["id"], headers)
        answer = client.post(
            "/api/v1/privacy/age", json={"over_minimum_age": False}, headers=headers
        ).json()
        assert answer["minimum_age"] == 13 and answer["required"] is True
        assert answer["erased"]["jobs"] == 1
        refused = client.post(
            "/api/v1/privacy/notify", json={"email": "kid@example.org"}, headers=headers
        )
        assert refused.status_code == 403
        marketing = client.put(
            "/api/v1/privacy/consents/marketing", json={"granted": True}, headers=headers
        )
        assert marketing.status_code == 403
        # Jobs still work, but nothing personal outlives them.
        job = image_job(client, headers, "my dog at the beach")
        assert wait_done(client, job["id"], headers)["status"] == "completed"
        view = get_job(runtime, job["id"], owner_id=owner)
        assert not view.prompt_kept
        assert view.output_expires_at is not None
        assert view.output_expires_at <= clock() + timedelta(hours=1)
        with runtime.session() as session:
            classes = set(session.scalars(select(StoredObject.data_class)))
        assert classes == {"output"}
        # The operator erases a reported child's account, identity included.
        result = CliRunner().invoke(
            _cli(tmp_path / "data", "library"), ["privacy", "erase-child", owner, "--yes"]
        )
        assert result.exit_code == 0, result.output
        assert client.get("/api/v1/jobs", headers=headers).status_code == 401


def test_the_policy_page_is_rendered_from_the_live_policy(tmp_path: Path, clock: FakeClock) -> None:
    with privacy_app(tmp_path, policy="standard", clock=clock, workers=False) as (client, rt):
        page = client.get("/privacy")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        text = page.text
        assert rt.policy.version_hash in text and "2026-01-01" in text
        assert "Changes to this policy" in text and "First version of the standard profile" in text
        assert "legal basis: performance of a contract" in text
        assert "<h2>Processors</h2>" in text and "<h2>International transfers</h2>" in text
        data = client.get("/privacy.json").json()
        assert data["version_hash"] == rt.policy.version_hash
        assert data["effective_date"] == "2026-01-01"
        assert {"data_class": "usage_event", "purpose": "analytics",
                "legal_basis": "legitimate_interests"} in data["legal_bases"]  # fmt: skip
        # Every purpose of every data class, with the basis the live policy names for it.
        assert sorted(tuple(row.values()) for row in data["legal_bases"]) == sorted(
            (dc.value, item.purpose.value, item.legal_basis.value)
            for dc, rule in rt.policy.data_classes.items()
            for item in rule.purposes
        )
        # One entry per configured provider (none here: no provider key is set).
        assert all(item["consent_purpose"] == f"provider:{item['name']}"
                   for item in data["processors"])  # fmt: skip
        assert data["international_transfers"]
        assert data["age_gate"] == {"minimum_age": 13, "asked": True}
