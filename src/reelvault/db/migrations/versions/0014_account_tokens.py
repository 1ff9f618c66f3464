"""account tokens: single-use e-mail links (verify the address, reset the password)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:25:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "account_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_tokens_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_account_tokens")),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_tokens_account_id"), ["account_id"])
        batch_op.create_index(batch_op.f("ix_account_tokens_expires_at"), ["expires_at"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("account_tokens")
