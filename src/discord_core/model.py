"""Entities and value objects. Plain dataclasses; limits are checked in `limits`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

Snowflake = int
"""A 64-bit time-ordered id: ms since EPOCH << 22 | worker << 12 | sequence."""


class Role(StrEnum):
    """The seed's role ladder, lowest first (see `permissions.RANK`)."""

    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"
    OWNER = "owner"


class UserStatus(StrEnum):
    """The status a user chooses. Presence is OFFLINE whenever they have no live session."""

    ONLINE = "online"
    AWAY = "away"
    DND = "dnd"
    INVISIBLE = "invisible"


class Presence(StrEnum):
    """What others see."""

    ONLINE = "online"
    AWAY = "away"
    DND = "dnd"
    OFFLINE = "offline"


@dataclass(slots=True)
class User:
    id: Snowflake
    username: str
    email: str
    password_hash: str
    status: UserStatus
    created_at: datetime
    updated_at: datetime
    avatar: str | None = None
    """The version (content hash) of the user's avatar images, or None for no avatar."""
    disabled_at: datetime | None = None
    """Set by an operator: the user cannot sign in and has no live session."""
    deleted_at: datetime | None = None
    """The account was deleted: username and email are freed (see `deleted_username`), the
    messages stay and show `DELETED_USER`."""
    bot: bool = False
    """A bot account (`Bot`): signs in only with its token, never with a password."""

    @property
    def can_sign_in(self) -> bool:
        return self.disabled_at is None and self.deleted_at is None


DELETED_USERNAME_PREFIX = "deleted_"
"""A deleted account's username becomes deleted_<id>; nobody may choose such a name."""
DELETED_USER = "Deleted user"
"""What clients see instead of a deleted account's username."""


def deleted_username(user_id: Snowflake) -> str:
    return f"{DELETED_USERNAME_PREFIX}{user_id}"


def shown_username(username: str) -> str:
    """The name to show for a stored username (a deleted account's is `DELETED_USER`)."""
    return DELETED_USER if username.startswith(DELETED_USERNAME_PREFIX) else username


@dataclass(slots=True)
class Bot:
    """A bot account's owner and its current token (only the token's hash is kept)."""

    user_id: Snowflake
    owner_id: Snowflake
    token_id: str
    """Names the current token: its gateway sessions and cached checks (a rotation revokes it)."""
    token_hash: str
    """SHA-256 of the whole token (`discord_core.bots.hash_token`), hex."""
    created_at: datetime


@dataclass(slots=True)
class Server:
    id: Snowflake
    name: str
    description: str
    owner_id: Snowflake
    created_at: datetime
    icon: str | None = None
    """The version (content hash) of the server's icon images, or None for no icon."""


@dataclass(slots=True)
class Member:
    server_id: Snowflake
    user_id: Snowflake
    role: Role
    joined_at: datetime
    communication_disabled_until: datetime | None = None
    """A timeout: until then the member reads but cannot post, react or type (None: none;
    a time in the past is no timeout either, see `timed_out`)."""

    def timed_out(self, now: datetime) -> bool:
        until = self.communication_disabled_until
        return until is not None and until > now


@dataclass(slots=True)
class MemberView:
    """A member together with the public part of their user (for member lists)."""

    member: Member
    username: str
    status: UserStatus
    avatar: str | None = None
    bot: bool = False


class ChannelType(StrEnum):
    TEXT = "text"
    """A server's channel: membership and role decide who reads and posts."""
    DM = "dm"
    """Two people, outside any server: the same channel every time they open it."""
    GROUP_DM = "group_dm"
    """Up to `limits.GROUP_DM_MAX_RECIPIENTS` people; its creator adds and removes them."""


@dataclass(slots=True)
class Channel:
    id: Snowflake
    server_id: Snowflake | None
    """None for a private channel (DM, group DM)."""
    name: str
    topic: str
    position: int
    created_at: datetime
    type: ChannelType = ChannelType.TEXT
    owner_id: Snowflake | None = None
    """A group DM's creator (who adds and removes people); None for other channels."""
    recipients: list[User] = field(default_factory=list)
    """A private channel's people (when looked up), the caller included."""
    last_message_id: Snowflake | None = None
    """The id of its newest message (None: no message), read with the channel: the largest
    id in the (channel_id, id) index, never a stored counter."""

    @property
    def private(self) -> bool:
        return self.type is not ChannelType.TEXT

    @property
    def recipient_ids(self) -> list[Snowflake]:
        return [user.id for user in self.recipients]


@dataclass(slots=True)
class Message:
    id: Snowflake
    channel_id: Snowflake
    server_id: Snowflake | None
    """None in a private channel."""
    author_id: Snowflake
    content: str
    created_at: datetime
    edited_at: datetime | None = None
    nonce: str | None = None
    attachment_count: int = 0
    has_image: bool = False
    """Whether one of its attachments is an image. Not stored: set by the use cases that
    write the message knowing its attachments (the search index keeps has:image by it)."""
    reference_id: Snowflake | None = None
    """The message this one replies to (same channel). Kept when that message is deleted."""
    pinned_at: datetime | None = None
    """When a moderator pinned it; None: not pinned."""
    mentions: tuple[Snowflake, ...] = ()
    """The users it mentions who could see the channel when it was written (`mentions`)."""
    mention_everyone: bool = False
    """It mentions everyone (@everyone / @here by a moderator or above)."""


@dataclass(slots=True)
class Attachment:
    """A file posted with a message. Its bytes live in file storage (see `files`)."""

    id: Snowflake
    message_id: Snowflake
    channel_id: Snowflake
    server_id: Snowflake | None
    filename: str
    """Sanitised: a plain name, no path, no control characters."""
    content_type: str
    """Sniffed from the bytes, never taken from the client."""
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    has_thumbnail: bool = False


@dataclass(frozen=True, slots=True)
class ReactionCount:
    """One emoji's reactions on a message, as one viewer sees them."""

    emoji: str
    count: int
    me: bool
    """Whether the viewer is among those who reacted with it."""


@dataclass(frozen=True, slots=True)
class Reactor:
    """Someone who reacted (who-reacted lists)."""

    user_id: Snowflake
    username: str
    avatar: str | None = None


class NotificationLevel(StrEnum):
    """What a user wants to be notified of in a server or channel."""

    ALL = "all"
    MENTIONS = "mentions"
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class ReadState:
    """Where a user stands in a channel: the last message they read (None: never) and how
    many messages after it mention them. Always counted from the messages, never stored."""

    channel_id: Snowflake
    last_read_id: Snowflake | None
    mention_count: int


@dataclass(frozen=True, slots=True)
class NotificationSetting:
    """A user's notification choice for one server (`channel_id` None) or one channel.
    A channel's `level` None follows its server's."""

    server_id: Snowflake | None
    channel_id: Snowflake | None
    level: NotificationLevel | None
    muted_until: datetime | None = None


@dataclass(slots=True)
class MessageView:
    """A message with its author's username and avatar and its attachments, as clients
    display it."""

    message: Message
    author_username: str
    author_avatar: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    author_bot: bool = False
    referenced: MessageView | None = None
    """The message replied to (`message.reference_id`), when it still exists and was
    looked up."""
    reactions: list[ReactionCount] | None = None
    """The reactions as the caller sees them, in the order their emoji were first used;
    None when not looked up (gateway events carry none: `me` depends on the recipient)."""


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a client sent, already received in full into a local temporary file by the
    entrypoint (which deletes it afterwards). Nothing in it is trusted yet."""

    field: str
    """The form field it came in, e.g. "files[0]" (named in errors)."""
    filename: str
    """As sent: may hold a path, control characters, anything."""
    declared_type: str | None
    """The part's Content-Type as sent (only used to catch a file that lies about being an
    image; the stored type is sniffed from the bytes)."""
    path: str
    size: int
    sha256: str


@dataclass(slots=True)
class Invite:
    code: str
    server_id: Snowflake
    inviter_id: Snowflake
    created_at: datetime
    expires_at: datetime | None
    max_uses: int
    uses: int = 0

    def is_usable(self, now: datetime) -> bool:
        if self.expires_at is not None and now >= self.expires_at:
            return False
        return self.max_uses == 0 or self.uses < self.max_uses


@dataclass(slots=True)
class Ban:
    """A user who may not be in a server (and no invite lets back in), member or not."""

    server_id: Snowflake
    user_id: Snowflake
    reason: str | None
    actor_id: Snowflake
    created_at: datetime


@dataclass(slots=True)
class BanView:
    """A ban with the public part of the banned user (for the bans list)."""

    ban: Ban
    username: str
    avatar: str | None = None


class AuditAction(StrEnum):
    """What an audit-log entry records (Discord's names where it has one)."""

    SERVER_UPDATE = "server_update"
    OWNER_TRANSFER = "owner_transfer"
    CHANNEL_CREATE = "channel_create"
    CHANNEL_UPDATE = "channel_update"
    CHANNEL_DELETE = "channel_delete"
    MEMBER_KICK = "member_kick"
    MEMBER_BAN_ADD = "member_ban_add"
    MEMBER_BAN_REMOVE = "member_ban_remove"
    MEMBER_UPDATE = "member_update"
    """A timeout set or lifted (`communication_disabled_until`)."""
    MEMBER_ROLE_UPDATE = "member_role_update"
    INVITE_CREATE = "invite_create"
    INVITE_DELETE = "invite_delete"
    MESSAGE_DELETE = "message_delete"
    """A moderator deleted someone else's message (target: its author)."""
    MESSAGE_PIN = "message_pin"
    MESSAGE_UNPIN = "message_unpin"


AuditValue = str | int | bool | None
"""What a change's old and new values may be (ids and times as strings)."""


@dataclass(frozen=True, slots=True)
class AuditChange:
    key: str
    old_value: AuditValue = None
    new_value: AuditValue = None


@dataclass(slots=True)
class AuditEntry:
    """One moderation or administration action in a server, written in the same transaction
    as the action itself."""

    id: Snowflake
    server_id: Snowflake
    action: AuditAction
    actor_id: Snowflake
    target_id: Snowflake | None
    created_at: datetime
    changes: tuple[AuditChange, ...] = ()
    reason: str | None = None


@dataclass(slots=True)
class AuthSession:
    """One issued token. Revoking it makes the token stop working at once."""

    id: str
    user_id: Snowflake
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(slots=True)
class ServerSnapshot:
    """A server with its channels and the caller's membership (READY, SERVER_CREATE)."""

    server: Server
    channels: list[Channel]
    member: Member
    member_count: int = 0
    large: bool = False
    """At least `Deps.large_server_members` members: presence through member-list
    subscriptions only (set in READY's snapshots)."""
