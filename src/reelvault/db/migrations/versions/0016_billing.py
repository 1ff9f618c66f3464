"""billing: an account's plan and subscription status, usage per month, Stripe event ids

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "billing_accounts",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=True),
        sa.Column("plan", sa.String(length=40), nullable=False),
        sa.Column("subscription_status", sa.String(length=24), nullable=True),
        sa.Column("status_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_billing_accounts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_billing_accounts")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_billing_accounts_customer_id")),
    )
    op.create_table(
        "billing_usage",
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("video_seconds", sa.Float(), nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "month", name=op.f("pk_billing_usage")),
    )
    with op.batch_alter_table("billing_usage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_usage_expires_at"), ["expires_at"])
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("received_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    )
    with op.batch_alter_table("stripe_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stripe_events_expires_at"), ["expires_at"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("stripe_events")
    op.drop_table("billing_usage")
    op.drop_table("billing_accounts")
