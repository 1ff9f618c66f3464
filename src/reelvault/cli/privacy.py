"""Privacy commands: retention sweep, redaction, consent, usage statistics, the audit log."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from reelvault.cli.state import state_of
from reelvault.privacy import analytics, audit, consent
from reelvault.privacy.redact import redact_with_counts
from reelvault.privacy.sweeper import sweep

app = typer.Typer(help="Retention and privacy operations.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("sweep")
def sweep_command(ctx: typer.Context) -> None:
    """Delete (crypto-shred) everything whose retention period has ended, now."""
    state = state_of(ctx)
    report = sweep(state.runtime)
    state.console.print(
        f"{report.objects_shredded} object(s) shredded, {report.jobs_expired} job(s) expired, "
        f"{report.jobs_deleted} job record(s) deleted, "
        f"{report.scratch_removed} scratch folder(s) removed"
    )


@app.command("redact")
def redact_command(ctx: typer.Context) -> None:
    """Read text on stdin, print it with personal data replaced by [EMAIL], [PHONE]...

    Counts per kind go to stderr. (Text is read from stdin, never from arguments, so it
    stays out of shell history and process lists.)
    """
    state = state_of(ctx)
    result = redact_with_counts(sys.stdin.read())
    sys.stdout.write(result.text)
    summary = ", ".join(f"{count} {kind.value}" for kind, count in sorted(result.counts.items()))
    state.errors.print(f"redacted: {summary or 'nothing'}")


@app.command("consent")
def consent_command(
    ctx: typer.Context,
    owner_id: Annotated[str, typer.Argument(help="The owner (a pseudonymous id).")],
    purpose: Annotated[
        str | None,
        typer.Argument(help="analytics, marketing, optional_cookies or provider:<name>."),
    ] = None,
    grant: Annotated[
        bool | None,
        typer.Option(
            "--grant/--withdraw",
            help="Record the person's decision (e.g. from a written request); "
            "without it, show the state.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show an owner's consents, or record a grant or withdrawal made on their behalf."""
    state = state_of(ctx)
    runtime = state.runtime
    if grant is not None:
        if purpose is None:
            raise typer.BadParameter("name the purpose to grant or withdraw")
        consent.set_consent(
            runtime, owner_id, purpose, grant, source=consent.ConsentSource.OPERATOR
        )
    providers = (
        (purpose[len(consent.PROVIDER_PREFIX) :],)
        if purpose and purpose.startswith(consent.PROVIDER_PREFIX)
        else ()
    )
    effective = consent.current(runtime, owner_id, providers=providers)
    history = consent.history(runtime, owner_id)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "owner_id": owner_id,
                    "effective": effective,
                    "history": [
                        {
                            "purpose": item.purpose,
                            "granted": item.granted,
                            "source": item.source.value,
                            "policy_version": item.policy_version,
                            "at": item.at.isoformat(),
                        }
                        for item in history
                    ],
                },
                indent=2,
            )
        )
        return
    for name, allowed in effective.items():
        state.console.print(f"{name}: {'granted' if allowed else 'not granted'}")
    state.console.print(f"{len(history)} decision(s) on record")


def stats(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, max=3660, help="How many days back.")] = 30,
    by: Annotated[
        str,
        typer.Option(
            help="Comma-separated: " + ", ".join(analytics.DIMENSIONS) + ".",
        ),
    ] = "day,engine,outcome",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Anonymous usage counts; counts below the policy's minimum are suppressed."""
    state = state_of(ctx)
    runtime = state.runtime
    group_by = tuple(part.strip() for part in by.split(",") if part.strip())
    until = runtime.clock().date()
    result = analytics.report(
        runtime, group_by=group_by, since=until - timedelta(days=days - 1), until=until
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    table = Table(*group_by, "count")
    for row in result.rows:
        table.add_row(*row.key, str(row.count))
    state.console.print(table)
    state.console.print(
        f"{result.suppressed_cells} cell(s) under {result.k} suppressed "
        f"({result.since.isoformat()} to {result.until.isoformat()})"
    )


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="The head hash (or SEQ:HASH) noted at an earlier check; detects removal "
            "of the newest entries.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Check the hash chain. Exit status 0 when intact, 1 when any entry was tampered with."""
    state = state_of(ctx)
    report = audit.verify(state.runtime, expected_head=expect_head)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for problem in report.problems:
            state.errors.print(f"entry {problem.seq}: {problem.kind}: {problem.detail}")
        verdict = "intact" if report.ok else f"BROKEN ({len(report.problems)} problem(s))"
        state.console.print(
            f"audit log {verdict}: {report.entries} entries, head {report.head_seq}:"
            f"{report.head_hash}"
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("tail")
def audit_tail(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", min=1, max=10_000, help="How many.")] = 20,
) -> None:
    """Show the newest entries (they hold counts and pseudonymous ids only)."""
    state = state_of(ctx)
    for entry in audit.tail(state.runtime, count):
        fields = " ".join(f"{key}={value}" for key, value in sorted(entry.fields.items()))
        state.console.print(
            f"{entry.seq} {entry.time.isoformat()} {entry.action} by {entry.actor} {fields}",
            markup=False,
        )


__all__ = ["app", "audit_app", "stats"]
