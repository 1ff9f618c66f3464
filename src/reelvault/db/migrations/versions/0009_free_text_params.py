"""free-text engine parameters leave jobs.params

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-05 09:00:00

Free-text engine parameters (a negative prompt, a remote engine's free-form ``input``) are
prompt data: new jobs keep them encrypted with the prompt, never in ``jobs.params``.
Rows written before stay as they are only while their job may still run (the runner
needs the text; the row forgets it when the job ends). Every other row loses them now:
the row outlives the prompt, the user's words must not. Nothing is moved into the
vault: the prompt of an ended job is already gone or kept, so the text is dropped.

The engines and fields are the built-ins' at this revision; a third-party engine's rows
are cleaned as their jobs end (``finish_job``).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FREE_TEXT: dict[str, tuple[str, ...]] = {
    "diffusers": ("negative_prompt",),
    "remote": ("negative_prompt", "input"),
}
STILL_RUNNING = ("queued", "in_progress")

jobs = sa.table(
    "jobs",
    sa.column("id", sa.String),
    sa.column("engine", sa.String),
    sa.column("status", sa.String),
    sa.column("params", sa.JSON),
)


def upgrade() -> None:
    """Drop the built-in engines' free-text parameters from the rows of ended jobs."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(jobs.c.id, jobs.c.engine, jobs.c.params).where(
            jobs.c.engine.in_(list(FREE_TEXT)), jobs.c.status.not_in(STILL_RUNNING)
        )
    ).all()
    for job_id, engine, params in rows:
        if not isinstance(params, dict):
            continue
        cleaned: dict[str, Any] = {
            key: value for key, value in params.items() if key not in FREE_TEXT[engine]
        }
        if cleaned != params:
            connection.execute(sa.update(jobs).where(jobs.c.id == job_id).values(params=cleaned))


def downgrade() -> None:
    """Nothing to restore: the dropped text is gone (that was the point)."""
