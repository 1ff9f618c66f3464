"""Abuse reports for the operator: ``reelvault reports list|resolve`` (docs/moderation.md)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from reelvault.cli.format import when
from reelvault.cli.state import state_of
from reelvault.privacy.abuse_reports import Resolution, list_reports, resolve_report

app = typer.Typer(
    help="Abuse reports about generated videos: list the open ones, resolve one (take the "
    "video down with --remove). Without a command: the list.",
    invoke_without_command=True,
)


@app.command("list")
def list_command(
    ctx: typer.Context,
    include_resolved: Annotated[
        bool, typer.Option("--all", help="Resolved reports too (until they expire).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Reports, oldest first: the job, the reason, and until when its video is held."""
    state = state_of(ctx)
    runtime = state.runtime
    items = list_reports(runtime, include_resolved=include_resolved)
    if as_json:
        rows = [
            {
                "id": item.id,
                "job_id": item.job_id,
                "reason": item.reason.value,
                "status": item.status,
                "resolution": item.resolution,
                "created_at": item.created_at.isoformat(),
                "hold_until": item.hold_until.isoformat() if item.hold_until else None,
            }
            for item in items
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    now = runtime.clock()
    table = Table("id", "job", "reason", "status", "video held")
    for item in items:
        held = when(item.hold_until, now) if item.hold_until else "no"
        status = item.status + (f" ({item.resolution})" if item.resolution else "")
        table.add_row(item.id, item.job_id, item.reason.value, status, held)
    state.console.print(table)
    state.console.print(f"{len(items)} report(s)")


@app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    report_id: Annotated[str, typer.Argument(help="The report's id (from the list).")],
    remove: Annotated[
        bool, typer.Option("--remove", help="Take the video down: shred the job now.")
    ] = False,
) -> None:
    """Close a report; its hold on the video ends (written to the audit log)."""
    state = state_of(ctx)
    resolution = Resolution.REMOVE if remove else Resolution.NO_ACTION
    view = resolve_report(state.runtime, report_id, resolution)
    done = "job shredded" if remove else "no action"
    state.console.print(f"report {view.id} resolved: {done}")


@app.callback()
def reports_default(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Abuse reports (``reelvault reports`` alone lists the open ones)."""
    if ctx.invoked_subcommand is None:
        list_command(ctx, include_resolved=False, as_json=as_json)


__all__ = ["app"]
