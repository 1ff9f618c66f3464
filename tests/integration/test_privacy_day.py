"""A scripted day of use per policy profile, then the clock past each retention boundary.

Everything goes through the API in-process (jobs, uploads, downloads, consents, requests);
after each boundary the sweeper runs and the test checks the API's answers and the raw
storage: the vault holds exactly the objects the database still refers to (counted on
disk), and the privacy audit (plaintext scans of the database, WAL, scratch) is clean.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.db.dsr_models import DataSubjectRequest
from reelvault.db.models import StoredObject
from reelvault.db.privacy_models import ConsentRecord, UsageCounter
from reelvault.privacy.privacy_audit import run_audit
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock
from reelvault.vault.packs import LocalPacks
from tests.unit.privacy.api_helpers import bearer, image_job, privacy_app, text_job, wait_done

PROMPT = "Obsidian tortoise Wilhelmina waltzing through a lemon orchard"


def _held(runtime: Runtime) -> Counter[str]:
    with runtime.session() as session:
        return Counter(session.scalars(select(StoredObject.data_class)).all())


def _count(runtime: Runtime, model: type) -> int:
    with runtime.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _ciphertexts_on_disk(runtime: Runtime) -> int:
    """Blob files, and objects still in packs (prompts accepted together share one file)."""
    root = runtime.settings.vault_dir / "blobs"
    files = sum(1 for path in root.rglob("*") if path.is_file() and not path.name.startswith("."))
    return files + len(list(LocalPacks(runtime.settings.vault_dir / "packs").ids()))


def _check_storage(runtime: Runtime) -> None:
    """Raw storage matches the records, and nothing plaintext or expired lingers."""
    result = run_audit(runtime, grace=timedelta(0))
    assert result.findings == []
    assert _ciphertexts_on_disk(runtime) == result.vault_objects
    assert runtime.vault.orphans().clean


def _day(client: TestClient, runtime: Runtime) -> tuple[dict[str, str], list[str]]:
    headers, _owner = bearer(runtime)
    listed = client.get("/api/v1/privacy/consents", headers=headers)
    assert listed.status_code == 200
    jobs = [text_job(client, headers, PROMPT), image_job(client, headers, PROMPT)]
    for job in jobs:
        assert wait_done(client, job["id"], headers)["status"] == "completed"
        video = client.get(f"/api/v1/jobs/{job['id']}/content", headers=headers)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    # Someone else opts out of analytics, then works: not counted.
    other, _ = bearer(runtime, "opted out")
    client.put("/api/v1/privacy/consents/analytics", json={"granted": False}, headers=other)
    wait_done(client, text_job(client, other, "a quiet pond")["id"], other)
    assert client.get("/api/v1/privacy/access", headers=headers).json()["holds_data"]
    assert client.get("/api/v1/privacy/export", headers=headers).status_code == 200
    return headers, [job["id"] for job in jobs]


def _after(clock: FakeClock, runtime: Runtime, **delta: float) -> None:
    clock.advance(**delta)
    sweep(runtime)
    _check_storage(runtime)


def _status(client: TestClient, job_id: str, headers: dict[str, str]) -> int:
    return client.get(f"/api/v1/jobs/{job_id}/content", headers=headers).status_code


@pytest.mark.parametrize("policy", ["ephemeral", "standard", "library"])
def test_a_day_of_use_then_every_retention_boundary(tmp_path: Path, policy: str) -> None:
    clock = FakeClock()
    with privacy_app(tmp_path, policy=policy, clock=clock) as (client, runtime):
        headers, (text_id, image_id) = _day(client, runtime)
        held = _held(runtime)
        counters = _count(runtime, UsageCounter)
        assert counters >= 1 and _count(runtime, DataSubjectRequest) == 2
        _check_storage(runtime)
        if policy == "ephemeral":
            # Prompts and uploads went with the job; only outputs wait for their download.
            assert held["prompt"] == 0 and held["upload"] == 0 and held["output"] >= 2
            _after(clock, runtime, minutes=61)
            assert _status(client, text_id, headers) == 410
            assert _held(runtime) == Counter()
            _after(clock, runtime, days=1)
            assert client.get(f"/api/v1/jobs/{text_id}", headers=headers).status_code == 404
            _after(clock, runtime, days=30)
            assert _count(runtime, UsageCounter) == 0
            assert _count(runtime, DataSubjectRequest) == 0
        elif policy == "standard":
            assert held["prompt"] == 3 and held["upload"] == 1  # 2 jobs of ours, 1 other
            _after(clock, runtime, days=7, minutes=1)
            assert _status(client, image_id, headers) == 410
            assert set(_held(runtime)) == {"prompt"}  # uploads and outputs gone, prompts stay
            _after(clock, runtime, days=23)
            assert _held(runtime) == Counter()
            assert _count(runtime, DataSubjectRequest) == 0  # resolved + 30 days
            _after(clock, runtime, days=61)  # counters count from the end of their day
            assert client.get(f"/api/v1/jobs/{text_id}", headers=headers).status_code == 404
            assert _count(runtime, UsageCounter) == 0  # 90 days: only consents remain
            assert _count(runtime, ConsentRecord) >= 1
        else:
            assert held["prompt"] == 3 and held["upload"] == 1  # 2 jobs of ours, 1 other
            _after(clock, runtime, days=40)
            assert _count(runtime, DataSubjectRequest) == 0
            _after(clock, runtime, days=330)
            # Kept until deleted; the 12-month usage counters are gone.
            assert _held(runtime) == held
            assert _status(client, image_id, headers) == 200
            assert _count(runtime, UsageCounter) == 0
            assert client.delete(f"/api/v1/jobs/{image_id}", headers=headers).status_code == 200
            _check_storage(runtime)
