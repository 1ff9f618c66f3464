"""A fresh PostgreSQL database per test, on the server named by REELVAULT_TEST_POSTGRES_URL.

Default: the trust-authenticated server on 127.0.0.1:5432 (database ``test``), which
every machine of this project runs. Without a reachable server the tests skip with the
reason; under CI (``CI`` set) they fail instead, so a missing service is never silent.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "REELVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(f"no PostgreSQL ({reason}); set REELVAULT_TEST_POSTGRES_URL")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    try:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except ModuleNotFoundError as exc:
        _unavailable(f"the {exc.name} driver is not installed")
    except Exception as exc:  # the server is down, refuses, or the URL is wrong
        _unavailable(type(exc).__name__)
    name = "rv_test_" + secrets.token_hex(6)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
