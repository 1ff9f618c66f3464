"""vault_keys: wrapped data keys in the database, for blobs in a shared S3 bucket

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:30:00

Only a vault whose blobs live in S3 writes here (``blob_store = s3://...``); the local
default keeps its key files. A row holds the data key wrapped under the master key,
never the master key itself.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vault_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_keys")),
    )


def downgrade() -> None:
    op.drop_table("vault_keys")
