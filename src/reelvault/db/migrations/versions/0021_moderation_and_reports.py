"""abuse_reports: reports of generated videos, and how long they hold them

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 21:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "abuse_reports",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("created_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("hold_until", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("abuse_reports", schema=None) as batch_op:
        batch_op.create_index("ix_abuse_reports_job_status", ["job_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_abuse_reports_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_abuse_reports_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("abuse_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_abuse_reports_expires_at"))
        batch_op.drop_index(batch_op.f("ix_abuse_reports_status"))
        batch_op.drop_index("ix_abuse_reports_job_status")
    op.drop_table("abuse_reports")
