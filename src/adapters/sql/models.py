"""ORM rows: the database schema. The core never sees these; repositories map them to the
core's dataclasses.

Every id is a BIGINT snowflake assigned by the application (never autoincrement). Every
constraint and index has an explicit name: `DuplicateKey` mapping on PostgreSQL reads the
constraint name, and migrations refer to the names. Timestamps are `DateTimeUTC`
(advanced-alchemy): stored as UTC, returned timezone-aware on SQLite and PostgreSQL alike.
Deleting a server or a channel cascades in the database (ON DELETE CASCADE; SQLite enforces it
because every connection sets `PRAGMA foreign_keys=ON`).
"""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Used for anything not named explicitly below (there should be nothing).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("member", "moderator", "admin", "owner")
STATUSES = ("online", "away", "dnd", "invisible")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_users"),
        UniqueConstraint("username", name="uq_users_username"),
        UniqueConstraint("email", name="uq_users_email"),
        CheckConstraint(_one_of("status", STATUSES), name="ck_users_status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    username: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    avatar: Mapped[str | None] = mapped_column(String(16), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)
    bot: Mapped[bool] = mapped_column(Boolean, server_default=false())


class BotRow(Base):
    """A bot account's owner and the SHA-256 of its current token (never the token)."""

    __tablename__ = "bots"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", name="pk_bots"),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_bots_user_id_users", ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_bots_owner_id_users", ondelete="CASCADE"
        ),
        Index("ix_bots_owner_id", "owner_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    token_id: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)


class AuthSessionRow(Base):
    __tablename__ = "auth_sessions"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_auth_sessions_user_id_users", ondelete="CASCADE"
        ),
        Index("ix_auth_sessions_user_id", "user_id"),
    )

    id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)


class ServerRow(Base):
    __tablename__ = "servers"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_servers"),
        ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_servers_owner_id_users"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(1000))
    owner_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    icon: Mapped[str | None] = mapped_column(String(16), nullable=True)


class MemberRow(Base):
    __tablename__ = "members"
    __table_args__ = (
        PrimaryKeyConstraint("server_id", "user_id", name="pk_members"),
        ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_members_server_id_servers", ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_members_user_id_users", ondelete="CASCADE"
        ),
        CheckConstraint(_one_of("role", ROLES), name="ck_members_role"),
        Index("ix_members_user_id", "user_id"),
    )

    server_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    communication_disabled_until: Mapped[datetime | None] = mapped_column(
        DateTimeUTC, nullable=True
    )
    """A timeout's end (None: none)."""


class ChannelRow(Base):
    __tablename__ = "channels"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_channels"),
        ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_channels_server_id_servers", ondelete="CASCADE"
        ),
        Index("ix_channels_server_id_position", "server_id", "position"),
        # One DM per pair of people, whoever opens it and however many times at once.
        UniqueConstraint("dm_key", name="uq_channels_dm_key"),
        ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_channels_owner_id_users"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    server_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """NULL for a private channel (DM, group DM)."""
    name: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(1024))
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    type: Mapped[str] = mapped_column(String(16), server_default="text")
    owner_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """A group DM's creator."""
    dm_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """A DM's pair of people, "low:high" (NULL for other channels)."""


class ChannelRecipientRow(Base):
    """The people of a private channel."""

    __tablename__ = "channel_recipients"
    __table_args__ = (
        PrimaryKeyConstraint("channel_id", "user_id", name="pk_channel_recipients"),
        ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_channel_recipients_channel_id_channels",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_channel_recipients_user_id_users"),
        Index("ix_channel_recipients_user_id", "user_id"),
    )

    channel_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    added_at: Mapped[datetime] = mapped_column(DateTimeUTC)


class BlockRow(Base):
    """`user_id` blocked `blocked_id`."""

    __tablename__ = "blocks"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "blocked_id", name="pk_blocks"),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_blocks_user_id_users", ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["blocked_id"], ["users.id"], name="fk_blocks_blocked_id_users", ondelete="CASCADE"
        ),
        Index("ix_blocks_blocked_id", "blocked_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    blocked_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_messages"),
        ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_messages_channel_id_channels",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(["author_id"], ["users.id"], name="fk_messages_author_id_users"),
        UniqueConstraint("author_id", "nonce", name="uq_messages_author_id_nonce"),
        # Keyset pagination within a channel: WHERE channel_id = ? AND id < ? ORDER BY id DESC.
        Index("ix_messages_channel_id_id", "channel_id", "id"),
        # A user's own messages (export; a ban's clean-up of the last days).
        Index("ix_messages_author_id_id", "author_id", "id"),
        # A channel's pins (at most 50), latest first; only pinned rows are in it.
        Index(
            "ix_messages_channel_id_pinned_at",
            "channel_id",
            "pinned_at",
            sqlite_where=text("pinned_at IS NOT NULL"),
            postgresql_where=text("pinned_at IS NOT NULL"),
        ),
        # A user's newest message in a channel: posting marks read (read states).
        Index("ix_messages_channel_id_author_id_id", "channel_id", "author_id", "id"),
        # A channel's @everyone messages after a read point (mention counts); only those.
        Index(
            "ix_messages_channel_id_id_everyone",
            "channel_id",
            "id",
            sqlite_where=text("mention_everyone = 1"),
            postgresql_where=text("mention_everyone"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    server_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    edited_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)
    nonce: Mapped[str | None] = mapped_column(String(25), nullable=True)
    search_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    """What the search index indexes (adapters/sql/search.py); NULL: not indexed."""
    attachment_count: Mapped[int] = mapped_column(Integer, server_default="0")
    """So a page of text-only messages needs no attachments query."""
    reference_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The message this one replies to. No foreign key: the reference outlives the original
    (clients then show "original message deleted")."""
    pinned_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)
    mention_ids: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The mentioned users' ids, space-separated, in order (NULL: none): what the message
    shows. Counting uses `message_mentions`."""
    mention_everyone: Mapped[bool] = mapped_column(Boolean, server_default=false())


class MessageMentionRow(Base):
    """One mentioned user of one message, for counting a user's unread mentions per channel
    (a range of the primary key). Only for users other than the author, and only when the
    message does not mention everyone (those count through `messages.mention_everyone`, so
    no message counts twice). Goes with its message (cascade)."""

    __tablename__ = "message_mentions"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "channel_id", "message_id", name="pk_message_mentions"),
        ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_mentions_message_id_messages",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_message_mentions_user_id_users", ondelete="CASCADE"
        ),
        Index("ix_message_mentions_message_id", "message_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)


class ReadStateRow(Base):
    """The last message a user read in a channel. Only ever raised (a conditional upsert)."""

    __tablename__ = "read_states"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "channel_id", name="pk_read_states"),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_read_states_user_id_users", ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_read_states_channel_id_channels",
            ondelete="CASCADE",
        ),
        Index("ix_read_states_channel_id", "channel_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    last_read_id: Mapped[int] = mapped_column(BigInteger)


NOTIFICATION_LEVELS = ("all", "mentions", "nothing")


class ServerNotificationRow(Base):
    """A user's notification level and mute for a server (no row: all, not muted)."""

    __tablename__ = "server_notification_settings"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "server_id", name="pk_server_notification_settings"),
        ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_server_notification_settings_user_id_users",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name="fk_server_notification_settings_server_id_servers",
            ondelete="CASCADE",
        ),
        CheckConstraint(
            _one_of("level", NOTIFICATION_LEVELS), name="ck_server_notification_settings_level"
        ),
        Index("ix_server_notification_settings_server_id", "server_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    server_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    level: Mapped[str] = mapped_column(String(16))
    muted_until: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)


class ChannelNotificationRow(Base):
    """A user's notification level (NULL: follow the server) and mute for a channel."""

    __tablename__ = "channel_notification_settings"
    __table_args__ = (
        PrimaryKeyConstraint("user_id", "channel_id", name="pk_channel_notification_settings"),
        ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_channel_notification_settings_user_id_users",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name="fk_channel_notification_settings_channel_id_channels",
            ondelete="CASCADE",
        ),
        CheckConstraint(
            _one_of("level", NOTIFICATION_LEVELS), name="ck_channel_notification_settings_level"
        ),
        Index("ix_channel_notification_settings_channel_id", "channel_id"),
    )

    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    server_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The channel's server; NULL for a DM or group DM."""
    level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    muted_until: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)


class ReactionRow(Base):
    """One user's reaction with one emoji to one message. Counts are always counted from these
    rows (never kept in a counter), so concurrent reactions cannot make them drift."""

    __tablename__ = "reactions"
    __table_args__ = (
        PrimaryKeyConstraint("message_id", "emoji", "user_id", name="pk_reactions"),
        ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_reactions_message_id_messages",
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_reactions_user_id_users", ondelete="CASCADE"
        ),
    )

    message_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    emoji: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)


class AttachmentRow(Base):
    """A file posted with a message; the bytes are in file storage under keys derived from
    the id (discord_core.files). channel_id and server_id are the message's, kept here so a
    channel or server delete can schedule its files in one statement (and search can filter
    on has:file / has:image without a join)."""

    __tablename__ = "attachments"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_attachments"),
        ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_attachments_message_id_messages",
            ondelete="CASCADE",
        ),
        CheckConstraint("size > 0", name="ck_attachments_size"),
        Index("ix_attachments_message_id", "message_id"),
        Index("ix_attachments_channel_id", "channel_id"),
        Index("ix_attachments_server_id", "server_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    server_id: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_thumbnail: Mapped[bool] = mapped_column(Boolean)


class FileDeletionRow(Base):
    """Stored files to delete once due_at has passed (discord_core.files): written before an
    upload's bytes are stored and with every delete, so no crash leaves files behind."""

    __tablename__ = "file_deletions"
    __table_args__ = (
        PrimaryKeyConstraint("kind", "ref", "version", name="pk_file_deletions"),
        CheckConstraint("kind IN ('attachment', 'avatar', 'icon')", name="ck_file_deletions_kind"),
        Index("ix_file_deletions_due_at", "due_at"),
    )

    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    version: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(DateTimeUTC)


class InviteRow(Base):
    __tablename__ = "invites"
    __table_args__ = (
        PrimaryKeyConstraint("code", name="pk_invites"),
        ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_invites_server_id_servers", ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["inviter_id"], ["users.id"], name="fk_invites_inviter_id_users"),
        CheckConstraint("max_uses >= 0 AND uses >= 0", name="ck_invites_uses"),
        Index("ix_invites_server_id", "server_id"),
    )

    code: Mapped[str] = mapped_column(String(32))
    server_id: Mapped[int] = mapped_column(BigInteger)
    inviter_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC, nullable=True)
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer)


class BanRow(Base):
    """A user banned from a server (member or not): no invite lets them in."""

    __tablename__ = "bans"
    __table_args__ = (
        PrimaryKeyConstraint("server_id", "user_id", name="pk_bans"),
        ForeignKeyConstraint(
            ["server_id"], ["servers.id"], name="fk_bans_server_id_servers", ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_bans_user_id_users", ondelete="CASCADE"
        ),
    )

    server_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    reason: Mapped[str | None] = mapped_column(String(512), nullable=True)
    actor_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)


class AuditLogRow(Base):
    """One moderation or administration action, written in the action's transaction.
    `changes` is a JSON array of {key, old_value, new_value}."""

    __tablename__ = "audit_log"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_audit_log"),
        ForeignKeyConstraint(
            ["server_id"],
            ["servers.id"],
            name="fk_audit_log_server_id_servers",
            ondelete="CASCADE",
        ),
        Index("ix_audit_log_server_id_id", "server_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    server_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int] = mapped_column(BigInteger)
    target_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    changes: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(512), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC)


class OutboxRow(Base):
    """A committed event, written in the transaction of the change it describes (the
    transactional outbox). `seq` numbers the events of one topic 1, 2, 3 ... in commit order
    with no gaps; `id` is the event's snowflake (its time; what retention prunes by)."""

    __tablename__ = "outbox"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_outbox"),
        UniqueConstraint("topic", "seq", name="uq_outbox_topic_seq"),
    )

    id: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    topic: Mapped[str] = mapped_column(String(48))
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """NULL only inside the writing transaction on PostgreSQL (numbered at COMMIT)."""
    name: Mapped[str] = mapped_column(String(48))
    payload: Mapped[str] = mapped_column(Text)
    effect: Mapped[str] = mapped_column(Text)
    """adapters.wire.pack_effect: "" for events that change no subscription."""
    dispatched: Mapped[bool] = mapped_column(Boolean)
    join_seq: Mapped[int] = mapped_column(BigInteger)
    """For an effect that joins a topic: that topic's sequence as of this transaction."""


class TopicSequenceRow(Base):
    """The last sequence number given to an event of each topic. Bumped at commit, in topic
    order, by every transaction that records events: its row lock makes commit order the
    sequence order within a topic."""

    __tablename__ = "topic_sequences"
    __table_args__ = (PrimaryKeyConstraint("topic", name="pk_topic_sequences"),)

    topic: Mapped[str] = mapped_column(String(48))
    seq: Mapped[int] = mapped_column(BigInteger)


metadata = Base.metadata
