"""characters: a person's appearance saved under a name (both encrypted in the vault)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 00:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "characters",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("name_object", sa.String(length=32), nullable=False),
        sa.Column("media_object", sa.String(length=32), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("media_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_characters")),
    )
    with op.batch_alter_table("characters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_characters_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_characters_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("characters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_characters_expires_at"))
        batch_op.drop_index(batch_op.f("ix_characters_owner_id"))
    op.drop_table("characters")
