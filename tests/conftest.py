"""Shared fixtures come from reelvault's own pytest plugin (settings on tmp_path, runtime).

The storage tests (db, jobs, privacy, api) run once per database backend: see
``tests/storage_backends.py``.
"""

from __future__ import annotations

import pytest

from tests.s3_server import s3_server
from tests.storage_backends import database_backend, parametrize_storage_tests, postgres_databases
from tests.stripe_fake import fake_stripe

pytest_plugins = ["reelvault.testing"]


@pytest.fixture(autouse=True)
def _every_test_names_its_database(database_backend: str) -> str:
    return database_backend


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_storage_tests(metafunc)


__all__ = ["database_backend", "fake_stripe", "postgres_databases", "s3_server"]
