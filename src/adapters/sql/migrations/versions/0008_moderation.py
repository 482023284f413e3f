"""Moderation: bans, the audit log, members' timeouts, an index of messages by author.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place (ALTER TABLE ... ADD COLUMN), never by copying the table.
    op.add_column(
        "members",
        sa.Column("communication_disabled_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_messages_author_id_id", "messages", ["author_id", "id"])
    op.create_table(
        "bans",
        sa.Column("server_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("reason", sa.String(512), nullable=True),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("server_id", "user_id", name="pk_bans"),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_bans_server_id_servers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_bans_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name="fk_audit_log_server_id_servers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_audit_log_server_id_id", "audit_log", ["server_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_server_id_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("bans")
    op.drop_index("ix_messages_author_id_id", table_name="messages")
    op.execute("ALTER TABLE members DROP COLUMN communication_disabled_until")
