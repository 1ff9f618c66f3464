"""Operator commands: keys, retention, workers, engines, configuration."""

from __future__ import annotations

import json
import threading
from typing import Annotated

import typer

from reelvault.cli.state import state_of
from reelvault.engines.registry import load_registry
from reelvault.jobs.runtime import Runtime
from reelvault.jobs.worker import WorkerPool, worker_process_main
from reelvault.privacy.sweeper import sweep

keys_app = typer.Typer(help="Manage the vault's key-encryption keys.")
privacy_app = typer.Typer(help="Retention and privacy operations.")
config_app = typer.Typer(help="Inspect the configuration.")


@keys_app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Create a new key-encryption key and rewrap every data key under it (media untouched)."""
    state = state_of(ctx)
    report = state.runtime.vault.rotate()
    state.console.print(
        f"rotated to key {report.new_kek_id}: {report.rewrapped} data key(s) rewrapped"
    )


@privacy_app.command("sweep")
def sweep_command(ctx: typer.Context) -> None:
    """Delete (crypto-shred) everything whose retention period has ended, now."""
    state = state_of(ctx)
    report = sweep(state.runtime)
    state.console.print(
        f"{report.objects_shredded} object(s) shredded, {report.jobs_expired} job(s) expired, "
        f"{report.jobs_deleted} job record(s) deleted, "
        f"{report.scratch_removed} scratch folder(s) removed"
    )


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the effective settings (secrets hidden)."""
    state = state_of(ctx)
    typer.echo(json.dumps(state.settings.censored(), indent=2, default=str))


def engines(ctx: typer.Context) -> None:
    """List the installed engines, their tasks and limits."""
    state = state_of(ctx)
    for engine in load_registry():
        tasks = ", ".join(sorted(task.value for task in engine.tasks))
        where = "local" if engine.runs_locally else "third-party provider"
        state.console.print(f"[bold]{engine.name}[/bold] ({tasks}; {engine.device}; {where})")
        state.console.print(f"  {engine.description}")
        schema = engine.params_model.model_json_schema()
        for name, field in schema.get("properties", {}).items():
            choices = field.get("enum")
            kind = "|".join(str(choice) for choice in choices) if choices else field.get("type", "")
            default = field.get("default")
            state.console.print(
                f"  --param {name}=<{kind}>  (default {default}) {field.get('description', '')}",
                markup=False,
            )


def worker(
    ctx: typer.Context,
    processes: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes to run in parallel.")
    ] = 1,
) -> None:
    """Run job workers in the foreground until interrupted (SIGINT/SIGTERM)."""
    state = state_of(ctx)
    settings = state.settings
    Runtime.open(settings).close()  # migrate once before the workers start
    if processes == 1:
        worker_process_main(settings, threading.Event())
        return
    pool = WorkerPool(settings, processes)
    pool.start()
    try:
        for process in pool.processes:
            process.join()
    except KeyboardInterrupt:
        pass
    finally:
        pool.stop()


__all__ = ["config_app", "engines", "keys_app", "privacy_app", "worker"]
