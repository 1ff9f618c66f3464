"""A plan's jobs-at-once limit holds for submissions at the same instant (#18).

The limit used to be a count read before the job was stored: N submissions arriving
together all read "none running" and were all stored. Now the count is taken again in
the transaction that stores the job, under a per-owner lock; this fires N submissions
at once, half at each of two API nodes on one database, with a limit of one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from reelvault.accounts.keys import create_api_key
from reelvault.db.models import Job
from tests.two_nodes import two_nodes

PLANS = {"one": {"title": "One", "concurrent_jobs": 1}}
JOB = {"engine": "fake", "prompt": "a kite", "size": "64x48", "fps": 8, "seconds": 1}
AT_ONCE = 8


def _fire(nodes: tuple[TestClient, TestClient], headers: dict[str, str]) -> list[int]:
    """AT_ONCE submissions released together, alternately to each node."""
    start = threading.Barrier(AT_ONCE)
    answers: list[int] = [0] * AT_ONCE

    def submit(number: int) -> None:
        start.wait()
        reply = nodes[number % 2].post("/api/v1/jobs", json=JOB, headers=headers)
        answers[number] = reply.status_code

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_submissions_at_the_same_instant_cannot_all_pass_a_limit_of_one(
    tmp_path: Path,
) -> None:
    with two_nodes(
        tmp_path, billing_plans=PLANS, billing_default_plan="one", billing_guest_plan="one"
    ) as (nodes, (runtime, _)):
        key = create_api_key(runtime, name="racer")
        answers = _fire(nodes, {"Authorization": f"Bearer {key.secret}"})
        assert sorted(answers) == [201] + [429] * (AT_ONCE - 1), answers
        with runtime.session() as session:
            stored = session.scalar(
                select(func.count()).select_from(Job).where(Job.owner_id == key.owner_id)
            )
        assert stored == 1
