"""notify-me signups per owner (address hash no longer unique) and the outgoing-mail budget

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("notify_subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint("uq_notify_subscriptions_address_hash", type_="unique")
        batch_op.create_index(
            batch_op.f("ix_notify_subscriptions_address_hash"), ["address_hash"], unique=False
        )

    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outgoing_mail_recipient_sent", ["recipient_hash", "sent_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outgoing_mail_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outgoing_mail_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema (fails while one address has several signups)."""
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_expires_at"))
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_sent_at"))
        batch_op.drop_index("ix_outgoing_mail_recipient_sent")
    op.drop_table("outgoing_mail")

    with op.batch_alter_table("notify_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_subscriptions_address_hash"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_notify_subscriptions_address_hash"), ["address_hash"]
        )
