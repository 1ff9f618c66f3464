"""deployment flags; browser sessions opened with an API key

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00.000000

"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_HAS_EXISTED = "api_key_has_existed"


def upgrade() -> None:
    """Upgrade schema."""
    flags = op.create_table(
        "deployment_flags",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("set_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deployment_flags")),
    )
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_browser_sessions_key_id"), ["key_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_browser_sessions_key_id_api_keys"),
            "api_keys",
            ["key_id"],
            ["id"],
            ondelete="CASCADE",
        )
    # A deployment that already has keys (revoked ones included) has left keyless mode:
    # record it, so that losing its last key locks it instead of opening it.
    connection = op.get_bind()
    if connection.execute(sa.text("SELECT 1 FROM api_keys LIMIT 1")).first() is not None:
        op.bulk_insert(flags, [{"name": KEY_HAS_EXISTED, "set_at": datetime.now(UTC)}])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_browser_sessions_key_id_api_keys"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_browser_sessions_key_id"))
        batch_op.drop_column("key_id")
    op.drop_table("deployment_flags")
