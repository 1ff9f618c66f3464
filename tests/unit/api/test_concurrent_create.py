"""Many clients creating jobs at once: every request gets its own job, none is lost."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reelvault.jobs.queries import list_jobs

from .conftest import make_client


def test_concurrent_creates_each_get_a_stored_job(tmp_path: Path) -> None:
    client, runtime = make_client(tmp_path, rate_limit_per_minute=0)
    bodies = [{"prompt": f"a paper boat number {n}", "size": "320x180"} for n in range(24)]
    bad = {"prompt": "   ", "size": "320x180"}  # refused alone, in the middle of the rush
    with client, ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda body: client.post("/v1/videos", json=body), bodies))
        refused = client.post("/v1/videos", json=bad)
    stored = {job.id for job in list_jobs(runtime)}
    runtime.close()
    assert [answer.status_code for answer in answers] == [200] * 24
    ids = {answer.json()["id"] for answer in answers}
    assert len(ids) == 24
    assert stored >= ids
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "prompt"
