"""data-subject rights: requests, owner privacy flags, owner-to-contact links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import reelvault.db.base

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "data_subject_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("address_object", sa.String(length=32), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("created_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("due_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("verified_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("resolved_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_subject_requests")),
    )
    with op.batch_alter_table("data_subject_requests", schema=None) as batch_op:
        for column in ("address_hash", "due_at", "expires_at", "owner_id", "status", "token_hash"):
            batch_op.create_index(
                batch_op.f(f"ix_data_subject_requests_{column}"), [column], unique=False
            )

    op.create_table(
        "owner_contacts",
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("owner_id", "subscription_id", name=op.f("pk_owner_contacts")),
    )
    with op.batch_alter_table("owner_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_owner_contacts_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "owner_privacy",
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("restricted_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("age_declared", sa.Boolean(), nullable=False),
        sa.Column("under_age", sa.Boolean(), nullable=False),
        sa.Column("declared_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.Column("updated_at", reelvault.db.base.UTCDateTime(), nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("expires_at", reelvault.db.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("owner_id", name=op.f("pk_owner_privacy")),
    )
    with op.batch_alter_table("owner_privacy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_owner_privacy_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_owner_privacy_restricted"), ["restricted"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("owner_privacy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_privacy_restricted"))
        batch_op.drop_index(batch_op.f("ix_owner_privacy_expires_at"))
    op.drop_table("owner_privacy")
    with op.batch_alter_table("owner_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_owner_contacts_expires_at"))
    op.drop_table("owner_contacts")
    with op.batch_alter_table("data_subject_requests", schema=None) as batch_op:
        for column in ("token_hash", "status", "owner_id", "expires_at", "due_at", "address_hash"):
            batch_op.drop_index(batch_op.f(f"ix_data_subject_requests_{column}"))
    op.drop_table("data_subject_requests")
