"""Direct messages and group DMs: channels without a server (type, owner_id, dm_key), their
recipients, and blocks.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite cannot drop a NOT NULL in place: `channels` is copied (it has no triggers, and
    # migrations run with foreign_keys=OFF, so the messages pointing at it stay). PostgreSQL
    # alters it in place.
    with op.batch_alter_table("channels") as batch:
        batch.alter_column("server_id", existing_type=sa.BigInteger(), nullable=True)
        batch.add_column(sa.Column("type", sa.String(16), server_default="text", nullable=False))
        batch.add_column(sa.Column("owner_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("dm_key", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_channels_dm_key", ["dm_key"])
        batch.create_foreign_key("fk_channels_owner_id_users", "users", ["owner_id"], ["id"])
    op.create_table(
        "channel_recipients",
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", "user_id", name="pk_channel_recipients"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_channel_recipients_channel_id_channels",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_channel_recipients_user_id_users"
        ),
    )
    op.create_index("ix_channel_recipients_user_id", "channel_recipients", ["user_id"])
    op.create_table(
        "blocks",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "blocked_id", name="pk_blocks"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_blocks_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["blocked_id"], ["users.id"], name="fk_blocks_blocked_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_blocks_blocked_id", "blocks", ["blocked_id"])


def downgrade() -> None:
    op.drop_table("blocks")
    op.drop_table("channel_recipients")
    # Private channels (and their messages) cannot exist without a server: they go.
    op.execute(
        "DELETE FROM messages WHERE channel_id IN (SELECT id FROM channels WHERE server_id IS NULL)"
    )
    op.execute("DELETE FROM channels WHERE server_id IS NULL")
    with op.batch_alter_table("channels") as batch:
        batch.drop_constraint("fk_channels_owner_id_users", type_="foreignkey")
        batch.drop_constraint("uq_channels_dm_key", type_="unique")
        batch.drop_column("dm_key")
        batch.drop_column("owner_id")
        batch.drop_column("type")
        batch.alter_column("server_id", existing_type=sa.BigInteger(), nullable=False)
