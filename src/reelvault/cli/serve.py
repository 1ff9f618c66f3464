"""``reelvault serve``: the API, the workers and the retention sweeper in one process."""

from __future__ import annotations

import ipaddress
import logging
from typing import Annotated

import typer

from reelvault.cli.state import state_of
from reelvault.config import load_settings
from reelvault.errors import ConfigError
from reelvault.jobs.owners import keys_configured
from reelvault.jobs.runtime import Runtime


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    from reelvault.api.server import server_config

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
    if not is_loopback(settings.host) and not keys_configured(runtime):
        runtime.close()
        raise ConfigError(
            f"refusing to listen on {settings.host} without API keys: anyone who can reach it "
            "could use it. Create a key first (reelvault keys create --name NAME) or bind to "
            "127.0.0.1."
        )
    app = create_app(settings, runtime=runtime, worker_mode="process")
    docs = "; API docs at /docs" if settings.docs_enabled else ""
    state.errors.print(
        f"reelvault on http://{settings.host}:{settings.port} "
        f"(policy {runtime.policy.name}, {settings.workers} worker(s)){docs}"
    )
    # Timeouts for slow clients, the connection limit, no Server header: api/server.py.
    server = uvicorn.Server(server_config(app, settings))
    server.run()
    runtime.close()
    if not server.started:
        raise typer.Exit(3)  # as uvicorn.run says it: the server never started (port taken?)


__all__ = ["is_loopback", "serve"]
