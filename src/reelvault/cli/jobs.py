"""``reelvault jobs``: this machine's jobs."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from reelvault.cli.format import relative
from reelvault.cli.format import size as format_size
from reelvault.cli.generate import check_output_path
from reelvault.cli.state import state_of
from reelvault.jobs.lifecycle import cancel_job, delete_job
from reelvault.jobs.queries import export_output, get_job, list_jobs, read_prompt
from reelvault.jobs.views import JobView

app = typer.Typer(help="List, inspect, cancel, export and delete jobs.")


def _as_json(view: JobView, prompt: str | None) -> dict[str, object]:
    data = asdict(view)
    data["prompt"] = prompt
    return data


@app.command("list")
def list_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List jobs, newest first. Prompts are shown only while the policy keeps them."""
    state = state_of(ctx)
    runtime = state.runtime
    views = list_jobs(runtime, limit=limit)
    prompts = {
        view.id: read_prompt(runtime, view.id) if view.prompt_kept else None for view in views
    }
    if as_json:
        typer.echo(json.dumps([_as_json(v, prompts[v.id]) for v in views], default=str, indent=2))
        return
    if not views:
        state.console.print("no jobs")
        return
    now = runtime.clock()
    # The id stays whole: it is what the other commands take.
    table = Table(Column("id", no_wrap=True), "status", "%", "engine", "video", "created", "prompt")
    for view in views:
        prompt = prompts[view.id]
        shown = (
            "[dim]not kept[/dim]" if prompt is None else (prompt[:40] + "…" * (len(prompt) > 40))
        )
        table.add_row(
            view.id,
            view.status.value,
            str(view.progress),
            view.engine,
            f"{view.width}x{view.height} {view.seconds:g}s",
            relative((view.created_at - now).total_seconds()),
            shown,
        )
    state.console.print(table)


@app.command("show")
def show(ctx: typer.Context, job_id: Annotated[str, typer.Argument(help="The job id.")]) -> None:
    """Show one job as JSON."""
    state = state_of(ctx)
    view = get_job(state.runtime, job_id)
    prompt = read_prompt(state.runtime, job_id) if view.prompt_kept else None
    typer.echo(json.dumps(_as_json(view, prompt), default=str, indent=2))


@app.command("cancel")
def cancel(ctx: typer.Context, job_id: Annotated[str, typer.Argument()]) -> None:
    """Cancel a queued or running job."""
    state = state_of(ctx)
    view = cancel_job(state.runtime, job_id)
    state.console.print(f"{view.id}: {view.status.value} ({view.stage})")


@app.command("delete")
def delete(ctx: typer.Context, job_id: Annotated[str, typer.Argument()]) -> None:
    """Delete a job now: its prompt, inputs and outputs are crypto-shredded."""
    state = state_of(ctx)
    shredded = delete_job(state.runtime, job_id)
    state.console.print(f"deleted {job_id} ({shredded} encrypted object(s) shredded)")


@app.command("export")
def export(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument()],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the MP4.")],
) -> None:
    """Write a finished job's video to a file (while the policy still keeps it)."""
    state = state_of(ctx)
    destination = check_output_path(output)
    written = export_output(state.runtime, job_id, destination)
    state.console.print(f"saved {destination} ({format_size(written)})")


__all__ = ["app"]
