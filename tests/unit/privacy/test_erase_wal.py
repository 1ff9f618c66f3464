"""After an erasure nothing erased is left in the database's files, its WAL included."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from reelvault.app.compose import open_runtime
from reelvault.db.models import Job
from reelvault.privacy.erase import erase_owner
from reelvault.testing import registry_with_fake, settings_for
from tests.unit.jobs.helpers import fake_request, run_to_end

MARKER = "erased-hook-7f3c91d2"


def _database_bytes(data_dir: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(data_dir.glob("reelvault.db*")))


@pytest.mark.sqlite_only  # PostgreSQL's WAL and dead tuples are its server's files
def test_an_erased_owners_rows_leave_no_trace_in_the_wal(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, policy="library", webhook_allow_private=True)
    runtime = open_runtime(settings, registry=registry_with_fake())
    try:
        run_to_end(runtime, fake_request(owner_id="own_leaving"))
        with runtime.session() as session:
            # Some text of theirs in a row (a webhook URL is kept in the vault: not here).
            session.execute(update(Job).values(error_message=MARKER))
        assert MARKER.encode() in _database_bytes(settings.data_dir)  # the test can see it
        erase_owner(runtime, "own_leaving")
        assert MARKER.encode() not in _database_bytes(settings.data_dir)
    finally:
        runtime.close()
