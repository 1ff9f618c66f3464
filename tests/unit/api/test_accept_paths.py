"""Where a create request is prepared: checks that wait (a webhook host lookup) never hold
up the jobs of others, and the quick ones give the same answers as before."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reelvault import ssrf
from reelvault.jobs.queries import list_jobs

from .conftest import FAKE_JOB, make_client


def test_a_slow_webhook_host_lookup_does_not_hold_up_other_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    looking_up = threading.Event()
    release = threading.Event()

    def slow_lookup(host: str, port: int) -> list[str]:
        looking_up.set()
        release.wait(10)  # a resolver that takes its time
        return ["93.184.216.34"]

    monkeypatch.setattr(ssrf, "system_resolver", slow_lookup)
    client, runtime = make_client(tmp_path, rate_limit_per_minute=0)
    with client, ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(
            client.post,
            "/api/v1/jobs",
            json={**FAKE_JOB, "webhook_url": "https://hooks.example/done"},
        )
        assert looking_up.wait(10)
        quick = client.post("/v1/videos", json={"prompt": "a paper boat", "size": "320x180"})
        still_looking_up = not slow.done()
        release.set()
        answered = slow.result(timeout=10)
    jobs = {job.id for job in list_jobs(runtime)}
    runtime.close()
    assert quick.status_code == 200, quick.text
    assert still_looking_up  # the quick job did not wait for the lookup
    assert answered.status_code == 201, answered.text
    assert jobs == {quick.json()["id"], answered.json()["id"]}


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"prompt": "a kite", "model": "reelvault-nope"}, 400, "model"),
        ({"prompt": "a kite", "model": "no-such-model"}, 400, "model"),
        ({"prompt": "a kite", "size": "100000x100000"}, 400, None),
        ({"prompt": " ", "size": "320x180"}, 400, "prompt"),
    ],
)
def test_requests_refused_while_preparing_store_nothing(
    tmp_path: Path, body: dict[str, str], status: int, param: str | None
) -> None:
    client, runtime = make_client(tmp_path, rate_limit_per_minute=0)
    with client:
        answer = client.post("/v1/videos", json=body)
    stored = list_jobs(runtime)
    runtime.close()
    assert answer.status_code == status, answer.text
    if param is not None:
        assert answer.json()["error"]["param"] == param
    assert stored == []
