"""Read states, mentions and notification settings (#15): messages.mention_ids and
messages.mention_everyone (with a partial index of each channel's @everyone messages, and an
index of each author's messages per channel: posting marks read), the
message_mentions, read_states, server_notification_settings and
channel_notification_settings tables.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns are added and dropped in place (never by copying `messages`: a copy would lose the
# search index's triggers).
_LEVELS = "level IN ('all', 'mentions', 'nothing')"


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("messages", sa.Column("mention_ids", sa.Text(), nullable=True))
    op.add_column(
        "messages",
        sa.Column("mention_everyone", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "ix_messages_channel_id_author_id_id", "messages", ["channel_id", "author_id", "id"]
    )
    op.create_index(
        "ix_messages_channel_id_id_everyone",
        "messages",
        ["channel_id", "id"],
        sqlite_where=sa.text("mention_everyone = 1"),
        postgresql_where=sa.text("mention_everyone"),
    )
    op.create_table(
        "message_mentions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "channel_id", "message_id", name="pk_message_mentions"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_mentions_message_id_messages",
            ondelete="CASCADE",
        ),
        _user_fk("message_mentions"),
    )
    op.create_index("ix_message_mentions_message_id", "message_mentions", ["message_id"])
    op.create_table(
        "read_states",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_read_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "channel_id", name="pk_read_states"),
        _user_fk("read_states"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_read_states_channel_id_channels",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_read_states_channel_id", "read_states", ["channel_id"])
    op.create_table(
        "server_notification_settings",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("server_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "server_id", name="pk_server_notification_settings"),
        _user_fk("server_notification_settings"),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name="fk_server_notification_settings_server_id_servers",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_LEVELS, name="ck_server_notification_settings_level"),
    )
    op.create_index(
        "ix_server_notification_settings_server_id", "server_notification_settings", ["server_id"]
    )
    op.create_table(
        "channel_notification_settings",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=True),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "channel_id", name="pk_channel_notification_settings"),
        _user_fk("channel_notification_settings"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_channel_notification_settings_channel_id_channels",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(_LEVELS, name="ck_channel_notification_settings_level"),
    )
    op.create_index(
        "ix_channel_notification_settings_channel_id",
        "channel_notification_settings",
        ["channel_id"],
    )


def downgrade() -> None:
    for table in (
        "channel_notification_settings",
        "server_notification_settings",
        "read_states",
        "message_mentions",
    ):
        op.drop_table(table)
    op.drop_index("ix_messages_channel_id_id_everyone", table_name="messages")
    op.drop_index("ix_messages_channel_id_author_id_id", table_name="messages")
    for column in ("mention_everyone", "mention_ids"):
        op.execute(f"ALTER TABLE messages DROP COLUMN {column}")
