"""``reelvault serve``: the API, the workers and the retention sweeper in one process."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from reelvault.cli.state import state_of
from reelvault.config import is_loopback_host, load_settings
from reelvault.errors import ConfigError
from reelvault.jobs.owners import keyless_mode, usable_key_exists, warn_if_locked
from reelvault.jobs.runtime import Runtime

is_loopback = is_loopback_host


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Job worker processes (default from settings: 1).")
    ] = None,
) -> None:
    """Serve the HTTP API (native /api/v1 and OpenAI-compatible /v1) with job workers."""
    import uvicorn

    from reelvault.api.app import create_app

    state = state_of(ctx)
    settings = load_settings(
        state.config_file,
        data_dir=state.data_dir,
        policy=state.policy,
        host=host,
        port=port,
        workers=workers,
    )
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    runtime = Runtime.open(settings)
    if not settings.host_is_loopback and not usable_key_exists(runtime):
        runtime.close()
        raise ConfigError(
            f"refusing to listen on {settings.host} without API keys: anyone who can reach it "
            "could use it. Create a key first (reelvault keys create --name NAME) or bind to "
            "127.0.0.1."
        )
    if keyless_mode(runtime):
        state.errors.print(
            "no API key has been created: keyless single-user mode, this machine only "
            "(creating a key ends it for good)"
        )
    else:
        warn_if_locked(runtime)
    app = create_app(settings, runtime=runtime, worker_mode="process")
    state.errors.print(
        f"reelvault on http://{settings.host}:{settings.port} "
        f"(policy {runtime.policy.name}, {settings.workers} worker(s)); API docs at /docs"
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,  # uvicorn's access log would record client addresses
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=30,
    )
    runtime.close()


__all__ = ["is_loopback", "serve"]
