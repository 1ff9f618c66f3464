"""admin: the local operator account (no address, no password) and per-account quotas

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 05:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="person")
        )
        batch_op.add_column(sa.Column("quota", sa.JSON(), nullable=True))
        # The operator account signs in nowhere: it has no address and no password.
        batch_op.alter_column("email_lookup", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("email_object", existing_type=sa.String(length=32), nullable=True)
        batch_op.alter_column("password_hash", existing_type=sa.String(length=200), nullable=True)


def downgrade() -> None:
    """Downgrade schema (the operator account goes: it cannot exist without an address)."""
    op.execute("DELETE FROM accounts WHERE kind = 'operator'")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("email_object", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("email_lookup", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("quota")
        batch_op.drop_column("kind")
