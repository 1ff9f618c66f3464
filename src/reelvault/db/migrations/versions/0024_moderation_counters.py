"""moderation_counters: moderation decisions per day, stage, verdict and category

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 00:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "moderation_counters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_counters")),
        sa.UniqueConstraint(
            "day", "stage", "verdict", "category", name="uq_moderation_counters_cell"
        ),
    )
    with op.batch_alter_table("moderation_counters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_counters_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("moderation_counters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_counters_expires_at"))
    op.drop_table("moderation_counters")
