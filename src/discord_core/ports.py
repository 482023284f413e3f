"""Ports: what the core needs from the outside world, as typing.Protocols.

Adapters implement them (SQLAlchemy, Redis, argon2, pyjwt, in-memory); unit tests use fakes.
Repositories raise `errors.DuplicateKey` when a unique constraint rejects a write, naming the
constraint: "username", "email", "member", "nonce", "invite_code", "ban"; and `errors.MissingParent`
when a write refers to a row a concurrent transaction deleted (a foreign key refused it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, TypeVar

from .events import Event, Topic
from .files import FileRef
from .model import (
    Attachment,
    AuditAction,
    AuditEntry,
    AuthSession,
    Ban,
    BanView,
    Bot,
    Channel,
    Invite,
    Member,
    MemberView,
    Message,
    MessageView,
    NotificationLevel,
    NotificationSetting,
    ReactionCount,
    Reactor,
    ReadState,
    Role,
    Server,
    Snowflake,
    User,
)
from .search import SearchPage, SearchQuery

T = TypeVar("T")


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...
    async def get(self, user_id: Snowflake) -> User | None: ...
    async def lock(self, user_id: Snowflake) -> User | None:
        """Lock the user's row until the transaction ends, and return it (None: no such user).
        For rules about the user as a whole (servers per user, profile writes)."""
        ...

    async def get_by_username(self, username: str) -> User | None: ...
    async def get_by_email(self, email: str) -> User | None: ...
    async def update(self, user: User) -> None: ...
    async def list_page(self, after: Snowflake, limit: int) -> list[User]:
        """Users with an id above `after`, oldest first."""
        ...


class BotRepository(Protocol):
    async def add(self, bot: Bot) -> None: ...
    async def get(self, user_id: Snowflake) -> Bot | None: ...
    async def list_for_owner(self, owner_id: Snowflake) -> list[tuple[Bot, User]]:
        """The owner's bots with their users, oldest first (deleted bots are gone)."""
        ...

    async def count_for_owner(self, owner_id: Snowflake) -> int: ...
    async def set_token(self, user_id: Snowflake, token_id: str, token_hash: str) -> None: ...
    async def delete(self, user_id: Snowflake) -> None:
        """Forget the bot's owner and token (its user row stays, anonymised)."""
        ...


class AuthSessionRepository(Protocol):
    async def add(self, session: AuthSession) -> None: ...
    async def get(self, session_id: str) -> AuthSession | None: ...
    async def extend(self, session_id: str, expires_at: datetime) -> None: ...
    async def revoke(self, session_id: str, now: datetime) -> None: ...
    async def revoke_all(
        self, user_id: Snowflake, now: datetime, *, keep: str | None = None
    ) -> list[str]:
        """Revoke every active session of the user but `keep`; return the revoked ids."""
        ...


class ServerRepository(Protocol):
    async def add(self, server: Server) -> None: ...
    async def get(self, server_id: Snowflake) -> Server | None: ...
    async def lock(self, server_id: Snowflake) -> Server | None:
        """Lock the server's row until the transaction ends, and return it (None: no such
        server). For every rule inside a server: owner, members and roles, channels and their
        positions, invites, quotas, deletion."""
        ...

    async def update(self, server: Server) -> None: ...
    async def delete(self, server_id: Snowflake) -> None:
        """Delete the server with its members, channels, messages and invites."""
        ...

    async def list_for_user(self, user_id: Snowflake) -> list[tuple[Server, Member]]:
        """The user's servers with their membership, oldest joined first."""
        ...

    async def list_for_user_with_counts(
        self, user_id: Snowflake
    ) -> list[tuple[Server, Member, int]]:
        """`list_for_user` with each server's member count, in one read (READY's)."""
        ...

    async def list_page(self, after: Snowflake, limit: int) -> list[Server]:
        """Servers with an id above `after`, oldest first."""
        ...


class MemberRepository(Protocol):
    async def add(self, member: Member) -> None: ...
    async def get(self, server_id: Snowflake, user_id: Snowflake) -> Member | None: ...
    async def get_view(self, server_id: Snowflake, user_id: Snowflake) -> MemberView | None: ...
    async def set_role(self, server_id: Snowflake, user_id: Snowflake, role: Role) -> None: ...
    async def set_timeout(
        self, server_id: Snowflake, user_id: Snowflake, until: datetime | None
    ) -> None:
        """Set or clear (None) the member's `communication_disabled_until`."""
        ...

    async def remove(self, server_id: Snowflake, user_id: Snowflake) -> None: ...
    async def list_page(
        self, server_id: Snowflake, *, after_user_id: Snowflake, limit: int
    ) -> list[MemberView]:
        """Members with user id > after_user_id, ascending by user id."""
        ...

    async def count(self, server_id: Snowflake) -> int: ...
    async def counts(self, server_ids: Sequence[Snowflake]) -> dict[Snowflake, int]:
        """Member count of each server (one query however many servers)."""
        ...

    async def count_for_user(self, user_id: Snowflake) -> int:
        """How many servers the user is in."""
        ...

    async def server_ids_for_user(self, user_id: Snowflake) -> list[Snowflake]: ...
    async def share_a_server(self, a: Snowflake, b: Snowflake) -> bool:
        """Whether the two users are members of at least one same server."""
        ...

    async def among(self, server_id: Snowflake, user_ids: Sequence[Snowflake]) -> set[Snowflake]:
        """Which of these users are members of the server (one query)."""
        ...

    async def co_members(
        self, user_id: Snowflake, server_ids: Sequence[Snowflake] | None = None
    ) -> list[MemberView]:
        """One view per distinct user sharing at least one server with the user (them too);
        with `server_ids`, only the members of those servers (servers the user is in)."""
        ...


class ChannelRepository(Protocol):
    async def add(self, channel: Channel) -> None: ...
    async def get(self, channel_id: Snowflake) -> Channel | None: ...
    async def get_with_member(
        self, channel_id: Snowflake, user_id: Snowflake
    ) -> tuple[Channel, MemberView | None] | None:
        """The channel and the user's membership of its server (with their username),
        in one round trip. None when the channel does not exist."""
        ...

    async def update(self, channel: Channel) -> None: ...
    async def delete(self, channel_id: Snowflake) -> None:
        """Delete the channel with its messages."""
        ...

    async def list_for_server(self, server_id: Snowflake) -> list[Channel]:
        """Ordered by (position, id)."""
        ...

    async def list_for_servers(self, server_ids: Sequence[Snowflake]) -> list[Channel]:
        """Every channel of these servers, ordered by (server_id, position, id)."""
        ...

    async def list_for_member(self, user_id: Snowflake) -> list[Channel]:
        """Every channel of the servers the user is a member of, ordered by (server_id,
        position, id)."""
        ...

    async def count_for_server(self, server_id: Snowflake) -> int: ...

    # Private channels (DMs and group DMs): their rows have no server; recipients decide.
    async def add_private(self, channel: Channel, dm_key: str | None) -> None:
        """Insert a private channel and its `recipients`. `dm_key` names a DM's pair of
        people (unique: a concurrent second open of the same DM raises DuplicateKey)."""
        ...

    async def find_dm(self, dm_key: str) -> Channel | None:
        """The DM of this pair, with its recipients."""
        ...

    async def with_recipients(self, channel: Channel) -> Channel:
        """The channel with its `recipients` filled in (oldest added first)."""
        ...

    async def lock_private(self, channel_id: Snowflake) -> Channel | None:
        """Lock a private channel's row (recipient changes read then write its people)."""
        ...

    async def add_recipient(
        self, channel_id: Snowflake, user_id: Snowflake, at: datetime
    ) -> None: ...

    async def set_owner(self, channel_id: Snowflake, owner_id: Snowflake) -> None: ...
    async def remove_recipient(self, channel_id: Snowflake, user_id: Snowflake) -> bool:
        """False when they were not a recipient."""
        ...

    async def private_for_user(self, user_id: Snowflake) -> list[Channel]:
        """The user's private channels with their recipients, most recently active first
        (by their newest message, else by when they were created)."""
        ...

    async def private_ids_for_user(self, user_id: Snowflake) -> list[Snowflake]: ...


class BlockRepository(Protocol):
    """Who blocked whom. A block is one way; its rules look at both directions."""

    async def add(self, user_id: Snowflake, blocked_id: Snowflake, at: datetime) -> bool:
        """False when it was already there."""
        ...

    async def remove(self, user_id: Snowflake, blocked_id: Snowflake) -> bool: ...
    async def blocked_ids(self, user_id: Snowflake) -> list[Snowflake]:
        """Whom the user blocked, oldest first."""
        ...

    async def count(self, user_id: Snowflake) -> int: ...
    async def either_way(self, a: Snowflake, b: Snowflake) -> bool:
        """Whether a blocked b or b blocked a."""
        ...


class MessageRepository(Protocol):
    async def add(self, message: Message) -> None:
        """Raises DuplicateKey("nonce") when the author already used the nonce, and
        MissingParent when the channel is gone: here or, if the adapter sends the insert
        later (with the commit), from the unit of work's commit."""
        ...

    async def get(self, message_id: Snowflake) -> MessageView | None: ...
    async def get_by_nonce(self, author_id: Snowflake, nonce: str) -> MessageView | None: ...
    async def update(self, message: Message) -> None: ...
    async def delete(self, message_id: Snowflake) -> None: ...
    async def list_before(
        self, channel_id: Snowflake, before: Snowflake | None, limit: int
    ) -> list[MessageView]:
        """Messages with id < before (all if None), newest first."""
        ...

    async def list_after(
        self, channel_id: Snowflake, after: Snowflake, limit: int
    ) -> list[MessageView]:
        """Messages with id > after, OLDEST first (the closest to `after`)."""
        ...

    async def recent_by_author(
        self, server_id: Snowflake, author_id: Snowflake, since: datetime
    ) -> list[Message]:
        """The author's messages in the server created at or after `since`, oldest first."""
        ...

    async def delete_many(self, message_ids: Sequence[Snowflake]) -> None: ...
    async def list_by_author(
        self, author_id: Snowflake, after: Snowflake, limit: int
    ) -> list[MessageView]:
        """The author's messages (every server) with id > after, oldest first."""

    async def lock(self, message_id: Snowflake) -> Message | None:
        """Lock the message's row until the transaction ends, and return it (None: no such
        message). For rules about one message as a whole (distinct reactions). Taken after
        users and servers (the lock order in `UnitOfWork`)."""
        ...

    async def views(self, message_ids: Sequence[Snowflake]) -> list[MessageView]:
        """The messages with these ids that exist, in the order of `message_ids`."""
        ...

    async def set_pinned(self, message_id: Snowflake, pinned_at: datetime | None) -> None: ...
    async def count_pinned(self, channel_id: Snowflake) -> int: ...
    async def list_pinned(self, channel_id: Snowflake, limit: int) -> list[MessageView]:
        """The channel's pinned messages, the latest pinned first."""
        ...


class ReactionRepository(Protocol):
    """Who reacted to which message with which emoji: one row each. Reactions go with their
    message (cascade)."""

    async def add(
        self, message_id: Snowflake, user_id: Snowflake, emoji: str, created_at: datetime
    ) -> bool:
        """Add the reaction; False (and nothing changes) when it exists already. Raises
        MissingParent when the message is gone."""
        ...

    async def remove(self, message_id: Snowflake, user_id: Snowflake, emoji: str) -> bool:
        """True when the reaction existed."""
        ...

    async def remove_emoji(self, message_id: Snowflake, emoji: str) -> int:
        """Remove everyone's reactions with this emoji; how many went."""
        ...

    async def remove_all(self, message_id: Snowflake) -> int: ...
    async def emoji_of(self, message_id: Snowflake) -> list[str]:
        """The distinct emoji on the message."""
        ...

    async def for_messages(
        self, message_ids: Sequence[Snowflake], viewer: Snowflake
    ) -> dict[Snowflake, list[ReactionCount]]:
        """Each message's reactions as `viewer` sees them, in the order each emoji was first
        used on it (messages without reactions are left out). One query for a page."""
        ...

    async def users(
        self, message_id: Snowflake, emoji: str, *, after: Snowflake, limit: int
    ) -> list[Reactor]:
        """Who reacted with the emoji, by ascending user id above `after`."""
        ...


class ReadStateRepository(Protocol):
    """Where each user stands in each channel (#15). A read point only ever moves forward,
    also when acks race (one conditional upsert, no read-then-write). Counts are counted
    from the messages each time (never a stored counter that could drift)."""

    async def advance(
        self, user_id: Snowflake, marks: Sequence[tuple[Snowflake, Snowflake]]
    ) -> list[Snowflake]:
        """Move the user's read point of each (channel_id, message_id) forward to that
        message, never back; return the channels whose point moved (or was created)."""
        ...

    async def states(
        self, user_id: Snowflake, channel_ids: Sequence[Snowflake]
    ) -> dict[Snowflake, ReadState]:
        """The user's read state in each of these channels (one query however many): the
        read point, which is the later of the stored one (`advance`) and the user's own newest
        message in the channel (posting marks read; None: neither), and `mention_count`, the
        messages after the read point, by someone else, that mention the user
        (`Message.mentions`) or everyone (`Message.mention_everyone`), written since the user
        joined the channel's server."""
        ...


class NotificationSettingRepository(Protocol):
    """Per user: notification levels and mutes of servers and channels (rows only where the
    user chose something; no row is the default)."""

    async def list_for_user(self, user_id: Snowflake) -> list[NotificationSetting]:
        """The user's settings for servers they are in and those servers' channels: servers
        first, each group by id."""
        ...

    async def change(
        self,
        user_id: Snowflake,
        server_id: Snowflake | None,
        channel_id: Snowflake | None,
        *,
        level: NotificationLevel | None = None,
        set_level: bool = False,
        muted_until: datetime | None = None,
        set_muted: bool = False,
    ) -> NotificationSetting:
        """Set the given fields of the server's (`channel_id` None) or the channel's entry
        (a DM's: `server_id` None) in one upsert (the others keep their value, or the default
        for a new entry) and return the entry as it now is."""
        ...


class EmojiCatalog(Protocol):
    """Unicode's emoji data, kept outside the core (a maintained library)."""

    def canonical(self, text: str) -> str | None:
        """The text's fully-qualified form when it is exactly one emoji Unicode lists (a
        flag, a keycap, a skin-toned or ZWJ sequence included), else None. "❤" (no variation
        selector) and "❤️" are the same emoji: both give "❤️"."""
        ...


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> None: ...
    async def get(self, code: str) -> Invite | None: ...
    async def delete(self, code: str) -> None: ...
    async def list_for_server(self, server_id: Snowflake) -> list[Invite]: ...
    async def count_for_server(self, server_id: Snowflake) -> int: ...
    async def purge_unusable(self, server_id: Snowflake, now: datetime) -> int:
        """Delete the server's expired and used-up invites; return how many went."""
        ...

    async def consume(self, code: str, now: datetime) -> bool:
        """Atomically count one use if the invite exists and is still usable."""
        ...


class BanRepository(Protocol):
    async def add(self, ban: Ban) -> None:
        """Raises DuplicateKey("ban") when the user is banned from the server already."""
        ...

    async def get(self, server_id: Snowflake, user_id: Snowflake) -> Ban | None: ...
    async def remove(self, server_id: Snowflake, user_id: Snowflake) -> bool:
        """True when there was a ban to lift."""
        ...

    async def list_page(
        self, server_id: Snowflake, *, after_user_id: Snowflake, limit: int
    ) -> list[BanView]:
        """Bans with user id > after_user_id, ascending by user id."""
        ...


class AuditLogRepository(Protocol):
    async def add(self, entry: AuditEntry) -> None: ...
    async def list_page(
        self,
        server_id: Snowflake,
        *,
        before: Snowflake | None,
        limit: int,
        action: AuditAction | None = None,
        actor_id: Snowflake | None = None,
    ) -> list[AuditEntry]:
        """Entries with id < before (all if None), newest first, optionally of one action
        or one actor."""
        ...


class MessageSearchIndex(Protocol):
    """Full-text search over the messages, as `discord_core.search` defines it: its words,
    phrases, exclusions and filters, the same answers in every adapter.

    The index follows the messages table by itself: an adapter keeps it in step with every
    message insert, edit and delete (cascades included) in the same transaction, so a search
    sees exactly what is committed; the use cases never index anything.
    """

    async def search(self, query: SearchQuery) -> SearchPage:
        """The page of matches (`query.offset`, `query.limit`) in `query.sort` order: newest
        is by id, descending; relevance is `search.rank` over the newest
        `query.relevance_window` matches, the older ones after them, newest first. `total`
        counts matches up to `query.count_limit`."""


class AttachmentRepository(Protocol):
    async def add_many(self, attachments: Sequence[Attachment]) -> None: ...
    async def get(self, attachment_id: Snowflake) -> Attachment | None: ...
    async def for_messages(
        self, message_ids: Sequence[Snowflake]
    ) -> dict[Snowflake, list[Attachment]]:
        """The attachments of these messages, by message id, each list in id order (messages
        without attachments are left out). Attachments go with their message (cascade)."""
        ...


class FileDeletionRepository(Protocol):
    """Files to delete from storage once `due_at` has passed (see `discord_core.files`)."""

    async def schedule(self, refs: Sequence[FileRef], due_at: datetime) -> None:
        """Record the refs; a ref recorded already keeps the earlier of its two due times."""
        ...

    async def cancel(self, refs: Sequence[FileRef]) -> None:
        """Forget the refs (their files are in use, or were deleted)."""
        ...

    async def schedule_message(self, message_id: Snowflake, due_at: datetime) -> list[FileRef]:
        """Schedule the files of the message's attachments; return their refs."""
        ...

    async def schedule_channel(self, channel_id: Snowflake, due_at: datetime) -> None:
        """Schedule the files of every attachment in the channel (in the database: however
        many there are, nothing is loaded)."""
        ...

    async def schedule_server(self, server_id: Snowflake, due_at: datetime) -> None:
        """Schedule the files of every attachment in the server and its current icon."""
        ...

    async def due(self, now: datetime, limit: int) -> list[FileRef]:
        """Refs due at `now`, earliest first."""
        ...

    async def still_named(self, refs: Sequence[FileRef]) -> list[FileRef]:
        """Those of the refs a row names: an attachment that exists, a user's or a server's
        current avatar or icon version."""


class TopicRepository(Protocol):
    """Where each topic's event sequence stands (the outbox numbers every topic's committed
    events 1, 2, 3 ... in commit order)."""

    async def positions(self, topics: Sequence[Topic]) -> dict[Topic, int]:
        """The sequence of each topic's last committed event (0: none yet)."""
        ...

    async def listened_by(self, user_id: Snowflake) -> dict[Topic, int]:
        """The topics a user's session listens to (their own, each server they are a member
        of, each private channel they are in) with `positions`, read together (one snapshot):
        a server joined meanwhile is either in it with its position, or announced after the
        user topic's position."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without `commit()` rolls back.

    Concurrency discipline: a use case that reads and then writes on what it read first locks
    what its rule depends on, so concurrent writers of the same thing queue instead of both
    acting on a stale read (PostgreSQL: SELECT ... FOR UPDATE; SQLite has one writer anyway).
    Locks are always taken in this order, so writers never wait on each other in a cycle:

    1. users (`users.lock`), ascending by id: per-user quotas and profile writes;
    2. servers (`servers.lock`), ascending by id: everything inside a server; or a private
       channel (`channels.lock_private`): its recipients;
    3. messages (`messages.lock`): one message's reactions;
    4. what the adapter takes at commit (the outbox's per-topic sequences), by topic.

    Whatever still deadlocks, or fails serialization, is retried by `UnitOfWorkFactory.run`.
    """

    users: UserRepository
    bots: BotRepository
    sessions: AuthSessionRepository
    servers: ServerRepository
    members: MemberRepository
    channels: ChannelRepository
    messages: MessageRepository
    invites: InviteRepository
    bans: BanRepository
    audit_log: AuditLogRepository
    search: MessageSearchIndex
    reactions: ReactionRepository
    blocks: BlockRepository
    read_states: ReadStateRepository
    notification_settings: NotificationSettingRepository

    attachments: AttachmentRepository
    file_deletions: FileDeletionRepository
    topics: TopicRepository

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    def record(self, events: Iterable[Event]) -> None:
        """Events this transaction causes: they are written with the change (the outbox, with
        their topic's next sequence numbers) and published if, and only after, it commits
        (`UnitOfWorkFactory.run`)."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work. `read_only` lets SQLite skip the write lock."""
        ...

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run `work` in a new writing transaction, commit it, publish the events it recorded,
        and return what `work` returned. An exception from `work` rolls back and goes to the
        caller. When the database aborts the transaction because of a concurrent one
        (`errors.TransactionConflict`), `work` runs again in a fresh transaction, a bounded
        number of times with jittered back-off, then `errors.Conflict` ("try again"). So
        `work` may run more than once: it must only use the unit of work it is given."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a wrong password. With no hash, spend the same time and return False,
        so an unknown account cannot be told from a wrong password by timing."""
        ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class CommonPasswords(Protocol):
    """A list of the most common (most guessed) passwords, kept outside the core."""

    def is_common(self, password: str) -> bool:
        """True when the password is on the list, compared case-insensitively."""
        ...


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: Snowflake
    session_id: str
    expires_at: datetime


class TokenService(Protocol):
    def issue(self, session: AuthSession) -> str: ...
    def decode(self, token: str) -> TokenClaims:
        """Raise errors.Unauthorized for a token that is malformed, forged or expired."""
        ...


class IdGenerator(Protocol):
    def next_id(self) -> Snowflake: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC."""
        ...


class EventPublisher(Protocol):
    """For events that are not recorded in a transaction (`UnitOfWork.record` is the durable
    way): typing, presence of connections. Best effort, never stored, never raises."""

    async def publish(self, events: Sequence[Event]) -> None:
        """Deliver these events to their topics now; a client that misses one is not told."""
        ...

    async def republish(self, key: Snowflake) -> None:
        """Publish again the committed event found by this key (`Event.key`: a created
        message's id), in case the instance that committed it died before publishing it.
        Receivers drop it if they had it."""
        ...


class FileStorage(Protocol):
    """Bytes by key: a folder in the data dir, or S3-compatible object storage.

    Keys are `discord_core.files` keys: lower-case letters, digits and `/ . _ -`, no empty or
    `..` segments. Adapters raise ValueError for any other key.
    """

    async def put(self, key: str, source: Path | bytes, content_type: str) -> None:
        """Store a local file's bytes (or `source` itself), replacing what the key held.
        Durable when this returns; a reader sees the old bytes or the new, never a mix."""
        ...

    async def size(self, key: str) -> int | None:
        """The stored size in bytes, or None when the key holds nothing."""
        ...

    async def open(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes from `offset`, `length` of them (to the end if None), as chunks of at
        most a few hundred KiB: a file is never held in memory whole. Raises
        errors.StoredFileMissing here, before the first chunk, when the key holds nothing."""
        ...

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete the keys; keys that hold nothing are no error."""
        ...


@dataclass(frozen=True, slots=True)
class MediaInfo:
    content_type: str
    """Sniffed from the bytes; `files.OCTET_STREAM` when nothing is recognised."""
    width: int | None = None
    height: int | None = None
    """For `files.IMAGE_TYPES`: read from the image's header, nothing decoded."""


class MediaProcessor(Protocol):
    """File type sniffing and image work. Everything runs off the event loop."""

    async def probe(self, path: Path, filename: str) -> MediaInfo:
        """What the file's bytes are (the name only breaks ties between formats the bytes
        match alike). Raises errors.UnreadableImage when they start like one of
        `files.IMAGE_TYPES` but its header cannot be read."""
        ...

    async def thumbnail(self, path: Path, *, max_side: int, max_pixels: int) -> bytes:
        """Decode the image (its first frame) and return a `files.THUMBNAIL_TYPE` image at
        most `max_side` pixels wide and high. Raises errors.UnreadableImage for bytes that do
        not decode, or for more than `max_pixels` pixels (checked before decoding)."""
        ...

    async def squares(
        self, data: bytes, *, sizes: Sequence[int], max_pixels: int
    ) -> dict[int, bytes]:
        """An avatar or icon: the image (of `files.IMAGE_TYPES`) cropped to its centre square
        and resized to each size, as `files.AVATAR_TYPE`. Raises errors.UnreadableImage."""
        ...


class Signer(Protocol):
    """Signatures of the server's own (signed file URLs). Keyed by the server secret."""

    def sign(self, message: str) -> str: ...
    def verify(self, message: str, signature: str) -> bool:
        """In constant time."""
        ...


class PresenceRegistry(Protocol):
    """Which users have at least one live gateway session, across all instances."""

    async def online(self, user_ids: Iterable[Snowflake]) -> set[Snowflake]: ...
    async def connect(self, user_id: Snowflake, session_id: str) -> bool:
        """Count a live session; True when this made the user come online."""
        ...

    async def disconnect(self, user_id: Snowflake, session_id: str) -> bool:
        """Forget a session; True when this made the user go offline."""
        ...


@dataclass(frozen=True, slots=True)
class RateState:
    """One request counted against a budget of `limit` per period (GCRA)."""

    limit: int
    remaining: int
    """Requests that would still pass right now (0 after a refusal)."""
    reset_after: float
    """Seconds until the whole budget is available again."""
    retry_after: float = 0.0
    """0.0 when the request is allowed, else seconds until it would be."""

    @property
    def allowed(self) -> bool:
        return self.retry_after <= 0.0


class RateLimiter(Protocol):
    """Shared request budgets (in-process, or in Redis across instances).

    Not called by the use cases: entrypoints apply it per route, per user and per IP.
    """

    async def hit(self, key: str, limit: int, period: float) -> RateState:
        """Count one request against `limit` per `period` seconds for `key` (a refused
        request counts nothing)."""
        ...
