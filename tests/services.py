"""The network services the scale-out tests use, found by env var with this machine's defaults.

Every machine of this project runs PostgreSQL, Redis and RabbitMQ on 127.0.0.1. Without
a reachable service a test skips with the reason; under CI (``CI`` set) it fails instead,
so a missing service is never silent. Fault tests start private instances on free ports
(:func:`free_port`) so that a restart never disturbs another test.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get(
    "REELVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("REELVAULT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("REELVAULT_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def unavailable(what: str, reason: str) -> None:
    """Skip (or, under CI, fail) because ``what`` cannot be used."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required under CI: {reason}")
    pytest.skip(f"no {what} ({reason})")


def require_tcp(what: str, url: str, default_port: int) -> None:
    """Skip/fail unless something accepts TCP connections at ``url``'s host and port."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        unavailable(what, f"{host}:{port} does not answer ({type(exc).__name__})")


def require_program(name: str) -> str:
    """The path of program ``name``; skip/fail when it is not installed."""
    path = shutil.which(name)
    if path is None:
        unavailable(name, f"the {name} program is not installed")
        raise AssertionError  # unreachable: unavailable() raises
    return path


def free_port() -> int:
    """A TCP port nothing listens on right now (for a private server instance)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


__all__ = [
    "AMQP_URL",
    "POSTGRES_URL",
    "REDIS_URL",
    "free_port",
    "require_program",
    "require_tcp",
    "unavailable",
]
