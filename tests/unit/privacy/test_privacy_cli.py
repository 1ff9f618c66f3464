"""The privacy commands, run through Typer as main.py will register them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import update
from typer.testing import CliRunner

from reelvault.app.compose import open_runtime
from reelvault.cli.privacy import app as privacy_app
from reelvault.cli.privacy import audit_app, stats
from reelvault.cli.state import CliState
from reelvault.db.privacy_models import AuditEntry
from reelvault.privacy import analytics, audit_log
from reelvault.privacy.sweep_lock import sweep_lock
from reelvault.runtime import Runtime
from reelvault.testing import settings_for


def _cli(data_dir: Path, policy: str = "standard") -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context) -> None:
        state = CliState(data_dir=data_dir, policy=policy)
        ctx.obj = state
        ctx.call_on_close(state.close)

    root.add_typer(privacy_app, name="privacy")
    root.add_typer(audit_app, name="audit")
    root.command("stats")(stats)
    return root


def _runtime(data_dir: Path) -> Runtime:
    return open_runtime(settings_for(data_dir.parent, data_dir=data_dir, policy="standard"))


def test_audit_verify_exits_1_when_the_chain_is_broken(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = _runtime(data)
    for count in range(3):
        audit_log.record(runtime, "retention.sweep", objects_shredded=count)
    runtime.close()
    cli = _cli(data)
    result = CliRunner().invoke(cli, ["audit", "verify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["entries"] == 3
    head = f"{report['head_seq']}:{report['head_hash']}"
    assert CliRunner().invoke(cli, ["audit", "verify", "--expect-head", head]).exit_code == 0
    assert "retention.sweep" in CliRunner().invoke(cli, ["audit", "tail"]).stdout

    runtime = _runtime(data)
    with runtime.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(action="x.y"))
    runtime.close()
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN" in result.stdout


def test_stats_prints_only_counts_at_or_above_k(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runtime = _runtime(data)
    for index in range(10):
        analytics.record_job_outcome(
            runtime, owner_id=f"own_{index}", feature="text_to_video", engine="procedural",
            width=1280, height=720, seconds=4.0, outcome="completed",
        )  # fmt: skip
    analytics.record_job_outcome(
        runtime, owner_id="own_x", feature="text_to_video", engine="rare",
        width=1280, height=720, seconds=4.0, outcome="failed",
    )  # fmt: skip
    runtime.close()
    result = CliRunner().invoke(_cli(data), ["stats", "--by", "engine,outcome", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == [{"engine": "procedural", "outcome": "completed", "count": 10}]
    assert report["suppressed_cells"] == 1
    table = CliRunner().invoke(_cli(data), ["stats"]).stdout
    assert "procedural" in table and "rare" not in table


def test_privacy_redact_reads_stdin(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _cli(tmp_path / "data"), ["privacy", "redact"], input="call +44 20 7946 0958 now"
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("call [PHONE] now")


def test_operator_records_a_withdrawal(tmp_path: Path) -> None:
    cli = _cli(tmp_path / "data")
    result = CliRunner().invoke(
        cli, ["privacy", "consent", "own_abc", "analytics", "--withdraw", "--json"]
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["effective"]["analytics"] is False
    assert shown["history"][0]["source"] == "operator"


def test_privacy_sweep_moved_here(tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(tmp_path / "data"), ["privacy", "sweep"])
    assert result.exit_code == 0, result.output
    assert "0 object(s) shredded" in result.stdout


def test_privacy_sweep_says_when_another_node_is_sweeping(tmp_path: Path) -> None:
    data = tmp_path / "data"
    other = _runtime(data)  # another node of the deployment, mid-sweep
    try:
        with sweep_lock(other) as held:
            assert held
            result = CliRunner().invoke(_cli(data), ["privacy", "sweep"])
        assert result.exit_code == 1
        assert "another process is sweeping" in result.output
    finally:
        other.close()


def test_privacy_audit_searches_for_markers_in_extra_places(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _runtime(data).close()
    capture = tmp_path / "serve.stderr"
    capture.write_text("INFO started\n")
    cli = _cli(data)
    marker = "zz-cli-marker-quokka"
    args = ["privacy", "audit", "--grace-seconds", "0", "--marker", marker, "--also", str(capture)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    capture.write_text("INFO started\nERROR bad input: " + marker + "\n")
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["findings"] == [{"kind": "marker", "where": "serve.stderr", "detail": "marker 1"}]
    assert marker not in result.stdout
    missing = CliRunner().invoke(cli, ["privacy", "audit", "--also", str(tmp_path / "nope")])
    assert missing.exit_code == 2
