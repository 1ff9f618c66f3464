"""API keys get scopes and a last-used day

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 03:00:00

Keys made before scopes existed could do everything a user can: they get every scope but
``admin`` (videos:read, videos:write, privacy), so nothing breaks for their holders.
``last_used_on`` is a DATE (a day, never a time of day) and starts empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported: a migration must not change when the code does.
EXISTING_KEYS_SCOPES = "privacy videos:read videos:write"

api_keys = sa.table("api_keys", sa.column("scopes", sa.String))


def upgrade() -> None:
    """Add the columns; every existing key gets the non-admin scopes."""
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_used_on", sa.Date(), nullable=True))
    op.execute(sa.update(api_keys).values(scopes=EXISTING_KEYS_SCOPES))
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column("scopes", existing_type=sa.String(length=200), nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_on")
        batch_op.drop_column("scopes")
