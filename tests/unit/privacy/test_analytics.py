"""Anonymous analytics: aggregate cells only, opt-outs not counted, small counts suppressed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, select

from reelvault.db.privacy_models import UsageCounter
from reelvault.privacy import analytics, consent
from reelvault.privacy.analytics import duration_bucket, record_job_outcome, resolution_bucket
from reelvault.runtime import Runtime
from reelvault.testing import FakeClock

from ..jobs.helpers import fake_request, run_to_end
from .conftest import OpenRuntime


def _count(runtime: Runtime, owner: str, *, engine: str = "fake", outcome: str = "completed",
           width: int = 1280, height: int = 720) -> bool:  # fmt: skip
    return record_job_outcome(
        runtime,
        owner_id=owner,
        feature="text_to_video",
        engine=engine,
        width=width,
        height=height,
        seconds=5.0,
        outcome=outcome,
    )


def test_buckets_are_coarse() -> None:
    assert resolution_bucket(1920, 1080) == resolution_bucket(1080, 1920) == "1080p"
    assert resolution_bucket(64, 48) == "<=360p"
    assert resolution_bucket(3840, 2160) == "4k+"
    assert duration_bucket(1.0) == "<=2s"
    assert duration_bucket(5.0) == "2-5s"
    assert duration_bucket(61.0) == ">30s"


def test_the_table_has_no_column_that_could_identify_anyone(runtime: Runtime) -> None:
    columns = {column["name"] for column in inspect(runtime.db).get_columns("usage_counters")}
    assert columns == {
        "id", "day", "feature", "engine", "resolution", "duration", "outcome", "count",
        "data_class", "expires_at",
    }  # fmt: skip


def test_outcomes_add_up_in_one_cell_per_day(open_runtime: OpenRuntime, clock: FakeClock) -> None:
    runtime = open_runtime()
    for index in range(3):
        assert _count(runtime, f"own_{index}")
    clock.advance(days=1)
    _count(runtime, "own_0")
    with runtime.session() as session:
        cells = session.scalars(select(UsageCounter).order_by(UsageCounter.day)).all()
        assert [(cell.day, cell.count) for cell in cells] == [
            (date(2026, 11, 23), 3),
            (date(2026, 11, 24), 1),
        ]
        assert {cell.resolution for cell in cells} == {"720p"}


def test_nothing_is_recorded_for_those_who_opted_out(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime()
    consent.withdraw(runtime, "own_private", consent.ANALYTICS)
    consent.honour_signals(runtime, "own_gpc", consent.privacy_signals(sec_gpc="1"))
    assert not _count(runtime, "own_private")
    assert not _count(runtime, "own_gpc")
    with runtime.session() as session:
        assert session.scalars(select(UsageCounter)).all() == []


def test_report_suppresses_cells_under_k_before_adding_up(open_runtime: OpenRuntime) -> None:
    runtime = open_runtime()  # standard: k = 10
    for index in range(12):
        _count(runtime, f"own_{index}")
    for index in range(3):  # a rare outcome: 3 < k, must not show or be derivable
        _count(runtime, f"own_{index}", outcome="failed")
    by_outcome = analytics.report(runtime, group_by=("engine", "outcome"))
    assert [(row.key, row.count) for row in by_outcome.rows] == [(("fake", "completed"), 12)]
    assert by_outcome.suppressed_cells == 1
    by_engine = analytics.report(runtime, group_by=("engine",))
    # 12, not 15: the total never reveals the suppressed 3 by subtraction.
    assert [(row.key, row.count) for row in by_engine.rows] == [(("fake",), 12)]
    assert by_engine.to_dict()["rows"] == [{"engine": "fake", "count": 12}]


def test_a_finished_job_is_counted_through_the_job_end_hook(runtime: Runtime) -> None:
    run_to_end(runtime, fake_request())  # the job's end runs the hook, in its transaction
    with runtime.session() as session:
        cell = session.scalars(select(UsageCounter)).one()
        assert (cell.feature, cell.engine, cell.outcome, cell.count) == (
            "text_to_video", "fake", "completed", 1,
        )  # fmt: skip


def test_counters_expire_with_the_policy(open_runtime: OpenRuntime, clock: FakeClock) -> None:
    runtime = open_runtime("ephemeral")  # usage events: 30 days
    _count(runtime, "own_1")
    clock.advance(days=30)
    assert analytics.delete_expired(runtime) == 0
    clock.advance(days=1)
    assert analytics.delete_expired(runtime) == 1
