"""Operator commands: keys, workers, engines, moderators, configuration."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reelvault import metrics
from reelvault.accounts.accounts import get_account
from reelvault.accounts.keys import create_api_key, list_api_keys, revoke_api_key
from reelvault.accounts.operator import operator_account
from reelvault.accounts.scopes import ADMIN, SCOPE_HELP, ordered, parse_scopes
from reelvault.app.compose import open_runtime
from reelvault.cli.format import param_kind
from reelvault.cli.node_metrics import parse_listen, serve_node_metrics
from reelvault.cli.state import state_of
from reelvault.config import Settings
from reelvault.engines.registry import load_registry
from reelvault.errors import ValidationError
from reelvault.jobs.pool import WorkerPool
from reelvault.jobs.worker import worker_process_main
from reelvault.moderation import load_moderators
from reelvault.privacy.sweeper import PeriodicSweeper
from reelvault.runtime import Runtime

keys_app = typer.Typer(help="API keys, and the vault's key-encryption keys.")
config_app = typer.Typer(help="Inspect the configuration.")


@keys_app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="A label for the key, e.g. who or what uses it.")],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help="What the key may do; repeat for several: "
            + "; ".join(f"{each} ({text})" for each, text in SCOPE_HELP.items())
            + ". Default: every scope but admin.",
        ),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option(
            metavar="ACCOUNT_ID",
            help="The account (acc_...) the key belongs to; default: the local operator "
            "account (this machine's owner, role admin).",
        ),
    ] = None,
    own_owner: Annotated[
        bool,
        typer.Option(
            "--own-owner",
            help="Make the key a new owner of its own, with no account: its jobs are its "
            "own (for a client that must not see the operator's); never admin.",
        ),
    ] = False,
) -> None:
    """Create an API key. The secret is shown once and stored only hashed.

    By default the key belongs to the local operator account: it acts as this machine's
    owner (the same jobs as the CLI and the keyless server) and, with --scope admin,
    reaches the admin routes. With --account it acts as that account (admin only for an
    admin account); with --own-owner it is a new owner of its own.
    """
    state = state_of(ctx)
    runtime = state.runtime
    scopes = parse_scopes(scope) if scope else None
    if account and own_owner:
        raise ValidationError("--account and --own-owner exclude each other", param="account")
    if own_owner and scopes is not None and ADMIN in scopes:
        raise ValidationError(
            "the admin scope is only for keys of admin accounts, not --own-owner keys",
            param="scopes",
        )
    if account:
        owner_id: str | None = get_account(runtime, account).owner_id
        whose = f"account {account}"
    elif own_owner:
        owner_id, whose = None, ""
    else:
        operator = operator_account(runtime)
        owner_id, whose = operator.owner_id, f"the local operator account {operator.id}"
    created = create_api_key(runtime, name=name, owner_id=owner_id, scopes=scopes)
    whose = whose or f"owner {created.owner_id}"
    state.console.print(
        f"API key {created.id} ({created.name}) for {whose}, "
        f"scopes {' '.join(ordered(created.scopes))}:",
        markup=False,
    )
    typer.echo(created.secret)
    state.errors.print("Store it now: it cannot be shown again.")


@keys_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """List API keys with their scopes and the day each was last used (never secrets)."""
    state = state_of(ctx)
    for key in list_api_keys(state.runtime):
        revoked = f" revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else ""
        used = f"last used {key.last_used_on:%Y-%m-%d}" if key.last_used_on else "never used"
        state.console.print(
            f"{key.id}  {key.prefix}…  {key.name}  owner {key.owner_id}  "
            f"scopes {','.join(ordered(key.scopes))}  "
            f"created {key.created_at:%Y-%m-%d}  {used}{revoked}",
            markup=False,
        )


@keys_app.command("revoke")
def revoke_key(ctx: typer.Context, key_id: Annotated[str, typer.Argument()]) -> None:
    """Revoke an API key at once."""
    state = state_of(ctx)
    revoke_api_key(state.runtime, key_id)
    state.console.print(f"revoked {key_id}")


@keys_app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Create a new key-encryption key and rewrap every data key under it (media untouched)."""
    state = state_of(ctx)
    report = state.runtime.vault.rotate()
    state.console.print(
        f"rotated to key {report.new_kek_id}: {report.rewrapped} data key(s) rewrapped"
    )


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the effective settings (secrets hidden)."""
    state = state_of(ctx)
    typer.echo(json.dumps(state.settings.censored(), indent=2, default=str))


def engines(ctx: typer.Context) -> None:
    """List the installed engines, their tasks and limits."""
    state = state_of(ctx)
    for engine in load_registry(state.settings):
        tasks = ", ".join(sorted(task.value for task in engine.tasks))
        where = "local" if engine.runs_locally else "third-party provider"
        state.console.print(f"[bold]{engine.name}[/bold] ({tasks}; {engine.device}; {where})")
        state.console.print(f"  {engine.description}")
        schema = engine.params_model.model_json_schema()
        for name, field in schema.get("properties", {}).items():
            kind = param_kind(field, schema.get("$defs", {}))
            default = field.get("default")
            state.console.print(
                f"  --param {name}=<{kind}>  (default {default}) {field.get('description', '')}",
                markup=False,
            )


def moderators(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the content moderators: which run here, what they look at, their licence, and
    what an optional one needs to be installed."""
    state = state_of(ctx)
    registry = load_moderators()
    running = set(state.settings.moderators)
    rows = [
        {
            "name": moderator.name,
            "runs": moderator.name in running,
            "available": registry.unavailable(moderator.name) is None,
            "missing": registry.unavailable(moderator.name),
            "looks_at": [
                what
                for what, checks in (
                    ("text", moderator.checks_text),
                    ("images", moderator.checks_images),
                )
                if checks
            ],
            "licence": moderator.licence,
            "description": moderator.description,
        }
        for moderator in registry.classes()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        status = "runs" if row["runs"] else "installed, not enabled"
        if row["missing"]:
            status = f"not installed: {row['missing']}"
        looks_at = " and ".join(row["looks_at"])  # type: ignore[arg-type]
        # The hint names an extra in brackets (reelvault[nudity]): not markup.
        state.console.print(
            f"[bold]{escape(str(row['name']))}[/bold] ({looks_at}; {escape(status)})",
            highlight=False,
        )
        state.console.print(f"  {row['description']}", markup=False)
        state.console.print(f"  licence: {row['licence']}", markup=False)


def _engine_names(known: list[str], wanted: str | None) -> list[str] | None:
    """``--engines a,b`` checked against the installed engines (None: all of them)."""
    if wanted is None:
        return None
    names = [name.strip() for name in wanted.split(",") if name.strip()]
    unknown = sorted(set(names) - set(known))
    if not names or unknown:
        raise ValidationError(
            f"unknown engine(s) {', '.join(unknown) or '(none given)'} for --engines "
            f"(installed: {', '.join(known)})",
            param="engines",
        )
    return names


def worker(
    ctx: typer.Context,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            "--concurrency",
            min=1,
            max=64,
            help="Jobs run in parallel: worker processes (queue=database) or Celery prefork "
            "children (queue=celery).",
        ),
    ] = 1,
    only: Annotated[
        str | None,
        typer.Option(
            "--engines",
            help="Take only jobs for these engines, comma-separated (e.g. diffusers on a GPU "
            "node, puppet,livephoto,procedural on CPU nodes); default: every engine. With "
            "queue=celery the node consumes only these engines' queues.",
        ),
    ] = None,
    metrics_listen: Annotated[
        str | None,
        typer.Option(
            "--metrics-listen",
            metavar="HOST:PORT",
            help="Serve this node's job metrics for Prometheus at http://HOST:PORT/metrics "
            "(e.g. 0.0.0.0:9100 in a container); off by default.",
        ),
    ] = None,
) -> None:
    """Run job workers in the foreground until interrupted (SIGINT/SIGTERM).

    With queue=database they poll the jobs table; with queue=celery this is a Celery
    worker node on broker_url. Either way the node also requeues jobs of dead workers
    and takes its turn at the retention sweep (one node at a time sweeps).
    """
    state = state_of(ctx)
    settings = state.settings
    listen = parse_listen(metrics_listen) if metrics_listen else None
    folder = metrics.prepare_multiprocess_dir(settings.data_dir) if listen else None
    if folder is not None and (settings.queue == "celery" or processes == 1):
        # Jobs run in this process or in its forks: they write the node's files too.
        metrics.join_multiprocess(folder)
    runtime = open_runtime(settings)  # migrates once before the workers start
    try:
        engines = _engine_names(runtime.registry.names(), only)
        installed = runtime.registry.names()
    except BaseException:
        runtime.close()
        raise
    server = serve_node_metrics(folder, *listen) if folder is not None and listen else None
    sweeper = PeriodicSweeper(runtime, settings.sweep_interval_seconds)
    sweeper.start()
    try:
        if settings.queue == "celery":
            _celery_worker(runtime, engines or installed, processes)
        else:
            _database_workers(settings, engines, processes, folder)
    finally:
        sweeper.stop()
        runtime.close()
        if server is not None:
            server[0].shutdown()
        if folder is not None:
            metrics.remove_multiprocess_dir(folder)


def _database_workers(
    settings: Settings, engines: list[str] | None, processes: int, metrics_dir: Path | None
) -> None:
    if processes == 1:
        worker_process_main(settings, open_runtime, threading.Event(), engines=engines)
        return
    # The pool replaces a worker that dies; this process only waits for the signal to stop.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    pool = WorkerPool(settings, processes, open_runtime, engines=engines)
    pool.metrics_dir = metrics_dir  # None: the pool makes its own
    pool.start()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        pool.stop()


def _celery_worker(runtime: Runtime, engines: list[str], concurrency: int) -> None:
    # Late: Celery is an optional dependency (reelvault[scale]).
    from reelvault.jobs.queue.celery_queue import CeleryDispatch, CeleryMaintenance
    from reelvault.jobs.queue.celery_worker import run_celery_worker

    dispatch = runtime.hooks.dispatch
    assert isinstance(dispatch, CeleryDispatch)
    maintenance = CeleryMaintenance(runtime, dispatch)
    maintenance.start()
    try:
        run_celery_worker(dispatch.app, runtime.settings, open_runtime, engines, concurrency)
    finally:
        maintenance.stop()


__all__ = ["config_app", "engines", "keys_app", "worker"]
