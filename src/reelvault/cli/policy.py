"""``reelvault policy``: the effective privacy policy, as data and as a document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from reelvault.cli.state import state_of
from reelvault.policy import builtin_profiles, load_policy, render_policy

app = typer.Typer(help="Show and render the privacy policy this deployment enforces.")


@app.command("show")
def show(ctx: typer.Context) -> None:
    """Print the effective policy as JSON (data classes, purposes, retention, rights)."""
    state = state_of(ctx)
    policy = load_policy(state.settings.policy)
    state.console.print_json(json.dumps(policy.to_public_dict()))


@app.command("render")
def render(
    ctx: typer.Context,
    fmt: Annotated[
        Literal["markdown", "html", "json"],
        typer.Option("--format", "-f", help="markdown, html or json."),
    ] = "markdown",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to a file instead of stdout.")
    ] = None,
) -> None:
    """Render the human-readable privacy policy from the same data the code enforces."""
    state = state_of(ctx)
    text = render_policy(load_policy(state.settings.policy), fmt)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        state.errors.print(f"wrote {output}")


@app.command("profiles")
def profiles(ctx: typer.Context) -> None:
    """List the built-in policy profiles."""
    state = state_of(ctx)
    for name in builtin_profiles():
        policy = load_policy(name)
        state.console.print(f"[bold]{name}[/bold]  {policy.title}")


__all__ = ["app"]
