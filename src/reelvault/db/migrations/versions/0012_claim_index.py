"""an index for the queue's claim: queued jobs, oldest first

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:15:00

The claim asks for the oldest queued job (``status = 'queued' ORDER BY created_at, id``).
With only single-column indexes the database walks ``created_at`` from the first job
ever and drops every finished one, so a claim's cost grew with the jobs table's history
(8 ms with 8,000 finished jobs on PostgreSQL, ``bench/scale.py``). This index answers it
from the queued jobs alone.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_jobs_claim", "jobs", ["status", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
