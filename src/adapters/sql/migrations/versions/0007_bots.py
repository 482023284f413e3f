"""Bot accounts: users.bot, and the bots table (owner, the hash of the current token).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("bot", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "bots",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_bots"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_bots_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_bots_owner_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_bots_owner_id", "bots", ["owner_id"])


def downgrade() -> None:
    op.drop_index("ix_bots_owner_id", table_name="bots")
    op.drop_table("bots")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("bot")
