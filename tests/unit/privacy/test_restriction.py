"""Restriction (GDPR art. 18) against the real worker and the real sweeper.

A restricted owner's data is kept and not processed: the worker's claim passes over
their queued job (another owner's newer job runs instead) and the retention sweeper
leaves their finished job and its video as they are, until the restriction is lifted.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from reelvault.jobs.worker import Worker
from reelvault.privacy.sweeper import sweep
from reelvault.testing import FakeClock

from .api_helpers import bearer, privacy_app, text_job


def _status(client: TestClient, job_id: str, headers: dict[str, str]) -> str:
    answer = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["status"]
    return status


def _restrict(client: TestClient, headers: dict[str, str], restricted: bool) -> dict[str, object]:
    answer = client.post(
        "/api/v1/privacy/restrict", json={"restricted": restricted}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_the_worker_and_the_sweeper_pass_over_a_restricted_owner(
    tmp_path: Path, clock: FakeClock
) -> None:
    with privacy_app(tmp_path, policy="standard", clock=clock, workers=False) as (client, runtime):
        worker = Worker(runtime, worker_id="w-restrict")
        restricted, _ = bearer(runtime, "restricted")
        other, _ = bearer(runtime, "other")
        finished = text_job(client, restricted, "a kite over a wheat field")
        assert worker.run_once() == "completed"
        waiting = text_job(client, restricted, "a lighthouse at dusk")
        assert _restrict(client, restricted, True) == {"restricted": True, "held_jobs": 1}
        clock.advance(seconds=1)
        newer = text_job(client, other, "a tram in the snow")

        # The restricted owner's older job is passed over; the other owner's runs.
        assert worker.run_once() == "completed"
        assert _status(client, newer["id"], other) == "completed"
        assert worker.run_once() is None
        assert _status(client, waiting["id"], restricted) == "queued"

        # Retention pauses for them: past the videos' 7 days, only the other owner's expires.
        clock.advance(days=8)
        sweep(runtime)
        assert _status(client, newer["id"], other) == "expired"
        assert _status(client, finished["id"], restricted) == "completed"
        video = client.get(f"/api/v1/jobs/{finished['id']}/content", headers=restricted)
        assert video.status_code == 200 and video.content

        # Lifted: the held job runs, and retention resumes.
        assert _restrict(client, restricted, False)["restricted"] is False
        assert worker.run_once() == "completed"
        assert _status(client, waiting["id"], restricted) == "completed"
        clock.advance(days=8)
        sweep(runtime)
        assert _status(client, finished["id"], restricted) == "expired"
