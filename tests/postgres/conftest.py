"""A fresh PostgreSQL database per test, on the server named by REELVAULT_TEST_POSTGRES_URL.

Default: the trust-authenticated server on 127.0.0.1:5432 (database ``test``), which
every machine of this project runs. Without a reachable server the tests skip with the
reason; under CI (``CI`` set) they fail instead, so a missing service is never silent.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.services import POSTGRES_URL as ADMIN_URL
from tests.services import unavailable


def _unavailable(reason: str) -> None:
    unavailable("PostgreSQL", f"{reason}; set REELVAULT_TEST_POSTGRES_URL")


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
