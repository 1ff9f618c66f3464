"""Shared fixtures come from reelvault's own pytest plugin (settings on tmp_path, runtime).

The storage tests (db, jobs, privacy, api) run once per database backend: see
``tests/storage_backends.py``.
"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from reelvault.accounts import passwords
from tests.s3_server import s3_server
from tests.storage_backends import database_backend, parametrize_storage_tests, postgres_databases
from tests.stripe_fake import fake_stripe

pytest_plugins = ["reelvault.testing"]


@pytest.fixture(autouse=True)
def _every_test_names_its_database(database_backend: str) -> str:
    return database_backend


# argon2id at its production cost (64 MiB, 3 passes) takes 0.1-0.4 s per sign-up or
# sign-in on a shared 2-core machine, and the account tests do hundreds: they test who may
# do what, not the cost. The production parameters are checked by the rehash test
# (tests/unit/api/test_accounts.py), which undoes this.
_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "hasher", lambda: _CHEAP_HASHER)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_storage_tests(metafunc)


__all__ = ["database_backend", "fake_stripe", "postgres_databases", "s3_server"]
