"""Privacy commands: retention sweep, redaction, consent, usage statistics, the audit log."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelvault.cli.files import write_private
from reelvault.cli.requests import request_command, requests_app, verify_command
from reelvault.cli.state import state_of
from reelvault.privacy import age, analytics, audit_log, consent, export, moderation_stats
from reelvault.privacy.privacy_audit import run_audit
from reelvault.privacy.redact import redact_with_counts
from reelvault.privacy.sweeper import sweep
from reelvault.runtime import Runtime

app = typer.Typer(help="Retention and privacy operations.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(requests_app, name="requests")
# The names from before requests had a group of their own, kept for operators' scripts.
app.command("request", hidden=True)(request_command)
app.command("verify", hidden=True)(verify_command)


@app.command("sweep")
def sweep_command(ctx: typer.Context) -> None:
    """Delete (crypto-shred) everything whose retention period has ended, now."""
    state = state_of(ctx)
    report = sweep(state.runtime)
    if report.skipped:
        state.errors.print("another process is sweeping right now; nothing done (try again)")
        raise typer.Exit(1)
    state.console.print(
        f"{report.objects_shredded} object(s) shredded, {report.jobs_expired} job(s) expired, "
        f"{report.jobs_deleted} job record(s) deleted, "
        f"{report.scratch_removed} scratch folder(s) removed, "
        f"{report.owners_deleted} idle owner(s) deleted"
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
    """Show an owner's consents, or record a grant or withdrawal made on their behalf.

    A grant of a purpose the policy reserves for adults (marketing, provider:<name>) is
    refused for an owner who declared being under the minimum age.
    """
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
        str | None,
        typer.Option(
            help="Comma-separated: "
            + ", ".join(analytics.DIMENSIONS)
            + " (default day,engine,outcome); with --moderation: "
            + ", ".join(moderation_stats.DIMENSIONS)
            + " (default all).",
        ),
    ] = None,
    moderation: Annotated[
        bool,
        typer.Option(
            "--moderation",
            help="Moderation decisions (flags and blocks per stage and category) instead "
            "of job outcomes.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Anonymous usage counts; counts below the policy's minimum are suppressed."""
    state = state_of(ctx)
    runtime = state.runtime
    default = ",".join(moderation_stats.DIMENSIONS) if moderation else "day,engine,outcome"
    group_by = tuple(part.strip() for part in (by or default).split(",") if part.strip())
    until = runtime.clock().date()
    since = until - timedelta(days=days - 1)
    source = moderation_stats.report if moderation else analytics.report
    result = source(runtime, group_by=group_by, since=since, until=until)
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
    report = audit_log.verify(state.runtime, expected_head=expect_head)
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
    for entry in audit_log.tail(state.runtime, count):
        fields = " ".join(f"{key}={value}" for key, value in sorted(entry.fields.items()))
        state.console.print(
            f"{entry.seq} {entry.time.isoformat()} {entry.action} by {entry.actor} {fields}",
            markup=False,
        )


@app.command("audit")
def privacy_audit_command(
    ctx: typer.Context,
    log_dir: Annotated[
        list[Path] | None, typer.Option("--log-dir", help="A log directory to scan (repeatable).")
    ] = None,
    also: Annotated[
        list[Path] | None,
        typer.Option(
            "--also",
            help="Another file or folder to scan like a log, e.g. a capture of the "
            "service's stderr (repeatable).",
        ),
    ] = None,
    marker: Annotated[
        list[str] | None,
        typer.Option(
            "--marker",
            help="A text to look for besides the stored prompts, e.g. a marker planted in "
            "a request; reported by number, never echoed (repeatable).",
        ),
    ] = None,
    grace_seconds: Annotated[
        float | None,
        typer.Option(help="Tolerance for work in flight; default two sweep intervals."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Scan the database, vault, scratch, logs, models and provenance for what the policy forbids.

    The database is read raw (main file with its free pages, WAL, shared memory) and
    through SQL; stored prompts and --marker texts are searched for in full, in every
    file. With the vault in S3 (blob_store) every object in the bucket is checked too:
    encrypted, named like a vault object, with its key row. Exit status 0 only when clean.
    """
    state = state_of(ctx)
    runtime = state.runtime
    grace = None if grace_seconds is None else timedelta(seconds=grace_seconds)
    missing = [str(path) for path in also or [] if not path.exists()]
    if missing:
        raise typer.BadParameter(
            f"no such file or folder: {', '.join(missing)}", param_hint="--also"
        )
    result = run_audit(
        runtime, log_dirs=log_dir or [], grace=grace, markers=marker or [], also=also or []
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        for finding in result.findings:
            state.errors.print(f"{finding.kind}: {finding.where}: {finding.detail}", markup=False)
        verdict = "clean" if result.clean else f"{len(result.findings)} finding(s)"
        state.console.print(
            f"privacy audit {verdict}: {result.files_scanned} file(s), "
            f"{result.vault_objects} vault object(s), {result.prompts_checked} prompt(s) checked"
        )
    if not result.clean:
        raise typer.Exit(1)


@app.command("erase-child")
def erase_child_command(
    ctx: typer.Context,
    owner_id: Annotated[str, typer.Argument(help="The reported child's owner id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase everything linked to a reported child's account, its identity included."""
    state = state_of(ctx)
    if not yes:
        typer.confirm(f"Crypto-shred everything of {owner_id}? This cannot be undone", abort=True)
    report = age.erase_child(state.runtime, owner_id)
    counts = ", ".join(f"{key}={value}" for key, value in report.as_dict().items())
    state.console.print(f"erased: {counts}")


@app.command("age-clear")
def age_clear_command(
    ctx: typer.Context,
    owner_id: Annotated[str, typer.Argument(help="The owner whose answer was a mistake.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Lift an owner's under-age declaration (after you checked); they are asked again.

    Until then the declaration stands: the owner cannot change it to "old enough"
    themselves, and every consent the policy reserves for adults is refused.
    """
    state = state_of(ctx)
    if not yes:
        typer.confirm(
            f"Clear the under-age declaration of {owner_id}? Do this only after checking "
            "that they are old enough",
            abort=True,
        )
    age.clear_under_age(state.runtime, owner_id)
    state.console.print("under-age declaration cleared; the owner will be asked again")


@app.command("export")
def export_command(
    ctx: typer.Context,
    owner_id: Annotated[str, typer.Argument(help="The owner whose data to export.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The ZIP to write (mode 0600).")],
) -> None:
    """Write an owner's export ZIP (JSON + media, decrypted) for a verified request."""
    state = state_of(ctx)
    runtime: Runtime = state.runtime
    size = write_private(out, export.stream_export(runtime, [owner_id]))
    state.console.print(f"export written to {out} ({size} bytes)")


__all__ = ["app", "audit_app", "stats"]
