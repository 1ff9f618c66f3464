"""/metrics after real jobs: counters, histogram buckets, per-engine labels, gauges that
never read history, one registry per app, and access control as before."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, insert, select

from reelvault.accounts.keys import create_api_key
from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.db.models import Job
from reelvault.jobs.webhooks import WebhookDispatcher
from reelvault.runtime import Runtime
from reelvault.testing import FakeEngine, registry_with_fake, settings_for
from reelvault.types import JobStatus

from .conftest import FAKE_JOB, wait_for
from .test_uploads_api import FIELDS, PHOTO

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class SecondFake(FakeEngine):
    """Another engine, to see the per-engine labels apart."""

    name: ClassVar[str] = "fake2"


def _client(tmp_path: Path, *, worker_mode: str = "thread", **overrides: Any) -> TestClient:
    settings = settings_for(tmp_path, **overrides)
    registry = registry_with_fake(settings)
    registry.register(SecondFake)
    runtime = open_runtime(settings, registry=registry)
    client = TestClient(create_app(settings, runtime=runtime, worker_mode=worker_mode))  # type: ignore[arg-type]
    client.runtime = runtime  # type: ignore[attr-defined]
    return client


@pytest.fixture
def api2(tmp_path: Path) -> Iterator[TestClient]:
    client = _client(tmp_path)
    with client:
        yield client
    client.runtime.close()  # type: ignore[attr-defined]


def scrape(client: TestClient, **request: Any) -> Samples:
    response = client.get("/metrics", **request)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def buckets(samples: Samples, name: str, **labels: str) -> dict[float, float]:
    """``le`` -> cumulative count of one histogram series."""
    found = {}
    for (sample, sample_labels), count in samples.items():
        rest = dict(sample_labels)
        le = rest.pop("le", None)
        if sample == f"{name}_bucket" and rest == labels and le is not None:
            found[float(le)] = count
    return dict(sorted(found.items()))


def test_real_jobs_fill_counters_and_histograms_per_engine(api2: TestClient) -> None:
    done = [
        wait_for(api2, api2.post("/api/v1/jobs", json=job).json()["id"])
        for job in (
            FAKE_JOB,
            FAKE_JOB,
            {**FAKE_JOB, "engine": "fake2"},
            {**FAKE_JOB, "params": {"fail": "engine_error"}},
        )
    ]
    assert [job["status"] for job in done] == ["completed"] * 3 + ["failed"]
    samples = scrape(api2)
    finished = "reelvault_jobs_finished_total"
    assert value(samples, finished, engine="fake", state="completed") == 2
    assert value(samples, finished, engine="fake2", state="completed") == 1
    assert value(samples, finished, engine="fake", state="failed") == 1

    duration = "reelvault_job_duration_seconds"
    for engine, state, count in (("fake", "completed", 2), ("fake2", "completed", 1)):
        assert value(samples, f"{duration}_count", engine=engine, state=state) == count
        assert value(samples, f"{duration}_sum", engine=engine, state=state) >= 0
        series = buckets(samples, duration, engine=engine, state=state)
        assert series[float("inf")] == count
        assert list(series.values()) == sorted(series.values())  # cumulative
        assert series[60.0] == count  # a fake job takes well under a minute
    waits = buckets(samples, "reelvault_job_queue_wait_seconds", engine="fake")
    assert waits[float("inf")] == 3  # each job's first claim, retries not counted
    assert value(samples, "reelvault_job_queue_wait_seconds_count", engine="fake2") == 1
    assert value(samples, "reelvault_encode_seconds_count", format="mp4") == 3
    assert 0 < value(samples, "reelvault_encode_seconds_sum", format="mp4") < 60
    # Nothing queued or running now; finished jobs are not gauges any more.
    assert value(samples, "reelvault_queue_depth") == 0
    assert not [key for key in samples if key[0] == "reelvault_jobs"]
    assert value(samples, "reelvault_workers_alive") == 1
    assert not [key for key in samples if key[0].endswith("_created")]


def test_gauges_count_the_queue_and_cancellations_count_once(tmp_path: Path) -> None:
    client = _client(tmp_path, worker_mode="none")
    with client:
        ids = [client.post("/api/v1/jobs", json=FAKE_JOB).json()["id"] for _ in range(3)]
        client.post("/api/v1/jobs", json={**FAKE_JOB, "engine": "fake2"})
        samples = scrape(client)
        assert value(samples, "reelvault_jobs", engine="fake", state="queued") == 3
        assert value(samples, "reelvault_jobs", engine="fake2", state="queued") == 1
        assert value(samples, "reelvault_queue_depth") == 4
        assert client.post(f"/api/v1/jobs/{ids[0]}/cancel").status_code == 200
        samples = scrape(client)
        assert value(samples, "reelvault_jobs", engine="fake", state="queued") == 2
        finished = "reelvault_jobs_finished_total"
        assert value(samples, finished, engine="fake", state="cancelled") == 1
        # It never ran: no run time observed.
        assert value(samples, "reelvault_job_duration_seconds_count", engine="fake") == 0
    client.runtime.close()  # type: ignore[attr-defined]


def test_upload_bytes_are_counted(api2: TestClient) -> None:
    response = api2.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video", "params": '{"delay": 0}'},
        files={"image": ("me.jpg", PHOTO, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    wait_for(api2, response.json()["id"])
    samples = scrape(api2)
    assert value(samples, "reelvault_upload_bytes_total", kind="image") == len(PHOTO)
    assert value(samples, "reelvault_upload_bytes_total", kind="video") == 0


def test_webhook_deliveries_by_result(tmp_path: Path) -> None:
    # Nothing listens on the address: each attempt fails, the last one gives up.
    client = _client(tmp_path, webhook_allow_private=True, webhook_max_attempts=2)
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    with client:
        client.post("/api/v1/webhook-secret")
        job = {**FAKE_JOB, "webhook_url": "http://127.0.0.1:9/hook"}
        wait_for(client, client.post("/api/v1/jobs", json=job).json()["id"])
    dispatcher = WebhookDispatcher(runtime)
    clock_start = runtime.clock
    try:
        dispatcher.deliver_due()
        later = clock_start() + timedelta(hours=2)
        runtime.clock = lambda: later  # the retry is due
        dispatcher.deliver_due()
    finally:
        runtime.clock = clock_start
    samples = scrape(client)
    deliveries = "reelvault_webhook_deliveries_total"
    assert value(samples, deliveries, result="retry") == 1
    assert value(samples, deliveries, result="failed") == 1
    assert value(samples, deliveries, result="delivered") == 0
    runtime.close()


def test_two_apps_in_one_process_have_their_own_registries(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    runtime = open_runtime(settings, registry=registry_with_fake(settings))
    try:
        first = TestClient(create_app(settings, runtime=runtime, worker_mode="none"))
        second = TestClient(create_app(settings, runtime=runtime, worker_mode="none"))
        first.post("/api/v1/jobs", json=FAKE_JOB)
        assert value(scrape(first), "reelvault_queue_depth") == 1
        assert value(scrape(second), "reelvault_queue_depth") == 1
        assert first.app.state.metrics_registry is not second.app.state.metrics_registry  # type: ignore[attr-defined]
    finally:
        runtime.close()


def test_access_control_is_kept(tmp_path: Path) -> None:
    token = "metrics-" + "t0k3n" * 5
    client = _client(tmp_path, metrics_token=token)
    create_api_key(client.runtime, name="someone")  # type: ignore[attr-defined]
    outsider = TestClient(client.app)  # its client is "testclient": not this machine
    assert outsider.get("/metrics").status_code == 401
    assert outsider.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    samples = scrape(outsider, headers={"Authorization": f"Bearer {token}"})
    assert value(samples, "reelvault_queue_depth") == 0
    client.runtime.close()  # type: ignore[attr-defined]


# --- the cost of a scrape does not grow with history -------------------------------------


class VmSteps:
    """Counts SQLite virtual-machine instructions run on the engine's connections."""

    def __init__(self, runtime: Runtime) -> None:
        self.steps = 0
        self.counting = False
        self.engine = runtime.db
        event.listen(self.engine, "checkout", self._checkout)
        event.listen(self.engine, "checkin", self._checkin)

    def _tick(self) -> int:
        if self.counting:
            self.steps += 1
        return 0  # 0: carry on

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        assert isinstance(dbapi_connection, sqlite3.Connection)
        dbapi_connection.set_progress_handler(self._tick, 1)

    def _checkin(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_progress_handler(None, 1)

    def measure(self, action: Any) -> int:
        self.steps, self.counting = 0, True
        try:
            action()
        finally:
            self.counting = False
        return self.steps

    def close(self) -> None:
        event.remove(self.engine, "checkout", self._checkout)
        event.remove(self.engine, "checkin", self._checkin)


def _add_history(runtime: Runtime, completed: int) -> None:
    """``completed`` finished jobs inserted directly (a real job's row, copied)."""
    with runtime.session() as session:
        template = session.scalars(select(Job).limit(1)).one()
        row = {column.key: getattr(template, column.key) for column in Job.__table__.columns}
    now = runtime.clock()
    rows = [
        {
            **row,
            "id": f"job_history{n:07d}",
            "status": JobStatus.COMPLETED.value,
            "stage": "completed",
            "created_at": now - timedelta(seconds=n + 60),
            "started_at": now - timedelta(seconds=n + 30),
            "completed_at": now - timedelta(seconds=n),
        }
        for n in range(completed)
    ]
    with runtime.transaction() as connection:
        connection.execute(insert(Job), rows)


def _scrape_steps(tmp_path: Path, completed: int) -> tuple[int, int]:
    """(VM steps of a scrape, VM steps of the old per-job duration read) for a deployment
    with 3 queued jobs and ``completed`` finished ones."""
    client = _client(tmp_path / str(completed), worker_mode="none")  # no lifespan: no threads
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    for _ in range(3):
        assert client.post("/api/v1/jobs", json=FAKE_JOB).status_code == 201
    _add_history(runtime, completed)
    scrape(client)  # warm: first-request caches, statement compilation
    counter = VmSteps(runtime)
    try:
        steps = counter.measure(lambda: scrape(client))
        assert steps == counter.measure(lambda: scrape(client))  # deterministic

        def old_scan() -> None:  # what /metrics read before: every completed job's times
            with runtime.session() as session:
                session.execute(
                    select(Job.engine, Job.started_at, Job.completed_at).where(
                        Job.status == JobStatus.COMPLETED.value
                    )
                ).all()

        old = counter.measure(old_scan)
    finally:
        counter.close()
        runtime.close()
    return steps, old


@pytest.mark.sqlite_only
def test_a_scrape_costs_the_same_after_2000_jobs_as_after_10(tmp_path: Path) -> None:
    started = time.monotonic()
    small, small_old = _scrape_steps(tmp_path, 10)
    large, large_old = _scrape_steps(tmp_path, 2000)
    # The counter sees a scan of history: the old query's cost grows with it...
    assert large_old > small_old * 20
    # ...and the scrape's does not, by a single step.
    assert small == large, (small, large)
    assert time.monotonic() - started < 60
