"""accounts: e-mail (encrypted, found by a keyed hash) and argon2id password

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("email_lookup", sa.String(length=64), nullable=False),
        sa.Column("email_object", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("age_confirmed_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("email_verified_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("disabled_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["owners.id"],
            name=op.f("fk_accounts_owner_id_owners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email_lookup", name=op.f("uq_accounts_email_lookup")),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_owner_id"), ["owner_id"], unique=True)
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_browser_sessions_account_id"), ["account_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_browser_sessions_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_browser_sessions_account_id_accounts"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_browser_sessions_account_id"))
        batch_op.drop_column("account_id")
    op.drop_table("accounts")
