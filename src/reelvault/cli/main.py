"""The ``reelvault`` command: global options, command groups, and clean errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reelvault import __version__
from reelvault.cli import (
    accounts,
    admin,
    characters,
    db,
    jobs,
    models,
    notify,
    policy,
    privacy,
    provenance,
    reports,
)
from reelvault.cli.derive import edit, extend, remix
from reelvault.cli.generate import dance, generate
from reelvault.cli.global_options import hoist_global_options
from reelvault.cli.serve import serve
from reelvault.cli.state import CliState
from reelvault.errors import ReelvaultError
from reelvault.logs import configure_logging

app = typer.Typer(
    name="reelvault",
    help="Self-hostable AI video generation whose privacy policy is enforced by its code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("generate")(generate)
app.command("dance")(dance)
app.command("remix")(remix)
app.command("extend")(extend)
app.command("edit")(edit)
app.command("engines")(admin.engines)
app.command("moderators")(admin.moderators)
app.command("worker")(admin.worker)
app.command("serve")(serve)
app.command("stats")(privacy.stats)
app.add_typer(policy.app, name="policy")
app.add_typer(jobs.app, name="jobs")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(accounts.app, name="accounts")
app.add_typer(privacy.app, name="privacy")
app.add_typer(privacy.audit_app, name="audit")
app.add_typer(notify.app, name="notify")
app.add_typer(provenance.app, name="provenance")
app.add_typer(reports.app, name="reports")
app.add_typer(characters.app, name="characters")
app.add_typer(models.app, name="models")
app.add_typer(admin.config_app, name="config")
app.add_typer(db.app, name="db")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reelvault {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory (database, vault, key file). Env: REELVAULT_DATA_DIR.",
        ),
    ] = None,
    policy_spec: Annotated[
        str | None,
        typer.Option(
            "--policy",
            help="Policy profile (ephemeral, standard, library) or a policy YAML file. "
            "Env: REELVAULT_POLICY.",
        ),
    ] = None,
    config_file: Annotated[
        Path | None,
        typer.Option("--config", help="TOML settings file. Env: REELVAULT_CONFIG."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    state = CliState(data_dir=data_dir, policy=policy_spec, config_file=config_file)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main() -> None:
    """Console entry point: every expected failure is one line on stderr and exit 1."""
    # First, before any command loads a library that logs or prints on its own.
    configure_logging("WARNING")
    try:
        app(args=hoist_global_options(sys.argv[1:]), prog_name="reelvault")
    except ReelvaultError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(1)
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        print(f"error: {detail}{where}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
