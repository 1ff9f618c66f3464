"""jobs.source_job_id, derivation, timeline_frames: a remix, extension or edit names its source

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 21:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_job_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("derivation", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("timeline_frames", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_jobs_source_job_id"), ["source_job_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_source_job_id"))
        batch_op.drop_column("timeline_frames")
        batch_op.drop_column("derivation")
        batch_op.drop_column("source_job_id")
