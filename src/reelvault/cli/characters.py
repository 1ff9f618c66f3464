"""Saved characters of this machine's user: ``reelvault characters create|list|rm``.

A character is a person's appearance (a photo, or a short video whose first seconds are
used) saved under a name; ``reelvault generate "@Name waves" -o x.mp4`` or ``--character
Name`` (generate, dance) use it without the file. docs/characters.md has the details.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from reelvault.cli.format import when
from reelvault.cli.generate import LikenessOption, upload_file
from reelvault.cli.state import state_of
from reelvault.errors import NotFoundError
from reelvault.jobs.characters import (
    create_character,
    delete_character,
    find_for_job,
    list_characters,
)
from reelvault.types import LOCAL_OWNER

app = typer.Typer(
    help="Characters: a person's photo or short video saved under a name, for later videos "
    "(`@Name` in a prompt, or --character). Without a command: the list.",
    invoke_without_command=True,
)


@app.command("create")
def create_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Its name (letters, digits, spaces, . ' -).")],
    media: Annotated[
        Path, typer.Argument(help="A photo (JPEG, PNG, WebP) or a short video of the person.")
    ],
    likeness_affirmed: LikenessOption = False,
) -> None:
    """Save a character (encrypted; needs --likeness-affirmed, recorded in the consent ledger)."""
    state = state_of(ctx)
    runtime = state.runtime
    upload = upload_file(runtime, "character", media)
    view = create_character(
        runtime,
        LOCAL_OWNER,
        name=name,
        upload=upload,
        likeness_affirmed=likeness_affirmed,
    )
    kept = when(view.expires_at, runtime.clock()) if view.expires_at else "until you delete it"
    state.console.print(f"saved character {view.id} ({view.name}), kept {kept}")


@app.command("list")
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Your characters, oldest first."""
    state = state_of(ctx)
    runtime = state.runtime
    views = list_characters(runtime, LOCAL_OWNER)
    if as_json:
        rows = [
            {
                "id": view.id,
                "name": view.name,
                "media_type": view.media_type,
                "created_at": view.created_at.isoformat(),
                "expires_at": view.expires_at.isoformat() if view.expires_at else None,
            }
            for view in views
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    now = runtime.clock()
    table = Table("id", "name", "made from", "deleted")
    for view in views:
        gone = when(view.expires_at, now) if view.expires_at else "when you delete it"
        table.add_row(view.id, view.name, view.media_type, gone)
    state.console.print(table)
    state.console.print(f"{len(views)} character(s)")


@app.command("rm")
def remove_command(
    ctx: typer.Context,
    character: Annotated[str, typer.Argument(help="The character's id or name.")],
) -> None:
    """Delete a character now (its photo or video and name are crypto-shredded)."""
    state = state_of(ctx)
    runtime = state.runtime
    found = find_for_job(runtime, LOCAL_OWNER, reference=character, prompt=None)
    if found is None:  # pragma: no cover - a reference always finds one or raises
        raise NotFoundError(f"no character {character!r}", param="character")
    delete_character(runtime, LOCAL_OWNER, found.id)
    state.console.print(f"deleted character {found.id}")


@app.callback()
def characters_default(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Characters (``reelvault characters`` alone lists them)."""
    if ctx.invoked_subcommand is None:
        list_command(ctx, as_json=as_json)


__all__ = ["app"]
