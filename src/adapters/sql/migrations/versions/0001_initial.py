"""Initial schema: users, auth sessions, servers, members, channels, messages, invites.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    # advanced-alchemy's DateTimeUTC renders as DateTime(timezone=True).
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint(
            "status IN ('online', 'away', 'dnd', 'invisible')", name="ck_users_status"
        ),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("revoked_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_auth_sessions_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "servers",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_servers"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_servers_owner_id_users"),
    )
    op.create_table(
        "members",
        sa.Column("server_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("joined_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("server_id", "user_id", name="pk_members"),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_members_server_id_servers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_members_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "role IN ('member', 'moderator', 'admin', 'owner')", name="ck_members_role"
        ),
    )
    op.create_index("ix_members_user_id", "members", ["user_id"])
    op.create_table(
        "channels",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("topic", sa.String(1024), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_channels"),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_channels_server_id_servers", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_channels_server_id_position", "channels", ["server_id", "position"])
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("edited_at", _timestamp(), nullable=True),
        sa.Column("nonce", sa.String(25), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_messages_channel_id_channels",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name="fk_messages_author_id_users"),
        sa.UniqueConstraint("author_id", "nonce", name="uq_messages_author_id_nonce"),
    )
    op.create_index("ix_messages_channel_id_id", "messages", ["channel_id", "id"])
    op.create_table(
        "invites",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("server_id", sa.BigInteger(), nullable=False),
        sa.Column("inviter_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_invites"),
        sa.ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_invites_server_id_servers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["inviter_id"], ["users.id"], name="fk_invites_inviter_id_users"),
        sa.CheckConstraint("max_uses >= 0 AND uses >= 0", name="ck_invites_uses"),
    )
    op.create_index("ix_invites_server_id", "invites", ["server_id"])


def downgrade() -> None:
    op.drop_index("ix_invites_server_id", table_name="invites")
    op.drop_table("invites")
    op.drop_index("ix_messages_channel_id_id", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_channels_server_id_position", table_name="channels")
    op.drop_table("channels")
    op.drop_index("ix_members_user_id", table_name="members")
    op.drop_table("members")
    op.drop_table("servers")
    op.drop_index("ix_auth_sessions_user_id", table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_table("users")
