"""Attachments, avatars and server icons: the attachments table, scheduled file deletions,
users.avatar, servers.icon, messages.attachment_count.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Columns are added and dropped in place (ALTER TABLE ... ADD / DROP COLUMN, SQLite >= 3.35),
# never by copying a table: a copy of `messages` would lose the search index's triggers.
_COLUMNS = (("users", "avatar"), ("servers", "icon"), ("messages", "attachment_count"))


def upgrade() -> None:
    op.add_column("users", sa.Column("avatar", sa.String(16), nullable=True))
    op.add_column("servers", sa.Column("icon", sa.String(16), nullable=True))
    op.add_column(
        "messages", sa.Column("attachment_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_attachments_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("size > 0", name="ck_attachments_size"),
    )
    op.create_index("ix_attachments_message_id", "attachments", ["message_id"])
    op.create_index("ix_attachments_channel_id", "attachments", ["channel_id"])
    op.create_index("ix_attachments_server_id", "attachments", ["server_id"])
    op.create_table(
        "file_deletions",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "ref", "version", name="pk_file_deletions"),
        sa.CheckConstraint(
            "kind IN ('attachment', 'avatar', 'icon')", name="ck_file_deletions_kind"
        ),
    )
    op.create_index("ix_file_deletions_due_at", "file_deletions", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_file_deletions_due_at", table_name="file_deletions")
    op.drop_table("file_deletions")
    op.drop_index("ix_attachments_server_id", table_name="attachments")
    op.drop_index("ix_attachments_channel_id", table_name="attachments")
    op.drop_index("ix_attachments_message_id", table_name="attachments")
    op.drop_table("attachments")
    for table, column in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
