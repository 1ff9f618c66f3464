"""Migration 0009: rows of ended jobs written before the fix lose their free text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Connection, text

from reelvault.db.session import alembic_config, make_db_engine

MARKER = "Cerulean Wombat Trombone"


def _insert(
    connection: Connection, job_id: str, engine: str, status: str, params: dict[str, Any]
) -> None:
    connection.execute(
        text(
            "INSERT INTO jobs (id, owner_id, data_class, policy_version, task, engine, width,"
            " height, fps, seconds, seed, params, status, progress, stage, cancel_requested,"
            " attempts, max_attempts, created_at, updated_at, output_format) VALUES (:id, 'o',"
            " 'job_metadata', 'v', 'text_to_video', :engine, 64, 64, 8, 1.0, 1, :params,"
            " :status, 0, 's', 0, 0, 3, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'mp4')"
        ),
        {"id": job_id, "engine": engine, "status": status, "params": json.dumps(params)},
    )


def test_ended_jobs_lose_their_free_text_and_running_ones_keep_it(tmp_path: Path) -> None:
    engine = make_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        negative = {"model": "tiny", "negative_prompt": MARKER, "steps": 2}
        remote = {"model": "comfyui", "negative_prompt": MARKER, "input": {"style": MARKER}}
        _insert(connection, "done_diffusers", "diffusers", "completed", negative)
        _insert(connection, "failed_remote", "remote", "failed", remote)
        _insert(connection, "queued_diffusers", "diffusers", "queued", negative)
        _insert(connection, "done_procedural", "procedural", "completed", {"camera": "auto"})
        command.upgrade(config, "head")
        params = {
            job_id: json.loads(raw)
            for job_id, raw in connection.execute(text("SELECT id, params FROM jobs"))
        }
    engine.dispose()
    assert params["done_diffusers"] == {"model": "tiny", "steps": 2}
    assert params["failed_remote"] == {"model": "comfyui"}
    assert params["queued_diffusers"] == negative  # the runner still needs it
    assert params["done_procedural"] == {"camera": "auto"}
