"""Finding 1 (issue 15): erasing the last key's owner must not turn keyless mode on.

Keyless single-user mode (anonymous callers are the CLI's local owner) holds only while
no API key has ever existed on the deployment and the server binds to loopback. Losing
every key (erased with its owner, or revoked) leaves the server locked: 401, and a
warning in the log.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from reelvault.accounts.keys import create_api_key, revoke_api_key
from reelvault.db.session import alembic_config, make_db_engine
from reelvault.jobs.queries import list_jobs
from reelvault.jobs.request import JobRequest
from reelvault.jobs.submission import submit_job
from reelvault.types import LOCAL_OWNER
from tests.cli_helpers import run_cli

from .auth_support import FAKE_JOB, auth_app, bearer

LOCKED_READS = ["/api/v1/jobs", "/v1/videos", "/api/v1/privacy/export", "/api/v1/privacy/access"]


def _keyless(runtime: object) -> bool:
    # Imported here: the reproductions above must run (and fail) on code without it.
    from reelvault.accounts.keys import keyless_mode

    return keyless_mode(runtime)  # type: ignore[arg-type]


def _cli_job(runtime: object) -> str:
    """A job of the CLI's local owner, made the way `reelvault generate` makes one."""
    request = JobRequest(
        prompt="the CLI user's private prompt",
        engine="fake",
        width=64,
        height=48,
        fps=8,
        seconds=1,
        owner_id=LOCAL_OWNER,
    )
    return str(submit_job(runtime, request).id)  # type: ignore[arg-type]


def test_erasing_the_last_keys_owner_locks_the_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with auth_app(tmp_path) as (client, runtime):
        job_id = _cli_job(runtime)
        key = create_api_key(runtime, name="only key")
        with caplog.at_level(logging.WARNING):
            erased = client.post("/api/v1/privacy/erase", headers=bearer(key.secret))
        assert erased.status_code == 200, erased.text
        assert erased.json()["erased"]["api_keys"] == 1
        # No key is left, yet the server is not open: anonymous callers get 401 ...
        for path in LOCKED_READS:
            response = client.get(path)
            assert response.status_code == 401, (path, response.text)
        assert client.post("/api/v1/jobs", json=FAKE_JOB).status_code == 401
        assert client.get(f"/api/v1/jobs/{job_id}").status_code == 401
        assert client.get(f"/api/v1/jobs/{job_id}/content").status_code == 401
        # ... and an erased key is just an invalid one.
        assert client.get("/api/v1/jobs", headers=bearer(key.secret)).status_code == 401
        # The operator hears about it, without any personal data in the line.
        locked = [r for r in caplog.records if "locked" in r.getMessage()]
        assert locked and locked[0].levelno == logging.WARNING
        assert "private prompt" not in caplog.text and key.owner_id not in caplog.text
        # The CLI (the local owner, on this machine) keeps working and keeps its job.
        assert [job.id for job in list_jobs(runtime, owner_id=LOCAL_OWNER)] == [job_id]
        # A new key unlocks the API for its holder only.
        fresh = create_api_key(runtime, name="new key")
        assert client.get("/api/v1/jobs", headers=bearer(fresh.secret)).json()["data"] == []
        assert client.get("/api/v1/jobs").status_code == 401


def test_revoking_the_last_key_locks_the_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with auth_app(tmp_path) as (client, runtime):
        _cli_job(runtime)
        key = create_api_key(runtime, name="only key")
        with caplog.at_level(logging.WARNING):
            revoke_api_key(runtime, key.id)
        assert "locked" in caplog.text
        for path in LOCKED_READS:
            assert client.get(path).status_code == 401, path


def test_the_lock_holds_for_a_server_that_learnt_of_the_key_from_memory(tmp_path: Path) -> None:
    """The fast path (answered from memory) may not reopen what the database has closed."""
    with auth_app(tmp_path) as (client, runtime):
        assert client.get("/api/v1/jobs").status_code == 200  # keyless: the local owner
        key = create_api_key(runtime, name="k")
        client.post("/api/v1/privacy/erase", headers=bearer(key.secret))
        for _ in range(3):
            assert client.get("/api/v1/jobs").status_code == 401
        assert _keyless(runtime) is False


def test_keyless_mode_needs_a_loopback_bind(tmp_path: Path) -> None:
    """A server bound beyond loopback is never keyless, even before any key exists."""
    with auth_app(tmp_path, host="0.0.0.0") as (client, runtime):
        assert _keyless(runtime) is False
        assert client.get("/api/v1/jobs").status_code == 401
        assert client.post("/api/v1/jobs", json=FAKE_JOB).status_code == 401


def test_keyless_mode_before_any_key_serves_the_local_owner(tmp_path: Path) -> None:
    with auth_app(tmp_path) as (client, runtime):
        job_id = _cli_job(runtime)
        assert [job["id"] for job in client.get("/api/v1/jobs").json()["data"]] == [job_id]


def test_the_migration_records_keys_made_before_it(tmp_path: Path) -> None:
    """A deployment upgraded with keys already in place (even revoked) is not keyless."""
    engine = make_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO owners (id, kind, data_class, created_at, last_seen_at) "
                "VALUES ('own_1', 'api_key', 'job_metadata', :now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO api_keys (id, owner_id, name, prefix, secret_hash, created_at, "
                "revoked_at) VALUES ('key_1', 'own_1', 'old', 'rv-abc', 'x', :now, :now)"
            ),
            {"now": now},
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM deployment_flags")).scalars().all()
    engine.dispose()
    assert names == ["api_key_has_existed"]


def test_serve_refuses_a_public_bind_when_every_key_is_revoked(tmp_path: Path) -> None:
    created = run_cli("keys", "create", "--name", "gone", data_dir=tmp_path)
    assert created.returncode == 0, created.stderr
    key_id = run_cli("keys", "list", data_dir=tmp_path).stdout.split()[0]
    assert run_cli("keys", "revoke", key_id, data_dir=tmp_path).returncode == 0
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "8998", data_dir=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0 without API keys" in result.stderr
