"""``reelvault serve``: the API, the workers and the retention sweeper in one process."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from reelvault.accounts.keys import keyless_mode, usable_key_exists, warn_if_locked
from reelvault.app.compose import open_runtime
from reelvault.cli.state import state_of
from reelvault.config import Settings, is_loopback_host, load_settings
from reelvault.errors import ConfigError
from reelvault.logs import configure_logging

is_loopback = is_loopback_host


def key_file_warning(settings: Settings) -> str | None:
    """A warning when a deployment others reach keeps its key file inside ``data_dir``.

    Crypto-shredding destroys an object's wrapped key; its ciphertext is useless only
    while the key-encryption key that wrapped it is not beside an older copy of the
    wrapped keys. A backup of ``data_dir`` that holds the key file too undoes every
    shredding done since it was taken (docs/operations.md).
    """
    if settings.master_key is not None:
        return None
    public = not is_loopback(settings.host) or settings.public_base_url is not None
    key_file = settings.resolved_key_file.expanduser().absolute()
    data_dir = settings.data_dir.expanduser().absolute()
    if not public or not key_file.is_relative_to(data_dir):
        return None
    return (
        f"the key-encryption key file {key_file} lies inside data_dir: a backup of data_dir "
        "would hold the key beside the data it protects, and restoring it would revive "
        "crypto-shredded data. Keep the key apart (key_file on another volume, or "
        "master_key from a secret store); see docs/operations.md"
    )


def _workers_line(settings: Settings, no_workers: bool) -> str:
    if settings.queue == "celery":
        return "queue celery: jobs run on `reelvault worker` nodes"
    return "no workers" if no_workers else f"{settings.workers} worker(s)"


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Job worker processes (default from settings: 1).")
    ] = None,
    no_workers: Annotated[
        bool,
        typer.Option(
            "--no-workers",
            help="Serve the API only; jobs are run by `reelvault worker` processes elsewhere "
            "(sharing the database and the data directory or blob store).",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API (native /api/v1 and OpenAI-compatible /v1) with job workers."""
    import uvicorn

    from reelvault.app.factory import create_app
    from reelvault.app.server import server_config

    state = state_of(ctx)
    settings = load_settings(
        state.config_file,
        data_dir=state.data_dir,
        policy=state.policy,
        host=host,
        port=port,
        workers=workers,
    )
    configure_logging(settings.log_level, settings.log_format)
    runtime = open_runtime(settings)
    if not settings.host_is_loopback and not usable_key_exists(runtime):
        runtime.close()
        raise ConfigError(
            f"refusing to listen on {settings.host} without API keys: anyone who can reach it "
            "could use it. Create a key first (reelvault keys create --name NAME) or bind to "
            "127.0.0.1."
        )
    warning = key_file_warning(settings)
    if warning is not None:
        logging.getLogger("reelvault.serve").warning(warning)
        state.errors.print(f"warning: {warning}")
    if keyless_mode(runtime):
        state.errors.print(
            "no API key has been created: keyless single-user mode, this machine only "
            "(creating a key ends it for good)"
        )
    else:
        warn_if_locked(runtime)
    app = create_app(settings, runtime=runtime, worker_mode="none" if no_workers else "process")
    docs = "; API docs at /docs" if settings.docs_enabled else ""
    state.errors.print(
        f"reelvault on http://{settings.host}:{settings.port} "
        f"(policy {runtime.policy.name}, "
        f"{_workers_line(settings, no_workers)}){docs}"
    )
    # Timeouts for slow clients, the connection limit, no Server header: app/server.py.
    server = uvicorn.Server(server_config(app, settings))
    server.run()
    runtime.close()
    if not server.started:
        raise typer.Exit(3)  # as uvicorn.run says it: the server never started (port taken?)


__all__ = ["is_loopback", "key_file_warning", "serve"]
