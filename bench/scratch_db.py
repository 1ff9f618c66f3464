"""A fresh PostgreSQL database for one benchmark run, created and dropped by the bench.

The benchmarks that take ``--database-url`` never write into the database that URL
names: they connect to it only to ``CREATE DATABASE`` a scratch one beside it (the
runtime migrates it on open) and ``DROP`` it afterwards, so a run leaves nothing behind
and never measures a database that earlier runs filled.
"""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def scratch_database(admin_url: str, prefix: str = "rv_bench_") -> Iterator[str]:
    """The URL of a new, empty database on ``admin_url``'s server; dropped on exit."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = prefix + secrets.token_hex(6)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def database_label(url: str | None) -> str:
    """``SQLite`` or ``PostgreSQL <version>`` without credentials, for the printout."""
    if url is None:
        return "SQLite (embedded)"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()
    parts = make_url(url)
    return f"PostgreSQL {str(version).split()[0]} at {parts.host}:{parts.port or 5432}"


def machine() -> str:
    """CPU count and model, and the OS: the figures only compare within one machine."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


__all__ = ["database_label", "machine", "scratch_database"]
