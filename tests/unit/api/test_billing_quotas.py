"""Plans at submit: seconds per month and frame size (402), jobs at once (429), for every
way in (native and OpenAI routes, accounts, keys), and no limits where no plans are set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from reelvault.accounts.billing import link_customer
from reelvault.accounts.keys import create_api_key
from reelvault.runtime import Runtime

from .billing_helpers import billing_client, csrf, event, send, sign_up, subscription
from .conftest import make_client, wait_for

JOBS = "/api/v1/jobs"


def job(seconds: float = 1, size: str = "64x48", **params: Any) -> dict[str, Any]:
    return {
        "engine": "fake",
        "prompt": "a lantern in the fog",
        "size": size,
        "fps": 8,
        "seconds": seconds,
        "params": params,
    }


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    client, runtime = billing_client(tmp_path)
    with client:
        yield client, runtime
    runtime.close()


@pytest.fixture
def idle_app(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime]]:
    """No workers: jobs stay queued, so they count as running at once."""
    client, runtime = billing_client(tmp_path, worker_mode="none")
    with client:
        yield client, runtime
    runtime.close()


def _usage(client: TestClient, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = client.get("/api/v1/account/usage", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _error(answer: Any, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == code
    return str(error["message"])


def _jobs(client: TestClient, headers: dict[str, str] | None = None) -> int:
    return len(client.get(JOBS, headers=headers).json()["data"])


def test_over_the_months_seconds_is_402_saying_how_to_upgrade(
    app: tuple[TestClient, Runtime],
) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    first = client.post(JOBS, json=job(seconds=2), headers=csrf(client))
    assert first.status_code == 201, first.text
    refused = client.post(JOBS, json=job(seconds=2), headers=csrf(client))
    message = _error(refused, 402, "quota_exceeded")
    assert "Free plan includes 3 s of video a month" in message
    assert "1 s are left" in message
    assert "POST /api/v1/billing/checkout" in message
    assert _jobs(client) == 1  # nothing of the refused job was stored
    usage = _usage(client)
    assert usage["plan"] == "free"
    assert (usage["video_seconds_used"], usage["video_seconds_left"]) == (2.0, 1.0)
    assert usage["video_seconds_limit"] == 3.0
    # What is left can still be used.
    assert client.post(JOBS, json=job(seconds=1), headers=csrf(client)).status_code == 201


def test_a_frame_larger_than_the_plan_is_402_and_portrait_counts_the_same(
    app: tuple[TestClient, Runtime],
) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    refused = client.post(JOBS, json=job(size="128x96"), headers=csrf(client))
    message = _error(refused, 402, "resolution_not_in_plan")
    assert "128x96 is larger than the Free plan allows (64x48)" in message
    assert _usage(client)["video_seconds_used"] == 0  # a refused job takes no seconds
    assert client.post(JOBS, json=job(size="48x64"), headers=csrf(client)).status_code == 201


def test_too_many_jobs_at_once_is_429_with_retry_after(
    idle_app: tuple[TestClient, Runtime],
) -> None:
    client, _runtime = idle_app
    sign_up(client, "ada@example.org")
    made = [client.post(JOBS, json=job(), headers=csrf(client)) for _ in range(2)]
    assert [answer.status_code for answer in made] == [201, 201]
    refused = client.post(JOBS, json=job(), headers=csrf(client))
    message = _error(refused, 429, "too_many_concurrent_jobs")
    assert refused.headers["retry-after"] == "10"
    assert "runs 2 job(s) at a time" in message
    assert _usage(client)["active_jobs"] == 2
    # One ends (cancelled before it ran: its second comes back), another may start.
    cancelled = client.post(f"{JOBS}/{made[0].json()['id']}/cancel", headers=csrf(client))
    assert cancelled.status_code == 200, cancelled.text
    assert _usage(client)["video_seconds_used"] == 1.0
    assert client.post(JOBS, json=job(), headers=csrf(client)).status_code == 201


def test_a_job_that_failed_gives_its_seconds_back(app: tuple[TestClient, Runtime]) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    failing = client.post(JOBS, json=job(seconds=3, fail="engine_error"), headers=csrf(client))
    assert failing.status_code == 201, failing.text
    assert wait_for(client, failing.json()["id"])["status"] == "failed"
    assert _usage(client)["video_seconds_used"] == 0
    done = client.post(JOBS, json=job(seconds=3), headers=csrf(client))
    assert done.status_code == 201, done.text
    assert wait_for(client, done.json()["id"])["status"] == "completed"
    assert _usage(client)["video_seconds_used"] == 3.0  # a finished video keeps its seconds


def test_the_openai_route_is_held_to_the_same_plan(app: tuple[TestClient, Runtime]) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    body = {"prompt": "a paper boat", "size": "96x64", "seconds": "4"}
    refused = client.post("/v1/videos", json=body, headers=csrf(client))
    _error(refused, 402, "resolution_not_in_plan")


def test_a_paid_plan_lifts_the_limits(app: tuple[TestClient, Runtime]) -> None:
    client, runtime = app
    account = sign_up(client, "ada@example.org")
    big = job(seconds=4, size="128x96")
    _error(client.post(JOBS, json=big, headers=csrf(client)), 402, "resolution_not_in_plan")
    link_customer(runtime, account["id"], "cus_ada")
    assert send(client, event("customer.subscription.created", subscription("cus_ada"))).is_success
    assert client.post(JOBS, json=big, headers=csrf(client)).status_code == 201
    usage = _usage(client)
    assert (usage["plan"], usage["plan_title"], usage["video_seconds_left"]) == ("pro", "Pro", 596)


def test_an_owner_without_an_account_is_on_the_guest_plan(
    app: tuple[TestClient, Runtime],
) -> None:
    client, runtime = app
    key = {"Authorization": "Bearer " + create_api_key(runtime, name="script").secret}
    first = client.post(JOBS, json=job(seconds=1), headers=key)
    assert first.status_code == 201, first.text
    wait_for(client, first.json()["id"], headers=key)
    message = _error(client.post(JOBS, json=job(seconds=1), headers=key), 402, "quota_exceeded")
    assert "POST /api/v1/account/signup" in message
    assert _usage(client, key)["plan"] == "guest"


def test_the_local_single_user_is_never_limited(tmp_path: Path) -> None:
    client, runtime = billing_client(tmp_path, operator_key=False)
    with client:
        for _ in range(3):
            answer = client.post(JOBS, json=job(seconds=2, size="128x96"))
            assert answer.status_code == 201, answer.text
        assert _usage(client)["plan"] is None
    runtime.close()


def test_without_plans_nothing_is_limited_beyond_todays_rate_limits(tmp_path: Path) -> None:
    """The embedded default: no billing settings, no quotas, nothing counted."""
    client, runtime = make_client(tmp_path)
    with client:
        key = {"Authorization": "Bearer " + create_api_key(runtime, name="script").secret}
        for _ in range(4):
            answer = client.post(JOBS, json=job(seconds=5, size="128x96"), headers=key)
            assert answer.status_code == 201, answer.text
        usage = _usage(client, key)
        assert (usage["plan"], usage["video_seconds_limit"], usage["video_seconds_used"]) == (
            None,
            None,
            0,
        )
        plans = client.get("/api/v1/billing/plans").json()
        assert plans == {"billing": False, "data": []}
    runtime.close()


def test_a_job_refused_after_the_plan_check_takes_no_seconds(
    app: tuple[TestClient, Runtime],
) -> None:
    client, _runtime = app
    sign_up(client, "ada@example.org")
    unknown = {**job(seconds=3), "engine": "no-such-engine"}
    assert client.post(JOBS, json=unknown, headers=csrf(client)).status_code == 400
    assert _usage(client)["video_seconds_used"] == 0
    assert client.post(JOBS, json=job(seconds=3), headers=csrf(client)).status_code == 201


def test_an_admins_override_replaces_the_plans_limit_for_that_account_only(
    app: tuple[TestClient, Runtime],
) -> None:
    """`reelvault accounts quota` / `PUT /api/v1/admin/users/{id}/quota` reach the checks
    at submit: more seconds and a bigger frame for one account, the plan for the rest."""
    from reelvault.accounts.quota_overrides import set_quota_override

    client, runtime = app
    account = sign_up(client, "ada@example.org")
    set_quota_override(
        runtime,
        str(account["id"]),
        {"video_seconds_per_month": 10, "max_resolution": 128, "concurrent_jobs": 5},
    )
    assert (
        client.post(JOBS, json=job(seconds=4, size="128x96"), headers=csrf(client)).status_code
        == 201
    )
    assert client.post(JOBS, json=job(seconds=4), headers=csrf(client)).status_code == 201
    _error(client.post(JOBS, json=job(seconds=4), headers=csrf(client)), 402, "quota_exceeded")
    _error(
        client.post(JOBS, json=job(size="160x96"), headers=csrf(client)),
        402,
        "resolution_not_in_plan",
    )
    sign_up(client, "bea@example.org")  # the plan's limits, untouched
    assert client.post(JOBS, json=job(seconds=2), headers=csrf(client)).status_code == 201
    _error(client.post(JOBS, json=job(seconds=4), headers=csrf(client)), 402, "quota_exceeded")
