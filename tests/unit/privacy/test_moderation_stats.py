"""Moderation decisions in the anonymous statistics (issue 22, transparency).

Flags and blocks are counted per day, stage, verdict and category: the counts appear in
``reelvault stats --moderation``, nothing personal does (no owner, prompt, image, rule),
owners who opted out are not counted, and small cells are suppressed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import typer
from fastapi.testclient import TestClient
from PIL import Image
from rich.console import Console
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from reelvault.app.compose import open_runtime
from reelvault.app.factory import create_app
from reelvault.cli.privacy import stats
from reelvault.cli.state import CliState
from reelvault.db.moderation_models import ModerationCounter
from reelvault.moderation import Decision, Verdict
from reelvault.privacy import consent, moderation_stats
from reelvault.privacy.policy_page import MODERATION_COUNTS, MODERATION_NOT_COUNTED
from reelvault.runtime import Runtime
from reelvault.testing import MAGENTA, moderators_with_fake, registry_with_fake, settings_for
from reelvault.types import LOCAL_OWNER
from tests.unit.api.conftest import FAKE_JOB, wait_for

BLOCKED_PROMPT = "a s3xy sch00lg1rl, cinematic"
FIELDS = {k: str(v) for k, v in FAKE_JOB.items() if k != "prompt"}


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((96, 128, 3), colour, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_for(tmp_path, moderators=["rules", "fake"], policy="standard")
    runtime = open_runtime(
        settings, registry=registry_with_fake(settings), moderators=moderators_with_fake()
    )
    with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as test_client:
        test_client.runtime = runtime  # type: ignore[attr-defined]
        yield test_client
    runtime.close()


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    return runtime


def _cells(runtime: Runtime) -> list[tuple[str, str, str, int]]:
    with runtime.session() as session:
        rows = session.scalars(select(ModerationCounter)).all()
        return sorted((row.stage, row.verdict, row.category, row.count) for row in rows)


def _refuse_everything_once(client: TestClient) -> None:
    prompt = client.post("/api/v1/jobs", json={**FAKE_JOB, "prompt": BLOCKED_PROMPT})
    assert prompt.status_code == 400, prompt.text
    upload = client.post(
        "/api/v1/jobs",
        data={**FIELDS, "task": "image_to_video"},
        files={"image": ("me.png", _png(MAGENTA), "image/png")},
    )
    assert upload.status_code == 400, upload.text
    output = client.post("/api/v1/jobs", json={**FAKE_JOB, "params": {"magenta": True}})
    assert wait_for(client, output.json()["id"])["status"] == "failed"


def test_flags_and_blocks_are_counted_per_stage_and_category(client: TestClient) -> None:
    runtime = _runtime(client)
    fine = client.post("/api/v1/jobs", json=FAKE_JOB)
    assert wait_for(client, fine.json()["id"])["status"] == "completed"
    assert _cells(runtime) == []  # an allowed job is no moderation event
    _refuse_everything_once(client)
    assert _cells(runtime) == [
        ("output", "block", "testing", 1),
        ("prompt", "block", "minors", 1),
        ("upload", "block", "testing", 1),
    ]
    for _ in range(9):
        client.post("/api/v1/jobs", json={**FAKE_JOB, "prompt": BLOCKED_PROMPT})
    report = moderation_stats.report(runtime)
    # k = 10 in the standard profile: the prompt cell shows, the two single ones do not.
    assert [report.row_dict(row) for row in report.rows] == [
        {
            "day": runtime.clock().date().isoformat(),
            "stage": "prompt",
            "verdict": "block",
            "category": "minors",
            "count": 10,
        }
    ]
    assert report.suppressed_cells == 2
    by_stage = moderation_stats.report(runtime, group_by=("stage", "verdict"))
    assert [(row.key, row.count) for row in by_stage.rows] == [(("prompt", "block"), 10)]


def test_nothing_personal_is_in_the_counters(client: TestClient) -> None:
    runtime = _runtime(client)
    _refuse_everything_once(client)
    columns = {column["name"] for column in inspect(runtime.db).get_columns("moderation_counters")}
    assert columns == {
        "id", "day", "stage", "verdict", "category", "count", "data_class", "expires_at",
    }  # fmt: skip
    with runtime.session() as session:
        rows = session.scalars(select(ModerationCounter)).all()
        values = " ".join(
            str(getattr(row, column)) for row in rows for column in sorted(columns)
        ).lower()
        assert {row.data_class for row in rows} == {"usage_event"}
        assert all(row.expires_at is not None for row in rows)
    for personal in (LOCAL_OWNER, "s3xy", "sexy", "sch00lg1rl", "schoolgirl", "rules", "fake"):
        assert personal not in values.split(), personal


def test_an_owner_who_opted_out_is_not_counted(client: TestClient) -> None:
    runtime = _runtime(client)
    consent.withdraw(runtime, LOCAL_OWNER, consent.ANALYTICS)
    _refuse_everything_once(client)
    assert _cells(runtime) == []


def test_stats_and_the_privacy_page_show_it(client: TestClient, tmp_path: Path) -> None:
    runtime = _runtime(client)
    for _ in range(10):
        client.post("/api/v1/jobs", json={**FAKE_JOB, "prompt": BLOCKED_PROMPT})
    # The command alone, on this runtime (the root callback would open its own).
    command = typer.Typer()
    command.command()(stats)
    state = CliState(console=Console(width=200), _runtime=runtime)
    result = CliRunner().invoke(
        command, ["--moderation", "--by", "category,verdict", "--json"], obj=state
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert rows == [{"category": "minors", "verdict": "block", "count": 10}]
    page = client.get("/privacy").text
    assert "flagged or refused each day, per category" in page
    assert client.get("/privacy.json").json()["moderation"]["counted"] == MODERATION_COUNTS


def test_a_policy_without_usage_statistics_counts_nothing_and_says_so(tmp_path: Path) -> None:
    text = resources.files("reelvault.policy").joinpath("profiles/standard.yaml").read_text()
    start = text.index("\n  usage_event:")
    at = text.index("    retention: ", start)
    end = text.index("\n", at)
    policy = tmp_path / "no-usage.yaml"
    policy.write_text(text[:at] + "    retention: 0" + text[end:])
    settings = settings_for(tmp_path, moderators=["rules", "fake"], policy=str(policy))
    runtime = open_runtime(
        settings, registry=registry_with_fake(settings), moderators=moderators_with_fake()
    )
    try:
        blocked = Decision(Verdict.BLOCK, ("minors",), ("rules",))
        assert (
            moderation_stats.record_decision(
                runtime, owner_id=LOCAL_OWNER, stage="prompt", decision=blocked
            )
            == 0
        )
        assert _cells(runtime) == []
        with TestClient(create_app(settings, runtime=runtime, worker_mode="thread")) as client:
            assert MODERATION_NOT_COUNTED in client.get("/privacy").text
            assert MODERATION_COUNTS not in client.get("/privacy").text
    finally:
        runtime.close()
