"""``reelvault db``: the schema, for operators who migrate apart from starting servers."""

from __future__ import annotations

import typer

from reelvault.cli.state import state_of
from reelvault.db.session import current_revision, head_revision, make_db_engine, migrate

app = typer.Typer(help="The database schema (migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to this version's schema (idempotent; safe while others start).

    `reelvault serve` and `reelvault worker` migrate on start too; run this first when
    several nodes share one PostgreSQL database and you want the upgrade as its own step.
    """
    settings = state_of(ctx).settings
    engine = make_db_engine(settings.resolved_database_url)
    try:
        before = current_revision(engine)
        migrate(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        typer.echo(f"database already at revision {after}")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to revision {after}")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show the database's schema revision and this version's (exit 1 when behind)."""
    settings = state_of(ctx).settings
    engine = make_db_engine(settings.resolved_database_url)
    try:
        current, head = current_revision(engine), head_revision(engine)
    finally:
        engine.dispose()
    typer.echo(f"database revision {current or 'none'}; this version needs {head}")
    if current != head:
        raise typer.Exit(1)


__all__ = ["app"]
