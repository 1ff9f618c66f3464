"""Abuse reports (issue 22): a report keeps the reported video exactly for the policy's
abuse-review window past its own retention, then the sweeper shreds it with the report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.db.models import Job, StoredObject
from reelvault.db.moderation_models import AbuseReport
from reelvault.errors import ConflictError, NotFoundError
from reelvault.jobs import objects
from reelvault.privacy.abuse_reports import (
    ReportReason,
    Resolution,
    file_report,
    list_reports,
    resolve_report,
)
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for
from reelvault.types import ObjectId
from tests.cli_helpers import run_cli

from ..jobs.helpers import fake_request, run_to_end


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def runtime(tmp_path: Path, clock: FakeClock) -> Iterator[Runtime]:
    opened = open_runtime(
        settings_for(tmp_path, policy="ephemeral"), registry=registry_with_fake(), clock=clock
    )
    try:
        yield opened
    finally:
        opened.close()


def _outputs(runtime: Runtime, job_id: str) -> list[str]:
    with runtime.session() as session:
        return list(
            session.scalars(
                select(StoredObject.id).where(
                    StoredObject.job_id == job_id, StoredObject.kind.in_(objects.OUTPUT_KINDS)
                )
            )
        )


def _stored(runtime: Runtime, ids: list[str]) -> bool:
    return all(runtime.vault.exists(ObjectId(object_id)) for object_id in ids)


def _reports(runtime: Runtime) -> int:
    with runtime.session() as session:
        return len(session.scalars(select(AbuseReport.id)).all())


def test_a_report_holds_the_output_for_the_window_then_the_sweeper_shreds_it(
    runtime: Runtime, clock: FakeClock
) -> None:
    window = runtime.policy.abuse_review_window  # ephemeral: 7 days
    job = run_to_end(runtime, fake_request())
    outputs = _outputs(runtime, job.id)
    assert len(outputs) == 3
    clock.advance(minutes=10)
    report = file_report(runtime, job_id=job.id, reason=ReportReason.VIOLENCE)
    assert report.hold_until == clock.now + window
    clock.advance(hours=2)  # past the video's own hour
    sweep(runtime)
    assert _stored(runtime, outputs), "the report holds the video for review"
    clock.now = report.created_at + window - clock.now.resolution * 1_000_000
    sweep(runtime)
    assert _stored(runtime, outputs) and _reports(runtime) == 1
    clock.now = report.created_at + window
    sweep(runtime)
    assert not any(runtime.vault.exists(ObjectId(object_id)) for object_id in outputs)
    assert _outputs(runtime, job.id) == [] and _reports(runtime) == 0
    with runtime.session() as session:
        assert session.get(Job, job.id) is None  # the day of job details ended long ago


def test_more_reports_never_extend_a_running_hold(runtime: Runtime, clock: FakeClock) -> None:
    job = run_to_end(runtime, fake_request())
    first = file_report(runtime, job_id=job.id, reason=ReportReason.HATE)
    clock.advance(days=3)
    second = file_report(runtime, job_id=job.id, reason=ReportReason.OTHER)
    assert second.hold_until == first.hold_until
    clock.now = first.created_at + runtime.policy.abuse_review_window
    sweep(runtime)
    assert _outputs(runtime, job.id) == []


def test_resolving_ends_the_hold_and_remove_shreds_now(runtime: Runtime, clock: FakeClock) -> None:
    kept = run_to_end(runtime, fake_request())
    taken_down = run_to_end(runtime, fake_request(seed=9))
    kept_report = file_report(runtime, job_id=kept.id, reason=ReportReason.OTHER)
    clock.advance(seconds=1)
    removal = file_report(runtime, job_id=taken_down.id, reason=ReportReason.ILLEGAL)
    assert [item.id for item in list_reports(runtime)] == [kept_report.id, removal.id]
    resolve_report(runtime, removal.id, Resolution.REMOVE)
    assert _outputs(runtime, taken_down.id) == []
    clock.advance(hours=2)
    resolve_report(runtime, kept_report.id, Resolution.NO_ACTION)
    with pytest.raises(ConflictError):
        resolve_report(runtime, kept_report.id, Resolution.NO_ACTION)
    sweep(runtime)
    assert _outputs(runtime, kept.id) == []  # its hour was over: the usual rule applies
    assert list_reports(runtime) == [] and len(list_reports(runtime, include_resolved=True)) == 2


def test_a_report_of_an_unknown_job_is_404(runtime: Runtime) -> None:
    with pytest.raises(NotFoundError):
        file_report(runtime, job_id="job_nothing", reason=ReportReason.OTHER)


def test_the_api_takes_reports_of_any_job_and_records_no_reporter(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    try:
        job = run_to_end(runtime, fake_request(owner_id="own_someone_else"))
        with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
            response = client.post(
                "/api/v1/reports", json={"job_id": job.id, "reason": "minor_safety"}
            )
            assert response.status_code == 201, response.text
            body = response.json()
            assert (body["object"], body["job_id"], body["status"]) == ("report", job.id, "open")
            missing = client.post("/api/v1/reports", json={"job_id": "job_x", "reason": "hate"})
            assert missing.status_code == 404
            wrong = client.post("/api/v1/reports", json={"job_id": job.id, "reason": "ugly"})
            assert wrong.status_code == 422
        with runtime.session() as session:
            row = session.scalars(select(AbuseReport)).one()
            assert set(AbuseReport.__table__.columns.keys()) == {
                "id",
                "job_id",
                "reason",
                "status",
                "resolution",
                "created_at",
                "resolved_at",
                "hold_until",
                "data_class",
                "expires_at",
            }
            assert row.data_class == "abuse_report" and row.hold_until is not None
    finally:
        runtime.close()


def test_the_operator_lists_and_resolves_reports_from_the_cli(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = settings_for(tmp_path)
    env = {"REELVAULT_DATABASE_URL": settings.database_url} if settings.database_url else {}
    runtime = open_runtime(settings, registry=registry_with_fake())
    try:
        job = run_to_end(runtime, fake_request())
        report = file_report(runtime, job_id=job.id, reason=ReportReason.LIKENESS)
    finally:
        runtime.close()
    listed = run_cli("reports", "list", data_dir=data, env=env)
    assert listed.returncode == 0, listed.stderr
    assert report.id in listed.stdout and "likeness" in listed.stdout
    resolved = run_cli("reports", "resolve", report.id, "--remove", data_dir=data, env=env)
    assert resolved.returncode == 0, resolved.stderr
    assert "job shredded" in resolved.stdout
    after = run_cli("reports", "--json", data_dir=data, env=env)
    assert after.returncode == 0 and after.stdout.strip() == "[]"
