"""reelvault on PostgreSQL: the same models, migrations, queue and sweeper as on SQLite."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.db.models import Job
from reelvault.db.session import current_revision, head_revision, make_db_engine
from reelvault.jobs.queries import get_job
from reelvault.jobs.queue.database import DatabaseQueue
from reelvault.jobs.submission import submit_job
from reelvault.jobs.worker import Worker
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock, registry_with_fake, settings_for
from reelvault.types import JobStatus
from tests.cli_helpers import run_cli
from tests.postgres.conftest import ADMIN_URL
from tests.unit.jobs.helpers import fake_request


def _runtime(tmp_path: Path, url: str, **overrides: object) -> Runtime:
    settings = settings_for(tmp_path, database_url=url, **overrides)
    return open_runtime(settings, registry=registry_with_fake())


def test_migrations_reach_head_and_a_job_runs_to_its_video(
    tmp_path: Path, postgres_url: str
) -> None:
    runtime = _runtime(tmp_path, postgres_url, policy="standard")
    try:
        assert runtime.db.dialect.name == "postgresql"
        assert current_revision(runtime.db) == head_revision(runtime.db)
        job = submit_job(runtime, fake_request())
        assert Worker(runtime, worker_id="w1").run_once() == "completed"
        view = get_job(runtime, job.id)
        assert view.status is JobStatus.COMPLETED, view.error_message
        assert view.has_output and (view.output_bytes or 0) > 0
    finally:
        runtime.close()


def test_concurrent_claimers_take_each_job_exactly_once(tmp_path: Path, postgres_url: str) -> None:
    runtime = _runtime(tmp_path, postgres_url, database_pool_size=10)
    try:
        jobs = [submit_job(runtime, fake_request(prompt=f"boat {n}")).id for n in range(40)]
        claimed: list[str] = []
        lock = threading.Lock()

        def claimer(name: str) -> None:
            queue = DatabaseQueue(runtime)
            while (job_id := queue.claim(name)) is not None:
                with lock:
                    claimed.append(job_id)

        threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert Counter(claimed) == Counter(jobs)  # every job once, none twice
        with runtime.session() as session:
            attempts = session.scalars(select(Job.attempts)).all()
        assert set(attempts) == {1}
    finally:
        runtime.close()


def test_the_sweeper_deletes_expired_jobs_set_based(tmp_path: Path, postgres_url: str) -> None:
    clock = FakeClock()
    settings = settings_for(tmp_path, database_url=postgres_url, policy="ephemeral")
    runtime = open_runtime(settings, registry=registry_with_fake(), clock=clock)
    try:
        for n in range(5):
            submit_job(runtime, fake_request(prompt=f"kite {n}"))
        worker = Worker(runtime, worker_id="w")
        while worker.run_once() is not None:
            pass
        clock.advance(days=2)  # past ephemeral's job metadata (1 day) and outputs (1 hour)
        report = sweep(runtime)
        assert report.jobs_deleted == 5
        with runtime.session() as session:
            assert session.scalar(select(func.count()).select_from(Job)) == 0
    finally:
        runtime.close()


def test_db_upgrade_and_status_from_the_command_line(tmp_path: Path, postgres_url: str) -> None:
    env = {"REELVAULT_DATABASE_URL": postgres_url}
    behind = run_cli("db", "status", data_dir=tmp_path, env=env)
    assert behind.returncode == 1 and "revision none" in behind.stdout
    upgraded = run_cli("db", "upgrade", data_dir=tmp_path, env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "upgraded from empty" in upgraded.stdout
    again = run_cli("db", "upgrade", data_dir=tmp_path, env=env)
    assert "already at revision" in again.stdout
    assert run_cli("db", "status", data_dir=tmp_path, env=env).returncode == 0
    engine = make_db_engine(postgres_url)
    try:
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()


def test_the_api_answers_503_with_retry_after_while_the_database_is_gone(
    tmp_path: Path, postgres_url: str
) -> None:
    runtime = _runtime(tmp_path, postgres_url)
    try:
        with TestClient(
            create_app(runtime.settings, runtime=runtime, worker_mode="none")
        ) as client:
            assert client.get("/api/v1/jobs").status_code == 200  # keyless: the local owner
            database = make_url(postgres_url).database
            admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
            admin.dispose()
            gone = client.get("/api/v1/jobs")
            assert gone.status_code == 503
            assert gone.headers["retry-after"] == "5"
            body = gone.json()["error"]
            assert body["code"] == "database_unavailable"
            assert database not in body["message"] and "127.0.0.1" not in body["message"]
    finally:
        runtime.close()
