"""Replies, reactions and pins: messages.reference_id, messages.pinned_at (with a partial index
of each channel's pins) and the reactions table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns are added and dropped in place (never by copying `messages`: a copy would lose the
# search index's triggers).
_PINNED = sa.text("pinned_at IS NOT NULL")
# advanced-alchemy's DateTimeUTC renders as DateTime(timezone=True).


def upgrade() -> None:
    op.add_column("messages", sa.Column("reference_id", sa.BigInteger(), nullable=True))
    op.add_column("messages", sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_messages_channel_id_pinned_at",
        "messages",
        ["channel_id", "pinned_at"],
        sqlite_where=_PINNED,
        postgresql_where=_PINNED,
    )
    op.create_table(
        "reactions",
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("emoji", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "emoji", "user_id", name="pk_reactions"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_reactions_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_reactions_user_id_users", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("reactions")
    op.drop_index("ix_messages_channel_id_pinned_at", table_name="messages")
    for column in ("pinned_at", "reference_id"):
        op.execute(f"ALTER TABLE messages DROP COLUMN {column}")
