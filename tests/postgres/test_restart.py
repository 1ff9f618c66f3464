"""PostgreSQL restarted under load: 503 with Retry-After while down, then back by itself.

The server is a private one (``tests.private_postgres``): stopping it disturbs no other
test. Jobs accepted before the restart all finish; a request refused while it was down
was told so (503), so nothing a client was promised is lost.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.testing import registry_with_fake, settings_for
from tests.private_postgres import PrivatePostgres

pytestmark = pytest.mark.slow

JOB = {"engine": "fake", "prompt": "a kite", "size": "32x32", "fps": 8, "seconds": 1}
TERMINAL = {"completed", "failed", "cancelled", "expired"}


def _statuses(client: TestClient, ids: list[str]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for job_id in ids:
        answer = client.get(f"/api/v1/jobs/{job_id}")
        statuses[job_id] = answer.json()["status"] if answer.status_code == 200 else "?"
    return statuses


def test_a_restart_under_load_loses_no_job_and_answers_503_while_down(tmp_path: Path) -> None:
    server = PrivatePostgres()
    server.start()
    settings = settings_for(
        tmp_path / "node",
        database_url=server.url,
        workers=2,
        database_pool_size=4,
        lease_seconds=3.0,
    )
    runtime = open_runtime(settings, registry=registry_with_fake())
    try:
        with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
            accepted = []
            for _ in range(30):
                answer = client.post("/api/v1/jobs", json={**JOB, "params": {"delay": 0.2}})
                assert answer.status_code in (200, 201, 202), answer.text
                accepted.append(answer.json()["id"])

            # Under load: jobs queued and running when the server goes away.
            assert set(_statuses(client, accepted).values()) - TERMINAL
            server.stop()
            down_read = client.get(f"/api/v1/jobs/{accepted[0]}")
            down_write = client.post("/api/v1/jobs", json=JOB)
            for answer in (down_read, down_write):
                assert answer.status_code == 503, answer.text
                assert answer.headers["Retry-After"] == "5"
                assert answer.json()["error"]["code"] == "database_unavailable"
            time.sleep(2)  # workers meet the outage mid-job, and keep trying
            server.start()

            deadline = time.monotonic() + 120
            statuses = _statuses(client, accepted)
            while time.monotonic() < deadline and set(statuses.values()) - TERMINAL:
                time.sleep(0.5)
                statuses = _statuses(client, accepted)
            assert set(statuses.values()) == {"completed"}, statuses
            # New work is taken again without a restart of the app.
            after = client.post("/api/v1/jobs", json=JOB)
            assert after.status_code in (200, 201, 202), after.text
    finally:
        runtime.close()
        server.close()
