"""Data-subject requests received by e-mail: ``reelvault privacy requests new|list|verify``.

A request is recorded with the address it came from and a one-time code is mailed
there; nothing is shown, changed or erased until the code comes back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelvault.cli.files import write_private
from reelvault.cli.format import when
from reelvault.cli.state import state_of
from reelvault.privacy import admin_actions, dsr, export, notify

requests_app = typer.Typer(
    help="Data-subject requests received by e-mail: record one, list them, act on a "
    "verified one, mark one resolved. Without a command: the list.",
    invoke_without_command=True,
)


@requests_app.command("new")
def request_command(
    ctx: typer.Context,
    kind: Annotated[dsr.RequestKind, typer.Argument(help="What the person asks for.")],
    email: Annotated[str, typer.Option("--email", help="The address the request came from.")],
    owner: Annotated[
        str | None,
        typer.Option(
            help="An owner id (session or API key) the person showed you they hold; "
            "otherwise only data linked to the address is covered.",
        ),
    ] = None,
) -> None:
    """Record a request received by e-mail and send its one-time verification code.

    Nothing is shown, changed or erased until the code comes back: run
    `reelvault privacy requests verify CODE` with it.
    """
    state = state_of(ctx)
    runtime = state.runtime
    created = dsr.create_request(
        runtime, notify.smtp_settings(runtime.settings), kind=kind, address=email, owner_id=owner
    )
    due = when(created.due_at, runtime.clock())
    state.console.print(
        f"request {created.id} ({created.kind}) recorded; due {due}."
        " A verification code was e-mailed to the requester."
    )


@requests_app.command("verify")
def verify_command(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(help="The code the requester sent back.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Where to write the answer (export: a ZIP; access: JSON)."
        ),
    ] = None,
    new_email: Annotated[
        str | None, typer.Option(help="For a rectify request: the corrected address.")
    ] = None,
) -> None:
    """Act on a verified request: answer, export, erase, rectify, restrict or object."""
    state = state_of(ctx)
    runtime = state.runtime
    outcome = dsr.verify(runtime, token, new_address=new_email)
    if outcome.kind == dsr.RequestKind.EXPORT.value:
        target = out or Path(f"{outcome.request_id}.zip")
        size = write_private(target, export.stream_export(runtime, outcome.owners))
        state.console.print(f"export written to {target} ({size} bytes); send it securely")
    elif outcome.data is not None:
        text = json.dumps(outcome.data, indent=2)
        if out is not None:
            write_private(out, [text.encode()])
            state.console.print(f"answer written to {out}")
        else:
            typer.echo(text)
    counts = ", ".join(f"{key}={value}" for key, value in sorted(outcome.counts.items()))
    state.console.print(f"request {outcome.request_id} ({outcome.kind}) resolved: {counts}")


@requests_app.command("list")
def requests_command(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only the late ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Data-subject requests with their due dates (exit 1 with --overdue when any is late)."""
    state = state_of(ctx)
    runtime = state.runtime
    items = dsr.list_requests(runtime, overdue_only=overdue)
    if as_json:
        typer.echo(json.dumps([item.to_dict() for item in items], indent=2))
    else:
        table = Table("id", "kind", "channel", "status", "due")
        now = runtime.clock()
        for item in items:
            due = when(item.due_at, now) + (" OVERDUE" if item.overdue else "")
            table.add_row(item.id, item.kind, item.channel, item.status, due)
        state.console.print(table)
        state.console.print(f"{len(items)} request(s)")
    if overdue and items:
        raise typer.Exit(1)


@requests_app.command("resolve")
def resolve_command(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(help="The request's id (from the list).")],
) -> None:
    """Mark a request answered without acting on it (handled another way, or refused as
    unfounded); written to the audit log. Use `verify` to act on a verified one."""
    state = state_of(ctx)
    info = admin_actions.close_request(
        state.runtime, request_id, actor=admin_actions.OPERATOR_ACTOR
    )
    state.console.print(f"request {info.id} ({info.kind}) resolved")


@requests_app.callback()
def requests_default(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only the late ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Data-subject requests (``reelvault privacy requests`` alone lists them)."""
    if ctx.invoked_subcommand is None:
        requests_command(ctx, overdue=overdue, as_json=as_json)


__all__ = [
    "request_command",
    "requests_app",
    "requests_command",
    "resolve_command",
    "verify_command",
]
