"""Issue 14, item 8: the age gate as production wires it, and no adults-only consent
from anyone who said they are under the policy's minimum age."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.cli.privacy import app as privacy_cli
from reelvault.cli.state import CliState
from reelvault.db.models import StoredObject
from reelvault.engines.registry import EngineRegistry
from reelvault.engines.remote import RemoteConfig, RemoteEngine
from reelvault.errors import ForbiddenError
from reelvault.jobs.queries import get_job
from reelvault.jobs.worker import Worker
from reelvault.privacy import consent
from reelvault.privacy.restrict import flags_row
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, FakeEngine, settings_for
from tests.unit.engines.remote.conftest import fal, remote_config  # noqa: F401
from tests.unit.engines.remote.fakes import FakeFal

from .api_helpers import bearer, declare_adult, image_job, privacy_app, wait_done

AGE = "/api/v1/privacy/age"
MODEL = "fal-ai/kling-video/v2/master/text-to-video"
REMOTE_JOB = {"model": MODEL, "prompt": "a fox running through snow", "size": "640x360"}


def _cli(data_dir: Path) -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        state = CliState(data_dir=data_dir, policy="library")
        ctx.obj = state
        ctx.call_on_close(state.close)

    root.add_typer(privacy_cli, name="privacy")
    return root


def _declared_under_age(runtime: Runtime, owner: str) -> None:
    """The under-age flag as :func:`declare_age` writes it first, before its erasure runs
    (so whatever the owner had is still there, as it is for that moment)."""
    with runtime.session() as session:
        row = flags_row(runtime, session, owner)
        row.age_declared = True
        row.under_age = True


def test_the_age_hook_runs_where_production_registers_it(tmp_path: Path) -> None:
    # The registered hooks, not a test's own list: removing the production registration
    # of reelvault.privacy.age:job_end_hook makes this fail.
    clock = FakeClock()
    with privacy_app(tmp_path, policy="library", clock=clock) as (client, runtime):
        headers, owner = bearer(runtime)
        bearer(runtime, "someone else")
        assert (
            client.post(AGE, json={"over_minimum_age": False}, headers=headers).status_code == 200
        )
        job = image_job(client, headers, "my dog at the beach")
        assert wait_done(client, job["id"], headers)["status"] == "completed"
        # The library profile keeps prompts and uploads until deleted; not for a child.
        view = get_job(runtime, job["id"], owner_id=owner)
        assert not view.prompt_kept
        assert view.output_expires_at is not None
        assert view.output_expires_at <= clock() + timedelta(hours=1)
        with runtime.session() as session:
            kept = set(
                session.scalars(
                    select(StoredObject.data_class).where(StoredObject.job_id == job["id"])
                )
            )
        assert kept == {"output"}


def test_an_under_age_owner_gives_no_adults_only_consent_by_any_path(tmp_path: Path) -> None:
    with privacy_app(tmp_path, policy="library", clock=FakeClock(), workers=False) as (
        client,
        runtime,
    ):
        headers, owner = bearer(runtime)
        bearer(runtime, "someone else")
        assert (
            client.post(AGE, json={"over_minimum_age": False}, headers=headers).status_code == 200
        )
        cli = _cli(tmp_path / "data")
        for purpose in ("marketing", "provider:fal"):
            over_api = client.put(
                f"/api/v1/privacy/consents/{purpose}", json={"granted": True}, headers=headers
            )
            assert over_api.status_code == 403, purpose
            assert over_api.json()["error"]["code"] == "forbidden"
            by_operator = CliRunner().invoke(cli, ["privacy", "consent", owner, purpose, "--grant"])
            assert isinstance(by_operator.exception, ForbiddenError), by_operator.output
            with pytest.raises(ForbiddenError):
                consent.grant(runtime, owner, purpose)
        assert consent.history(runtime, owner) == []
        # Not reserved for adults: still theirs to decide.
        assert (
            client.put(
                "/api/v1/privacy/consents/analytics", json={"granted": False}, headers=headers
            ).status_code
            == 200
        )


def test_a_grant_on_record_does_not_count_for_an_under_age_owner(tmp_path: Path) -> None:
    with privacy_app(tmp_path, policy="library", clock=FakeClock(), workers=False) as (
        client,
        runtime,
    ):
        headers, owner = bearer(runtime)
        bearer(runtime, "someone else")
        consent.grant(runtime, owner, "provider:fal")
        consent.grant(runtime, owner, "marketing")
        _declared_under_age(runtime, owner)
        assert not consent.has_consent(runtime, owner, "provider:fal")
        assert not consent.has_consent(runtime, owner, "marketing")
        listed = client.get("/api/v1/privacy/consents", headers=headers).json()["purposes"]
        assert {item["purpose"]: item["granted"] for item in listed}["marketing"] is False


def _remote_class(config: RemoteConfig) -> type[RemoteEngine]:
    class ConfiguredRemote(RemoteEngine):
        def __init__(self, settings: Any) -> None:
            super().__init__(settings, config=config)

    return ConfiguredRemote


@contextmanager
def remote_app(tmp_path: Path, provider: FakeFal) -> Iterator[tuple[TestClient, Runtime]]:
    settings = settings_for(tmp_path, policy="library", rate_limit_per_minute=0)
    registry = EngineRegistry(settings)
    registry.register(FakeEngine)
    registry.register(_remote_class(remote_config(tmp_path, fal=provider)))
    runtime = open_runtime(settings, registry=registry)
    try:
        with TestClient(create_app(settings, runtime=runtime, worker_mode="none")) as client:
            yield client, runtime
    finally:
        runtime.close()


def test_a_remote_job_of_an_under_age_owner_is_refused_at_submit_and_at_run_time(
    tmp_path: Path,
    fal: FakeFal,  # noqa: F811
) -> None:
    with remote_app(tmp_path, fal) as (client, runtime):
        headers, owner = bearer(runtime)
        bearer(runtime, "someone else")
        declare_adult(client, headers)
        granted = client.put(
            "/api/v1/privacy/consents/provider:fal", json={"granted": True}, headers=headers
        )
        assert granted.status_code == 200
        queued = client.post("/api/v1/jobs", json=REMOTE_JOB, headers=headers)
        assert queued.status_code == 201, queued.text
        # The owner says they are under age while that job waits in the queue.
        _declared_under_age(runtime, owner)
        refused = client.post("/api/v1/jobs", json=REMOTE_JOB, headers=headers)
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        # The runner checks again before anything is sent.
        assert Worker(runtime).run_once() == "failed"
        job = client.get(f"/api/v1/jobs/{queued.json()['id']}", headers=headers).json()
        assert job["status"] == "failed" and job["error"]["code"] == "forbidden"
        assert fal.seen == []
