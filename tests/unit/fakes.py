"""Hand-written, in-memory fakes of every port in `discord_core.ports`.

No mocks: each fake keeps real state and honours the contract written in the port's docstring,
so a use case that breaks a contract fails here the way it would fail against a database.

- Repositories store copies and hand out copies (like rows), keep the documented orderings and
  keyset pagination, raise `DuplicateKey("username" | "email" | "member" | "nonce" |
  "invite_code")` on unique violations, and cascade server and channel deletes.
- They also refuse what PostgreSQL refuses: an id outside BIGINT (`OverflowError`, as the
  sqlite3 driver raises), a NUL or an unencodable lone surrogate in text (`ValueError`), a row
  whose parent does not exist (`ForeignKeyViolation`), a write in a read-only unit of work.
- `FakeUnitOfWork` is a transaction: it works on a private copy of the committed tables; its
  writes are logged and applied to the shared `FakeDatabase` only on `commit()`; leaving the
  block without committing (or calling `rollback()`) discards them. Unique checks also see rows
  other transactions committed meanwhile, as a unique index does.
- `FakeDatabase.inject(point, action)` runs a one-shot fault at a named point ("users.add",
  "messages.add", "commit", "begin:write" (a writing unit of work starts), ...): raise an
  exception there, or first run a coroutine (another "concurrent request" that commits) and
  then carry on.
- `FakeCommonPasswords` is a short list of common passwords ("password123", ...).
- Locks (`users.lock`, `servers.lock`) behave like PostgreSQL's row locks under READ
  COMMITTED: a unit of work holds them until it ends; another one asking for the same lock
  waits; after getting it, it sees everything committed so far (its own writes kept). The fake
  also checks the documented lock order (users, then servers, each by ascending id) and
  refuses to wait on a lock held by a transaction paused at an injection point (that would hang
  the test: inject the concurrent request before the lock is taken, e.g. at "servers.lock").
- `FakeUnitOfWorkFactory.run(work)` is the retrying runner: a `TransactionConflict` (inject one
  at "commit" or at a lock) makes it run `work` again in a fresh unit of work, at most
  `attempts` times, then `Conflict`; after a commit it publishes the events `work` recorded.
- `FakeMessageSearch` (`uow.search`) answers searches from the transaction's messages with the
  core's own definitions (`discord_core.search`): the reference the SQL adapters are checked
  against by the shared contract suite (tests/integration/test_search_contract.py).
- Committed recorded events bump their topic's sequence (`FakeDatabase.positions`), as the
  outbox does; `uow.topics.positions` reads them.
- `RecordingPublisher` records published events in order and checks, at each publish, that no
  transaction holding uncommitted writes is open: events only ever follow a commit. It also
  records `republish` keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from discord_core import files
from discord_core.errors import (
    Conflict,
    DuplicateKey,
    MissingParent,
    StoredFileMissing,
    TransactionConflict,
    Unauthorized,
    UnreadableImage,
)
from discord_core.events import Event, Topic
from discord_core.files import FileKind, FileRef
from discord_core.model import (
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
from discord_core.ports import MediaInfo, TokenClaims
from discord_core.search import (
    Has,
    SearchPage,
    SearchQuery,
    SearchSort,
    Term,
    has_link,
    mentioned_user_ids,
    rank,
    words,
)

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1

T = TypeVar("T")


class ForeignKeyViolation(MissingParent):
    """A row referenced a parent that does not exist (a database would refuse it)."""


def _bigint(*values: int | None) -> None:
    for value in values:
        if value is not None and not BIGINT_MIN <= value <= BIGINT_MAX:
            raise OverflowError(f"Python int too large to convert to SQLite INTEGER: {value}")


def _storable(*texts: str | None) -> None:
    """PostgreSQL refuses NUL in text; no driver can encode a lone surrogate."""
    for text in texts:
        if text is None:
            continue
        if "\x00" in text:
            raise ValueError("invalid byte sequence for encoding UTF8: 0x00")
        text.encode("utf-8")  # UnicodeEncodeError (a ValueError) for lone surrogates


def _limit(limit: int) -> int:
    if limit < 0:
        raise ValueError(f"LIMIT must not be negative: {limit}")
    return limit


_FIELDS: dict[type, tuple[str, ...]] = {}


def _copy(row: T) -> T:
    """A shallow copy of a row (a flat slots dataclass); faster than copy.copy."""
    cls = type(row)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__(cls)
    for name in names:
        object.__setattr__(new, name, getattr(row, name))
    return new


# --- the database ---------------------------------------------------------------------------

TABLES = (
    "users",
    "bots",
    "sessions",
    "servers",
    "members",
    "channels",
    "messages",
    "invites",
    "attachments",
    "file_deletions",
    "bans",
    "audit_log",
    "reactions",
    "recipients",
    "dm_keys",
    "blocks",
    "read_states",
    "notification_settings",
)


@dataclass(slots=True)
class Tables:
    users: dict[Snowflake, User] = field(default_factory=dict)
    bots: dict[Snowflake, Bot] = field(default_factory=dict)
    sessions: dict[str, AuthSession] = field(default_factory=dict)
    servers: dict[Snowflake, Server] = field(default_factory=dict)
    members: dict[tuple[Snowflake, Snowflake], Member] = field(default_factory=dict)
    channels: dict[Snowflake, Channel] = field(default_factory=dict)
    messages: dict[Snowflake, Message] = field(default_factory=dict)
    invites: dict[str, Invite] = field(default_factory=dict)
    attachments: dict[Snowflake, Attachment] = field(default_factory=dict)
    file_deletions: dict[FileRef, datetime] = field(default_factory=dict)
    bans: dict[tuple[Snowflake, Snowflake], Ban] = field(default_factory=dict)
    audit_log: dict[Snowflake, AuditEntry] = field(default_factory=dict)
    reactions: dict[tuple[Snowflake, str, Snowflake], datetime] = field(default_factory=dict)
    """(message id, emoji, user id) -> when."""
    recipients: dict[tuple[Snowflake, Snowflake], datetime] = field(default_factory=dict)
    """(private channel id, user id) -> when they were added."""
    dm_keys: dict[str, Snowflake] = field(default_factory=dict)
    """A DM's pair key -> its channel id (unique, like the column)."""
    blocks: dict[tuple[Snowflake, Snowflake], datetime] = field(default_factory=dict)
    """(user id, blocked id) -> when."""
    read_states: dict[tuple[Snowflake, Snowflake], Snowflake] = field(default_factory=dict)
    """(user id, channel id) -> last read message id."""
    notification_settings: dict[tuple[Snowflake, Snowflake, Snowflake | None], Any] = field(
        default_factory=dict
    )
    """(user id, server id, channel id or None) -> NotificationSetting."""

    def copy(self) -> Tables:
        """Rows are never changed in place (writes replace them), so a shallow copy isolates."""
        return Tables(**{name: dict(getattr(self, name)) for name in TABLES})

    def table(self, name: str) -> dict[Any, Any]:
        result: dict[Any, Any] = getattr(self, name)
        return result

    # Cascading deletes, shared by the transaction's copy and the commit.
    def delete_message(self, message_id: Snowflake) -> None:
        self.messages.pop(message_id, None)
        for attachment_id in [
            a.id for a in self.attachments.values() if a.message_id == message_id
        ]:
            del self.attachments[attachment_id]
        for key in [k for k in self.reactions if k[0] == message_id]:
            del self.reactions[key]

    def delete_channel(self, channel_id: Snowflake) -> None:
        self.channels.pop(channel_id, None)
        for key in [k for k in self.recipients if k[0] == channel_id]:
            del self.recipients[key]
        for pair in [k for k, v in self.dm_keys.items() if v == channel_id]:
            del self.dm_keys[pair]
        for key in [k for k in self.read_states if k[1] == channel_id]:
            del self.read_states[key]
        for key in [k for k in self.notification_settings if k[2] == channel_id]:
            del self.notification_settings[key]
        for message_id in [m.id for m in self.messages.values() if m.channel_id == channel_id]:
            self.delete_message(message_id)

    def delete_server(self, server_id: Snowflake) -> None:
        self.servers.pop(server_id, None)
        for key in [k for k in self.members if k[0] == server_id]:
            del self.members[key]
        server_channels = [c.id for c in self.channels.values() if c.server_id == server_id]
        for channel_id in server_channels:
            self.delete_channel(channel_id)
        for code in [i.code for i in self.invites.values() if i.server_id == server_id]:
            del self.invites[code]
        for key in [k for k in self.bans if k[0] == server_id]:
            del self.bans[key]
        for entry_id in [e.id for e in self.audit_log.values() if e.server_id == server_id]:
            del self.audit_log[entry_id]
        for key in [k for k in self.notification_settings if k[1] == server_id]:
            del self.notification_settings[key]


Hook = BaseException | Callable[[], Awaitable[None]]
LockKey = tuple[int, Snowflake]
"""(rank, id): rank 0 = a user's row, 1 = a server's row, 2 = a message's row (the documented
lock order)."""
USER_LOCK, SERVER_LOCK, MESSAGE_LOCK = 0, 1, 2
PRIVATE_CHANNEL_LOCK = SERVER_LOCK
"""A private channel's lock comes where a server's would (ids never clash: both snowflakes)."""


class FakeDatabase:
    """The committed state every unit of work starts from, and the fault injection points."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0
        self.open_uows: list[FakeUnitOfWork] = []
        self.paused_uows: list[FakeUnitOfWork] = []
        self._hooks: dict[str, list[Hook]] = {}
        self.positions: dict[Topic, int] = {}
        """Each topic's sequence: bumped by every committed recorded event (the outbox)."""
        self.locks: dict[LockKey, FakeUnitOfWork] = {}
        self.lock_waits = 0
        """How many times a unit of work had to wait for a lock."""
        self._waiters: dict[LockKey, list[asyncio.Future[None]]] = {}

    def inject(self, point: str, action: Hook) -> None:
        """At the next call of `point`, raise `action` or first await `action()`."""
        self._hooks.setdefault(point, []).append(action)

    def pending_hooks(self) -> list[str]:
        return [point for point, hooks in self._hooks.items() if hooks]

    async def checkpoint(self, point: str) -> None:
        hooks = self._hooks.get(point)
        if not hooks:
            return
        action = hooks.pop(0)
        if isinstance(action, BaseException):
            raise action
        # Another request runs now; the transactions open so far wait for it.
        paused = list(self.open_uows)
        self.paused_uows.extend(paused)
        try:
            await action()
        finally:
            for uow in paused:
                self.paused_uows.remove(uow)

    async def acquire(self, uow: FakeUnitOfWork, key: LockKey) -> None:
        while (holder := self.locks.get(key)) is not None and holder is not uow:
            assert holder not in self.paused_uows, (
                f"lock {key} is held by a transaction paused at an injection point: inject the "
                "concurrent request before the lock is taken"
            )
            self.lock_waits += 1
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.setdefault(key, []).append(waiter)
            await waiter
        self.locks[key] = uow

    def release(self, uow: FakeUnitOfWork) -> None:
        for key in [k for k, holder in self.locks.items() if holder is uow]:
            del self.locks[key]
            for waiter in self._waiters.pop(key, []):
                if not waiter.done():
                    waiter.set_result(None)

    def uncommitted_writers(self) -> list[FakeUnitOfWork]:
        return [u for u in self.open_uows if u.has_pending_writes and u not in self.paused_uows]

    # Test set-up straight into the committed state (for quotas of hundreds of rows).
    def seed(self, *rows: User | Server | Member | Channel | Message | Invite) -> None:
        for row in rows:
            match row:
                case User():
                    self.tables.users[row.id] = _copy(row)
                case Server():
                    self.tables.servers[row.id] = _copy(row)
                case Member():
                    self.tables.members[(row.server_id, row.user_id)] = _copy(row)
                case Channel():
                    self.tables.channels[row.id] = _copy(row)
                case Message():
                    self.tables.messages[row.id] = _copy(row)
                case Invite():
                    self.tables.invites[row.code] = _copy(row)


Op = Callable[[Tables], None]


class FakeUnitOfWork:
    """One transaction over a `FakeDatabase` (see the module docstring)."""

    def __init__(self, db: FakeDatabase, *, read_only: bool = False) -> None:
        self.db = db
        self.read_only = read_only
        self.entered = False
        self.exited = False
        self.commits = 0
        self.discarded_writes = 0
        self._local = Tables()
        self._begin_keys: dict[str, set[Any]] = {}
        self._log: list[Op] = []
        self.recorded: list[Event] = []
        self.held: list[LockKey] = []
        self.users = FakeUserRepository(self)
        self.bots = FakeBotRepository(self)
        self.sessions = FakeAuthSessionRepository(self)
        self.servers = FakeServerRepository(self)
        self.members = FakeMemberRepository(self)
        self.channels = FakeChannelRepository(self)
        self.messages = FakeMessageRepository(self)
        self.invites = FakeInviteRepository(self)
        self.bans = FakeBanRepository(self)
        self.audit_log = FakeAuditLogRepository(self)
        self.search = FakeMessageSearch(self)
        self.reactions = FakeReactionRepository(self)
        self.blocks = FakeBlockRepository(self)
        self.attachments = FakeAttachmentRepository(self)
        self.file_deletions = FakeFileDeletionRepository(self)
        self.topics = FakeTopicRepository(self)
        self.read_states = FakeReadStateRepository(self)
        self.notification_settings = FakeNotificationSettingRepository(self)

    # --- transaction ---
    async def __aenter__(self) -> Self:
        assert not self.entered, "a unit of work is used for one block only"
        if not self.read_only:
            await self.db.checkpoint("begin:write")  # before the snapshot is taken
        self.entered = True
        self._begin()
        self.db.open_uows.append(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discarded_writes += len(self._log)
        self._log = []
        self.exited = True
        self.db.open_uows.remove(self)
        self.db.release(self)
        self.held = []

    async def commit(self) -> None:
        self._check_active()
        await self.db.checkpoint("commit")
        for op in self._log:
            op(self.db.tables)
        for event in self.recorded:
            self.db.positions[event.topic] = self.db.positions.get(event.topic, 0) + 1
        if self._log:
            self.db.commits += 1
        self.commits += 1
        self._begin()

    async def rollback(self) -> None:
        self._check_active()
        self.discarded_writes += len(self._log)
        self.recorded = []
        self._begin()

    def record(self, events: Iterable[Event]) -> None:
        self._check_active()
        self.recorded.extend(events)

    async def lock(self, key: LockKey) -> Tables:
        """Take a row lock (see the module docstring); return the refreshed view."""
        self._check_active()
        if key not in self.held:
            assert not self.held or key > max(self.held), (
                f"lock order: {key} taken after {max(self.held)} (users, then servers, "
                "each by ascending id)"
            )
            await self.db.acquire(self, key)
            self.held.append(key)
            # Like READ COMMITTED after a lock wait: what others committed is visible now.
            self._local = self.db.tables.copy()
            for op in self._log:
                op(self._local)
        return self._local

    @property
    def has_pending_writes(self) -> bool:
        return bool(self._log)

    def _begin(self) -> None:
        self._local = self.db.tables.copy()
        self._begin_keys = {name: set(self.db.tables.table(name)) for name in TABLES}
        self._log = []

    def _check_active(self) -> None:
        assert self.entered and not self.exited, "unit of work used outside its `async with`"

    # --- used by the repositories ---
    async def enter(self, point: str) -> Tables:
        self._check_active()
        await self.db.checkpoint(point)
        return self._local

    def write(self, op: Op) -> None:
        assert not self.read_only, "write in a read-only unit of work"
        op(self._local)
        self._log.append(op)

    def parent_gone(self, table: str, key: Any) -> bool:
        """A foreign key's view: the parent row is missing here, or another transaction
        deleted it and committed since this one began (the database sees that delete)."""
        if key not in self._local.table(table):
            return True
        return key in self._begin_keys[table] and key not in self.db.tables.table(table)

    def unique_clash(self, table: str, clashes: Callable[[Any], bool], own_key: Any) -> bool:
        """Does a row other than `own_key` clash, in this transaction's view or among the rows
        other transactions committed since it began (a unique index sees those too)?"""
        local = self._local.table(table)
        if any(clashes(row) for key, row in local.items() if key != own_key):
            return True
        committed = self.db.tables.table(table)
        return any(
            clashes(row)
            for key, row in committed.items()
            if key != own_key and key not in self._begin_keys[table]
        )


class FakeUnitOfWorkFactory:
    """Hands out units of work and records each one's `read_only` flag, in order; `run`
    retries conflicts and publishes recorded events to `publisher` after the commit."""

    def __init__(
        self, db: FakeDatabase, publisher: RecordingPublisher | None = None, attempts: int = 5
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.attempts = attempts
        self.created: list[FakeUnitOfWork] = []
        self.conflicts = 0
        """Transactions run again because of a TransactionConflict."""

    def __call__(self, *, read_only: bool = False) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self.db, read_only=read_only)
        self.created.append(uow)
        return uow

    async def run(self, work: Callable[[FakeUnitOfWork], Awaitable[T]]) -> T:
        for attempt in range(1, self.attempts + 1):
            uow = self()
            try:
                async with uow:
                    result = await work(uow)
                    await uow.commit()
                    events = uow.recorded
            except TransactionConflict:
                self.conflicts += 1
                if attempt == self.attempts:
                    break
                continue
            if events and self.publisher is not None:
                await self.publisher.publish(events)
            return result
        raise Conflict("Too many concurrent changes; try again.", code="conflict")

    @property
    def read_only_flags(self) -> list[bool]:
        return [u.read_only for u in self.created]


# --- repositories ---------------------------------------------------------------------------


class _Repo:
    name = ""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def _t(self, method: str) -> Tables:
        return await self.uow.enter(f"{self.name}.{method}")


class FakeUserRepository(_Repo):
    name = "users"

    async def add(self, user: User) -> None:
        t = await self._t("add")
        _bigint(user.id)
        _storable(user.username, user.email, user.password_hash)
        assert user.id not in t.users, "duplicate primary key"
        self._check_unique(user)
        row = _copy(user)
        self.uow.write(lambda s: s.users.__setitem__(row.id, _copy(row)))

    async def get(self, user_id: Snowflake) -> User | None:
        t = await self._t("get")
        _bigint(user_id)
        row = t.users.get(user_id)
        return _copy(row) if row is not None else None

    async def lock(self, user_id: Snowflake) -> User | None:
        await self._t("lock")
        _bigint(user_id)
        t = await self.uow.lock((USER_LOCK, user_id))
        row = t.users.get(user_id)
        return _copy(row) if row is not None else None

    async def get_by_username(self, username: str) -> User | None:
        t = await self._t("get_by_username")
        _storable(username)
        return next((_copy(u) for u in t.users.values() if u.username == username), None)

    async def get_by_email(self, email: str) -> User | None:
        t = await self._t("get_by_email")
        _storable(email)
        return next((_copy(u) for u in t.users.values() if u.email == email), None)

    async def update(self, user: User) -> None:
        t = await self._t("update")
        _storable(user.username, user.email, user.password_hash)
        if user.id not in t.users:
            return  # UPDATE ... WHERE id = ? matched nothing
        self._check_unique(user)
        row = _copy(user)
        self.uow.write(lambda s: s.users.__setitem__(row.id, _copy(row)))

    async def list_page(self, after: Snowflake, limit: int) -> list[User]:
        t = await self._t("list_page")
        return [_copy(u) for u in sorted(t.users.values(), key=lambda u: u.id) if u.id > after][
            :limit
        ]

    def _check_unique(self, user: User) -> None:
        if self.uow.unique_clash("users", lambda u: u.username == user.username, user.id):
            raise DuplicateKey("username")
        if self.uow.unique_clash("users", lambda u: u.email == user.email, user.id):
            raise DuplicateKey("email")


class FakeBotRepository(_Repo):
    name = "bots"

    async def add(self, bot: Bot) -> None:
        t = await self._t("add")
        _bigint(bot.user_id, bot.owner_id)
        if bot.user_id not in t.users or bot.owner_id not in t.users:
            raise ForeignKeyViolation("bots.user_id")
        assert bot.user_id not in t.bots, "duplicate primary key"
        row = _copy(bot)
        self.uow.write(lambda s: s.bots.__setitem__(row.user_id, _copy(row)))

    async def get(self, user_id: Snowflake) -> Bot | None:
        t = await self._t("get")
        _bigint(user_id)
        row = t.bots.get(user_id)
        return _copy(row) if row is not None else None

    async def list_for_owner(self, owner_id: Snowflake) -> list[tuple[Bot, User]]:
        t = await self._t("list_for_owner")
        mine = sorted(
            (b for b in t.bots.values() if b.owner_id == owner_id), key=lambda b: b.user_id
        )
        return [(_copy(b), _copy(t.users[b.user_id])) for b in mine]

    async def count_for_owner(self, owner_id: Snowflake) -> int:
        t = await self._t("count_for_owner")
        return sum(1 for b in t.bots.values() if b.owner_id == owner_id)

    async def set_token(self, user_id: Snowflake, token_id: str, token_hash: str) -> None:
        await self._t("set_token")

        def op(s: Tables) -> None:
            if user_id in s.bots:
                s.bots[user_id] = replace(s.bots[user_id], token_id=token_id, token_hash=token_hash)

        self.uow.write(op)

    async def delete(self, user_id: Snowflake) -> None:
        await self._t("delete")

        def op(s: Tables) -> None:
            s.bots.pop(user_id, None)

        self.uow.write(op)


class FakeAuthSessionRepository(_Repo):
    name = "sessions"

    async def add(self, session: AuthSession) -> None:
        t = await self._t("add")
        _storable(session.id)
        _bigint(session.user_id)
        assert session.id not in t.sessions, "duplicate primary key"
        if session.user_id not in t.users:
            raise ForeignKeyViolation("sessions.user_id")
        row = _copy(session)
        self.uow.write(lambda s: s.sessions.__setitem__(row.id, _copy(row)))

    async def get(self, session_id: str) -> AuthSession | None:
        t = await self._t("get")
        _storable(session_id)
        row = t.sessions.get(session_id)
        return _copy(row) if row is not None else None

    async def extend(self, session_id: str, expires_at: datetime) -> None:
        await self._t("extend")

        def op(s: Tables) -> None:
            if session_id in s.sessions:
                s.sessions[session_id] = replace(s.sessions[session_id], expires_at=expires_at)

        self.uow.write(op)

    async def revoke(self, session_id: str, now: datetime) -> None:
        await self._t("revoke")

        def op(s: Tables) -> None:
            row = s.sessions.get(session_id)
            if row is not None and row.revoked_at is None:
                s.sessions[session_id] = replace(row, revoked_at=now)

        self.uow.write(op)

    async def revoke_all(
        self, user_id: Snowflake, now: datetime, *, keep: str | None = None
    ) -> list[str]:
        """Revoke every active session of the user but `keep`; return the revoked ids."""
        t = await self._t("revoke_all")
        _bigint(user_id)
        ids = [
            row.id
            for row in sorted(t.sessions.values(), key=lambda r: (r.created_at, r.id))
            if row.user_id == user_id and row.id != keep and row.is_active(now)
        ]

        def op(s: Tables) -> None:
            for sid in ids:
                if sid in s.sessions:
                    s.sessions[sid] = replace(s.sessions[sid], revoked_at=now)

        self.uow.write(op)
        return ids


class FakeServerRepository(_Repo):
    name = "servers"

    async def add(self, server: Server) -> None:
        t = await self._t("add")
        _bigint(server.id, server.owner_id)
        _storable(server.name, server.description)
        assert server.id not in t.servers, "duplicate primary key"
        if server.owner_id not in t.users:
            raise ForeignKeyViolation("servers.owner_id")
        row = _copy(server)
        self.uow.write(lambda s: s.servers.__setitem__(row.id, _copy(row)))

    async def get(self, server_id: Snowflake) -> Server | None:
        t = await self._t("get")
        _bigint(server_id)
        row = t.servers.get(server_id)
        return _copy(row) if row is not None else None

    async def lock(self, server_id: Snowflake) -> Server | None:
        await self._t("lock")
        _bigint(server_id)
        t = await self.uow.lock((SERVER_LOCK, server_id))
        row = t.servers.get(server_id)
        return _copy(row) if row is not None else None

    async def update(self, server: Server) -> None:
        t = await self._t("update")
        _storable(server.name, server.description)
        if server.id not in t.servers:
            return
        if server.owner_id not in t.users:
            raise ForeignKeyViolation("servers.owner_id")
        row = _copy(server)

        def op(s: Tables) -> None:
            if row.id in s.servers:
                s.servers[row.id] = _copy(row)

        self.uow.write(op)

    async def delete(self, server_id: Snowflake) -> None:
        """Delete the server with its members, channels, messages and invites."""
        await self._t("delete")
        _bigint(server_id)
        self.uow.write(lambda s: s.delete_server(server_id))

    async def list_for_user(self, user_id: Snowflake) -> list[tuple[Server, Member]]:
        """The user's servers with their membership, oldest joined first."""
        t = await self._t("list_for_user")
        _bigint(user_id)
        mine = sorted(
            (m for m in t.members.values() if m.user_id == user_id),
            key=lambda m: (m.joined_at, m.server_id),
        )
        return [(_copy(t.servers[m.server_id]), _copy(m)) for m in mine]

    async def list_for_user_with_counts(
        self, user_id: Snowflake
    ) -> list[tuple[Server, Member, int]]:
        t = await self._t("list_for_user_with_counts")
        pairs = await self.list_for_user(user_id)
        return [
            (server, member, sum(1 for (sid, _) in t.members if sid == server.id))
            for server, member in pairs
        ]

    async def list_page(self, after: Snowflake, limit: int) -> list[Server]:
        t = await self._t("list_page")
        ordered = sorted(t.servers.values(), key=lambda s: s.id)
        return [_copy(s) for s in ordered if s.id > after][:limit]


class FakeMemberRepository(_Repo):
    name = "members"

    async def add(self, member: Member) -> None:
        t = await self._t("add")
        _bigint(member.server_id, member.user_id)
        if self.uow.parent_gone("servers", member.server_id):
            raise ForeignKeyViolation("members.server_id")
        if member.user_id not in t.users:
            raise ForeignKeyViolation("members.user_id")
        key = (member.server_id, member.user_id)
        if self.uow.unique_clash("members", lambda m: (m.server_id, m.user_id) == key, None):
            raise DuplicateKey("member")
        row = _copy(member)
        self.uow.write(lambda s: s.members.__setitem__(key, _copy(row)))

    async def get(self, server_id: Snowflake, user_id: Snowflake) -> Member | None:
        t = await self._t("get")
        _bigint(server_id, user_id)
        row = t.members.get((server_id, user_id))
        return _copy(row) if row is not None else None

    async def get_view(self, server_id: Snowflake, user_id: Snowflake) -> MemberView | None:
        t = await self._t("get_view")
        _bigint(server_id, user_id)
        row = t.members.get((server_id, user_id))
        return _view(t, row) if row is not None else None

    async def set_role(self, server_id: Snowflake, user_id: Snowflake, role: Role) -> None:
        await self._t("set_role")
        _bigint(server_id, user_id)

        def op(s: Tables) -> None:
            key = (server_id, user_id)
            if key in s.members:
                s.members[key] = replace(s.members[key], role=role)

        self.uow.write(op)

    async def set_timeout(
        self, server_id: Snowflake, user_id: Snowflake, until: datetime | None
    ) -> None:
        await self._t("set_timeout")
        _bigint(server_id, user_id)

        def op(s: Tables) -> None:
            key = (server_id, user_id)
            if key in s.members:
                s.members[key] = replace(s.members[key], communication_disabled_until=until)

        self.uow.write(op)

    async def remove(self, server_id: Snowflake, user_id: Snowflake) -> None:
        await self._t("remove")
        _bigint(server_id, user_id)

        def op(s: Tables) -> None:
            s.members.pop((server_id, user_id), None)

        self.uow.write(op)

    async def list_page(
        self, server_id: Snowflake, *, after_user_id: Snowflake, limit: int
    ) -> list[MemberView]:
        """Members with user id > after_user_id, ascending by user id."""
        t = await self._t("list_page")
        _bigint(server_id, after_user_id)
        rows = sorted(
            (
                m
                for m in t.members.values()
                if m.server_id == server_id and m.user_id > after_user_id
            ),
            key=lambda m: m.user_id,
        )
        return [_view(t, m) for m in rows[: _limit(limit)]]

    async def count(self, server_id: Snowflake) -> int:
        t = await self._t("count")
        _bigint(server_id)
        return sum(1 for m in t.members.values() if m.server_id == server_id)

    async def counts(self, server_ids: Sequence[Snowflake]) -> dict[Snowflake, int]:
        t = await self._t("counts")
        _bigint(*server_ids)
        return {sid: sum(1 for m in t.members.values() if m.server_id == sid) for sid in server_ids}

    async def count_for_user(self, user_id: Snowflake) -> int:
        """How many servers the user is in."""
        t = await self._t("count_for_user")
        _bigint(user_id)
        return sum(1 for m in t.members.values() if m.user_id == user_id)

    async def share_a_server(self, a: Snowflake, b: Snowflake) -> bool:
        t = await self._t("share_a_server")
        theirs = {sid for (sid, uid) in t.members if uid == b}
        return any(sid in theirs for (sid, uid) in t.members if uid == a)

    async def server_ids_for_user(self, user_id: Snowflake) -> list[Snowflake]:
        t = await self._t("server_ids_for_user")
        _bigint(user_id)
        mine = sorted(
            (m for m in t.members.values() if m.user_id == user_id),
            key=lambda m: (m.joined_at, m.server_id),
        )
        return [m.server_id for m in mine]

    async def among(self, server_id: Snowflake, user_ids: Sequence[Snowflake]) -> set[Snowflake]:
        t = await self._t("among")
        _bigint(server_id, *user_ids)
        return {uid for uid in user_ids if (server_id, uid) in t.members}

    async def co_members(
        self, user_id: Snowflake, server_ids: Sequence[Snowflake] | None = None
    ) -> list[MemberView]:
        """One view per distinct user sharing at least one server with the user (them too)."""
        t = await self._t("co_members")
        _bigint(user_id)
        servers = {m.server_id for m in t.members.values() if m.user_id == user_id}
        if server_ids is not None:
            _bigint(*server_ids)
            servers &= set(server_ids)
        first: dict[Snowflake, Member] = {}
        for m in sorted(t.members.values(), key=lambda m: (m.user_id, m.server_id)):
            if m.server_id in servers:
                first.setdefault(m.user_id, m)
        return [_view(t, m) for m in first.values()]


def _view(t: Tables, member: Member) -> MemberView:
    user = t.users[member.user_id]
    return MemberView(_copy(member), user.username, user.status, user.avatar, user.bot)


def _last_message_id(t: Tables, channel: Channel) -> Channel:
    """A copy of the channel row with its newest message's id (as the adapters read it)."""
    row = _copy(channel)
    row.last_message_id = max(
        (m.id for m in t.messages.values() if m.channel_id == channel.id), default=None
    )
    return row


class FakeChannelRepository(_Repo):
    name = "channels"

    async def add(self, channel: Channel) -> None:
        t = await self._t("add")
        _bigint(channel.id, channel.server_id, channel.position)
        _storable(channel.name, channel.topic)
        assert channel.id not in t.channels, "duplicate primary key"
        if self.uow.parent_gone("servers", channel.server_id):
            raise ForeignKeyViolation("channels.server_id")
        row = _copy(channel)
        self.uow.write(lambda s: s.channels.__setitem__(row.id, _copy(row)))

    async def get(self, channel_id: Snowflake) -> Channel | None:
        t = await self._t("get")
        _bigint(channel_id)
        row = t.channels.get(channel_id)
        return _last_message_id(t, row) if row is not None else None

    async def get_with_member(
        self, channel_id: Snowflake, user_id: Snowflake
    ) -> tuple[Channel, MemberView | None] | None:
        t = await self._t("get_with_member")
        _bigint(channel_id, user_id)
        channel = t.channels.get(channel_id)
        if channel is None:
            return None
        member = t.members.get((channel.server_id, user_id))
        return _last_message_id(t, channel), (_view(t, member) if member is not None else None)

    async def update(self, channel: Channel) -> None:
        t = await self._t("update")
        _bigint(channel.position)
        _storable(channel.name, channel.topic)
        if channel.id not in t.channels:
            return
        row = _copy(channel)

        def op(s: Tables) -> None:
            if row.id in s.channels:
                s.channels[row.id] = _copy(row)

        self.uow.write(op)

    async def delete(self, channel_id: Snowflake) -> None:
        """Delete the channel with its messages."""
        await self._t("delete")
        _bigint(channel_id)
        self.uow.write(lambda s: s.delete_channel(channel_id))

    async def list_for_server(self, server_id: Snowflake) -> list[Channel]:
        """Ordered by (position, id)."""
        t = await self._t("list_for_server")
        _bigint(server_id)
        rows = [c for c in t.channels.values() if c.server_id == server_id]
        return [_last_message_id(t, c) for c in sorted(rows, key=lambda c: (c.position, c.id))]

    async def list_for_servers(self, server_ids: Sequence[Snowflake]) -> list[Channel]:
        """Every channel of these servers, ordered by (server_id, position, id)."""
        t = await self._t("list_for_servers")
        _bigint(*server_ids)
        wanted = set(server_ids)
        rows = [c for c in t.channels.values() if c.server_id in wanted]
        ordered = sorted(rows, key=lambda c: (c.server_id, c.position, c.id))
        return [_last_message_id(t, c) for c in ordered]

    async def list_for_member(self, user_id: Snowflake) -> list[Channel]:
        t = await self._t("list_for_member")
        mine = {sid for (sid, uid) in t.members if uid == user_id}
        rows = [c for c in t.channels.values() if c.server_id in mine]
        ordered = sorted(rows, key=lambda c: (c.server_id, c.position, c.id))
        return [_last_message_id(t, c) for c in ordered]

    async def count_for_server(self, server_id: Snowflake) -> int:
        t = await self._t("count_for_server")
        _bigint(server_id)
        return sum(1 for c in t.channels.values() if c.server_id == server_id)

    # --- private channels ---
    async def add_private(self, channel: Channel, dm_key: str | None) -> None:
        """Raises DuplicateKey("dm_key") when the pair already has a DM."""
        t = await self._t("add_private")
        _bigint(channel.id, channel.owner_id)
        _storable(channel.name)
        assert channel.id not in t.channels, "duplicate primary key"
        assert channel.server_id is None and channel.private
        for user in channel.recipients:
            if user.id not in t.users:
                raise ForeignKeyViolation("channel_recipients.user_id")
        if dm_key is not None and (dm_key in t.dm_keys or dm_key in self.uow.db.tables.dm_keys):
            raise DuplicateKey("dm_key")
        row = replace(_copy(channel), recipients=[])
        at = channel.created_at
        people = [user.id for user in channel.recipients]

        def op(s: Tables) -> None:
            s.channels[row.id] = _copy(row)
            for uid in people:
                s.recipients[(row.id, uid)] = at
            if dm_key is not None:
                s.dm_keys[dm_key] = row.id

        self.uow.write(op)

    async def find_dm(self, dm_key: str) -> Channel | None:
        t = await self._t("find_dm")
        channel_id = t.dm_keys.get(dm_key)
        if channel_id is None or channel_id not in t.channels:
            return None
        return self._with(t, _last_message_id(t, t.channels[channel_id]))

    async def with_recipients(self, channel: Channel) -> Channel:
        t = await self._t("with_recipients")
        return self._with(t, channel)

    @staticmethod
    def _with(t: Tables, channel: Channel) -> Channel:
        added = sorted(((at, uid) for (cid, uid), at in t.recipients.items() if cid == channel.id))
        channel.recipients = [_copy(t.users[uid]) for _, uid in added]
        return channel

    async def lock_private(self, channel_id: Snowflake) -> Channel | None:
        await self._t("lock_private")
        _bigint(channel_id)
        t = await self.uow.lock((PRIVATE_CHANNEL_LOCK, channel_id))
        row = t.channels.get(channel_id)
        return _copy(row) if row is not None and row.private else None

    async def add_recipient(self, channel_id: Snowflake, user_id: Snowflake, at: datetime) -> None:
        t = await self._t("add_recipient")
        _bigint(channel_id, user_id)
        if user_id not in t.users or self.uow.parent_gone("channels", channel_id):
            raise ForeignKeyViolation("channel_recipients")
        assert (channel_id, user_id) not in t.recipients, "duplicate primary key"
        self.uow.write(lambda s: s.recipients.__setitem__((channel_id, user_id), at))

    async def set_owner(self, channel_id: Snowflake, owner_id: Snowflake) -> None:
        t = await self._t("set_owner")
        if channel_id not in t.channels:
            return

        def op(s: Tables) -> None:
            if channel_id in s.channels:
                s.channels[channel_id] = replace(s.channels[channel_id], owner_id=owner_id)

        self.uow.write(op)

    async def remove_recipient(self, channel_id: Snowflake, user_id: Snowflake) -> bool:
        t = await self._t("remove_recipient")
        if (channel_id, user_id) not in t.recipients:
            return False
        self.uow.write(lambda s: s.recipients.pop((channel_id, user_id), None))
        return True

    async def private_for_user(self, user_id: Snowflake) -> list[Channel]:
        t = await self._t("private_for_user")
        mine = [t.channels[cid] for (cid, uid) in t.recipients if uid == user_id]

        def activity(channel: Channel) -> Snowflake:
            ids = [m.id for m in t.messages.values() if m.channel_id == channel.id]
            return max(ids, default=channel.id)

        ordered = sorted(mine, key=activity, reverse=True)
        return [self._with(t, _last_message_id(t, c)) for c in ordered]

    async def private_ids_for_user(self, user_id: Snowflake) -> list[Snowflake]:
        t = await self._t("private_ids_for_user")
        return sorted(cid for (cid, uid) in t.recipients if uid == user_id)


class FakeBlockRepository(_Repo):
    name = "blocks"

    async def add(self, user_id: Snowflake, blocked_id: Snowflake, at: datetime) -> bool:
        t = await self._t("add")
        _bigint(user_id, blocked_id)
        if (user_id, blocked_id) in t.blocks:
            return False
        if blocked_id not in t.users or user_id not in t.users:
            raise ForeignKeyViolation("blocks")
        self.uow.write(lambda s: s.blocks.__setitem__((user_id, blocked_id), at))
        return True

    async def remove(self, user_id: Snowflake, blocked_id: Snowflake) -> bool:
        t = await self._t("remove")
        if (user_id, blocked_id) not in t.blocks:
            return False
        self.uow.write(lambda s: s.blocks.pop((user_id, blocked_id), None))
        return True

    async def blocked_ids(self, user_id: Snowflake) -> list[Snowflake]:
        t = await self._t("blocked_ids")
        mine = sorted((at, b) for (u, b), at in t.blocks.items() if u == user_id)
        return [b for _, b in mine]

    async def count(self, user_id: Snowflake) -> int:
        t = await self._t("count")
        return sum(1 for (u, _) in t.blocks if u == user_id)

    async def either_way(self, a: Snowflake, b: Snowflake) -> bool:
        t = await self._t("either_way")
        return (a, b) in t.blocks or (b, a) in t.blocks


class FakeMessageRepository(_Repo):
    name = "messages"

    async def add(self, message: Message) -> None:
        """Raises DuplicateKey("nonce") when the author already used the nonce."""
        t = await self._t("add")
        _bigint(message.id, message.channel_id, message.server_id, message.author_id)
        _storable(message.content, message.nonce)
        assert message.id not in t.messages, "duplicate primary key"
        channel = t.channels.get(message.channel_id)
        if (
            channel is None
            or channel.server_id != message.server_id
            or self.uow.parent_gone("channels", message.channel_id)
        ):
            raise ForeignKeyViolation("messages.channel_id")
        if message.author_id not in t.users:
            raise ForeignKeyViolation("messages.author_id")
        if message.nonce is not None and self.uow.unique_clash(
            "messages",
            lambda m: m.author_id == message.author_id and m.nonce == message.nonce,
            message.id,
        ):
            raise DuplicateKey("nonce")
        row = _copy(message)
        self.uow.write(lambda s: s.messages.__setitem__(row.id, _copy(row)))

    async def get(self, message_id: Snowflake) -> MessageView | None:
        t = await self._t("get")
        _bigint(message_id)
        row = t.messages.get(message_id)
        return _message_view(t, row) if row is not None else None

    async def get_by_nonce(self, author_id: Snowflake, nonce: str) -> MessageView | None:
        t = await self._t("get_by_nonce")
        _bigint(author_id)
        _storable(nonce)
        row = next(
            (m for m in t.messages.values() if m.author_id == author_id and m.nonce == nonce),
            None,
        )
        return _message_view(t, row) if row is not None else None

    async def update(self, message: Message) -> None:
        t = await self._t("update")
        _storable(message.content)
        if message.id not in t.messages:
            return
        row = _copy(message)

        def op(s: Tables) -> None:
            if row.id in s.messages:
                s.messages[row.id] = _copy(row)

        self.uow.write(op)

    async def delete(self, message_id: Snowflake) -> None:
        await self._t("delete")
        _bigint(message_id)

        self.uow.write(lambda s: s.delete_message(message_id))

    async def list_before(
        self, channel_id: Snowflake, before: Snowflake | None, limit: int
    ) -> list[MessageView]:
        """Messages with id < before (all if None), newest first."""
        t = await self._t("list_before")
        _bigint(channel_id, before)
        rows = sorted(
            (
                m
                for m in t.messages.values()
                if m.channel_id == channel_id and (before is None or m.id < before)
            ),
            key=lambda m: m.id,
            reverse=True,
        )
        return [_message_view(t, m) for m in rows[: _limit(limit)]]

    async def list_after(
        self, channel_id: Snowflake, after: Snowflake, limit: int
    ) -> list[MessageView]:
        """Messages with id > after, OLDEST first (the closest to `after`)."""
        t = await self._t("list_after")
        _bigint(channel_id, after)
        rows = sorted(
            (m for m in t.messages.values() if m.channel_id == channel_id and m.id > after),
            key=lambda m: m.id,
        )
        return [_message_view(t, m) for m in rows[: _limit(limit)]]

    async def recent_by_author(
        self, server_id: Snowflake, author_id: Snowflake, since: datetime
    ) -> list[Message]:
        t = await self._t("recent_by_author")
        _bigint(server_id, author_id)
        rows = sorted(
            (
                m
                for m in t.messages.values()
                if m.author_id == author_id and m.server_id == server_id and m.created_at >= since
            ),
            key=lambda m: m.id,
        )
        return [_copy(m) for m in rows]

    async def list_by_author(
        self, author_id: Snowflake, after: Snowflake, limit: int
    ) -> list[MessageView]:
        t = await self._t("list_by_author")
        _bigint(author_id, after)
        rows = sorted(
            (m for m in t.messages.values() if m.author_id == author_id and m.id > after),
            key=lambda m: m.id,
        )
        return [_message_view(t, m) for m in rows[: _limit(limit)]]

    async def delete_many(self, message_ids: Sequence[Snowflake]) -> None:
        await self._t("delete_many")
        _bigint(*message_ids)
        ids = list(message_ids)

        def op(s: Tables) -> None:
            for message_id in ids:
                s.delete_message(message_id)

        self.uow.write(op)

    async def lock(self, message_id: Snowflake) -> Message | None:
        _bigint(message_id)
        await self._t("lock")
        t = await self.uow.lock((MESSAGE_LOCK, message_id))
        row = t.messages.get(message_id)
        return _copy(row) if row is not None else None

    async def views(self, message_ids: Sequence[Snowflake]) -> list[MessageView]:
        t = await self._t("views")
        _bigint(*message_ids)
        return [_message_view(t, t.messages[i]) for i in message_ids if i in t.messages]

    async def set_pinned(self, message_id: Snowflake, pinned_at: datetime | None) -> None:
        t = await self._t("set_pinned")
        _bigint(message_id)
        if message_id not in t.messages:
            return

        def op(s: Tables) -> None:
            if message_id in s.messages:
                s.messages[message_id] = replace(s.messages[message_id], pinned_at=pinned_at)

        self.uow.write(op)

    async def count_pinned(self, channel_id: Snowflake) -> int:
        t = await self._t("count_pinned")
        _bigint(channel_id)
        return sum(
            1 for m in t.messages.values() if m.channel_id == channel_id and m.pinned_at is not None
        )

    async def list_pinned(self, channel_id: Snowflake, limit: int) -> list[MessageView]:
        t = await self._t("list_pinned")
        _bigint(channel_id)
        rows = sorted(
            (m for m in t.messages.values() if m.channel_id == channel_id and m.pinned_at),
            key=lambda m: (m.pinned_at, m.id),
            reverse=True,
        )
        return [_message_view(t, m) for m in rows[: _limit(limit)]]


class FakeReactionRepository(_Repo):
    name = "reactions"

    async def add(
        self, message_id: Snowflake, user_id: Snowflake, emoji: str, created_at: datetime
    ) -> bool:
        t = await self._t("add")
        _bigint(message_id, user_id)
        _storable(emoji)
        if message_id not in t.messages or self.uow.parent_gone("messages", message_id):
            raise ForeignKeyViolation("reactions.message_id")
        if user_id not in t.users:
            raise ForeignKeyViolation("reactions.user_id")
        key = (message_id, emoji, user_id)
        # ON CONFLICT DO NOTHING sees rows committed meanwhile, as a unique index does.
        if key in t.reactions or key in self.uow.db.tables.reactions:
            return False
        self.uow.write(lambda s: s.reactions.__setitem__(key, created_at))
        return True

    async def remove(self, message_id: Snowflake, user_id: Snowflake, emoji: str) -> bool:
        t = await self._t("remove")
        _bigint(message_id, user_id)
        _storable(emoji)
        key = (message_id, emoji, user_id)
        if key not in t.reactions:
            return False
        self.uow.write(lambda s: s.reactions.pop(key, None) and None)
        return True

    async def _remove_where(self, method: str, wanted: Callable[[Any], bool]) -> int:
        t = await self._t(method)
        keys = [k for k in t.reactions if wanted(k)]

        def op(s: Tables) -> None:
            for key in keys:
                s.reactions.pop(key, None)

        if keys:
            self.uow.write(op)
        return len(keys)

    async def remove_emoji(self, message_id: Snowflake, emoji: str) -> int:
        _bigint(message_id)
        return await self._remove_where(
            "remove_emoji", lambda k: k[0] == message_id and k[1] == emoji
        )

    async def remove_all(self, message_id: Snowflake) -> int:
        _bigint(message_id)
        return await self._remove_where("remove_all", lambda k: k[0] == message_id)

    async def emoji_of(self, message_id: Snowflake) -> list[str]:
        t = await self._t("emoji_of")
        _bigint(message_id)
        return list(dict.fromkeys(k[1] for k in t.reactions if k[0] == message_id))

    async def for_messages(
        self, message_ids: Sequence[Snowflake], viewer: Snowflake
    ) -> dict[Snowflake, list[ReactionCount]]:
        t = await self._t("for_messages")
        _bigint(*message_ids, viewer)
        wanted = set(message_ids)
        groups: dict[Snowflake, dict[str, list[Any]]] = {}
        for (message_id, emoji, user_id), when in t.reactions.items():
            if message_id not in wanted:
                continue
            entry = groups.setdefault(message_id, {}).setdefault(emoji, [when, 0, False])
            entry[0] = min(entry[0], when)
            entry[1] += 1
            entry[2] = entry[2] or user_id == viewer
        return {
            message_id: [
                ReactionCount(emoji, count, me)
                for emoji, (_, count, me) in sorted(
                    by_emoji.items(), key=lambda item: (item[1][0], item[0])
                )
            ]
            for message_id, by_emoji in groups.items()
        }

    async def users(
        self, message_id: Snowflake, emoji: str, *, after: Snowflake, limit: int
    ) -> list[Reactor]:
        t = await self._t("users")
        _bigint(message_id, after)
        ids = sorted(
            k[2] for k in t.reactions if k[0] == message_id and k[1] == emoji and k[2] > after
        )
        return [Reactor(i, t.users[i].username, t.users[i].avatar) for i in ids[: _limit(limit)]]


def _message_view(t: Tables, message: Message) -> MessageView:
    author = t.users[message.author_id]
    return MessageView(_copy(message), author.username, author.avatar, author_bot=author.bot)


class FakeReadStateRepository(_Repo):
    """Read points as rows; counts counted from the messages, as `ports` defines them."""

    name = "read_states"

    async def advance(
        self, user_id: Snowflake, marks: Sequence[tuple[Snowflake, Snowflake]]
    ) -> list[Snowflake]:
        t = await self._t("advance")
        _bigint(user_id, *(c for c, _ in marks), *(m for _, m in marks))
        committed = self.uow.db.tables.read_states
        moved: list[Snowflake] = []
        for channel_id, message_id in marks:
            if channel_id not in t.channels or self.uow.parent_gone("channels", channel_id):
                raise ForeignKeyViolation("read_states.channel_id")
            key = (user_id, channel_id)
            # An upsert sees what others committed meanwhile (the row's lock), as a unique
            # index does: compare with the newest of the two.
            current = max(
                (v for v in (t.read_states.get(key), committed.get(key)) if v is not None),
                default=None,
            )
            if current is not None and current >= message_id:
                continue
            moved.append(channel_id)

            def op(s: Tables, key: Any = key, message_id: Snowflake = message_id) -> None:
                if s.read_states.get(key, 0) < message_id:
                    s.read_states[key] = message_id

            self.uow.write(op)
        return moved

    async def states(
        self, user_id: Snowflake, channel_ids: Sequence[Snowflake]
    ) -> dict[Snowflake, ReadState]:
        t = await self._t("states")
        _bigint(user_id, *channel_ids)
        found: dict[Snowflake, ReadState] = {}
        for channel_id in channel_ids:
            channel = t.channels.get(channel_id)
            if channel is None:
                continue
            private = channel.server_id is None
            if private:
                since = t.recipients.get((channel_id, user_id))
            else:
                member = t.members.get((channel.server_id, user_id))
                since = member.joined_at if member is not None else None
            if since is None:
                continue
            stored = t.read_states.get((user_id, channel_id))
            mine = (m for m in t.messages.values() if m.author_id == user_id)
            own = max((m.id for m in mine if m.channel_id == channel_id), default=None)
            last = max((v for v in (stored, own) if v is not None), default=None)
            count = sum(
                1
                for m in t.messages.values()
                if m.channel_id == channel_id
                and m.author_id != user_id
                and (last is None or m.id > last)
                and m.created_at >= since
                and (private or m.mention_everyone or user_id in m.mentions)
            )
            found[channel_id] = ReadState(channel_id, last, count)
        return found


class FakeNotificationSettingRepository(_Repo):
    name = "notification_settings"

    async def list_for_user(self, user_id: Snowflake) -> list[NotificationSetting]:
        t = await self._t("list_for_user")
        _bigint(user_id)
        mine = [
            v
            for (uid, sid, cid), v in t.notification_settings.items()
            if uid == user_id and ((sid, user_id) in t.members or (cid, user_id) in t.recipients)
        ]
        return sorted(mine, key=lambda v: (v.channel_id is not None, v.channel_id or v.server_id))

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
        t = await self._t("change")
        _bigint(user_id, server_id, channel_id)
        key = (user_id, server_id, channel_id)
        current = self.uow.db.tables.notification_settings.get(key) or t.notification_settings.get(
            key
        )
        if current is None:
            default = NotificationLevel.ALL if channel_id is None else None
            current = NotificationSetting(server_id, channel_id, default, None)
        new = replace(
            current,
            level=level if set_level else current.level,
            muted_until=muted_until if set_muted else current.muted_until,
        )
        self.uow.write(lambda s: s.notification_settings.__setitem__(key, new))
        return new


class FakeAttachmentRepository(_Repo):
    name = "attachments"

    async def add_many(self, attachments: Sequence[Attachment]) -> None:
        t = await self._t("add_many")
        rows = []
        for a in attachments:
            _bigint(a.id, a.message_id, a.channel_id, a.server_id, a.size)
            _storable(a.filename, a.content_type, a.sha256)
            assert a.id not in t.attachments, "duplicate primary key"
            assert a.size > 0, "ck_attachments_size"
            if a.message_id not in t.messages:
                raise ForeignKeyViolation("attachments.message_id")
            rows.append(_copy(a))

        def op(s: Tables) -> None:
            for row in rows:
                s.attachments[row.id] = _copy(row)

        self.uow.write(op)

    async def get(self, attachment_id: Snowflake) -> Attachment | None:
        t = await self._t("get")
        _bigint(attachment_id)
        row = t.attachments.get(attachment_id)
        return _copy(row) if row is not None else None

    async def for_messages(
        self, message_ids: Sequence[Snowflake]
    ) -> dict[Snowflake, list[Attachment]]:
        t = await self._t("for_messages")
        _bigint(*message_ids)
        wanted = set(message_ids)
        found: dict[Snowflake, list[Attachment]] = {}
        for row in sorted(t.attachments.values(), key=lambda a: a.id):
            if row.message_id in wanted:
                found.setdefault(row.message_id, []).append(_copy(row))
        return found


class FakeFileDeletionRepository(_Repo):
    name = "file_deletions"

    async def schedule(self, refs: Sequence[FileRef], due_at: datetime) -> None:
        await self._t("schedule")
        for ref in refs:
            _bigint(ref.ref)
        wanted = list(refs)

        def op(s: Tables) -> None:
            for ref in wanted:
                current = s.file_deletions.get(ref)
                s.file_deletions[ref] = due_at if current is None else min(current, due_at)

        self.uow.write(op)

    async def cancel(self, refs: Sequence[FileRef]) -> None:
        await self._t("cancel")
        gone = list(refs)

        def op(s: Tables) -> None:
            for ref in gone:
                s.file_deletions.pop(ref, None)

        self.uow.write(op)

    async def schedule_message(self, message_id: Snowflake, due_at: datetime) -> list[FileRef]:
        t = await self._t("schedule_message")
        refs = [
            FileRef(FileKind.ATTACHMENT, a.id)
            for a in sorted(t.attachments.values(), key=lambda a: a.id)
            if a.message_id == message_id
        ]
        await self.schedule(refs, due_at)
        return refs

    async def schedule_channel(self, channel_id: Snowflake, due_at: datetime) -> None:
        t = await self._t("schedule_channel")
        self._insert_missing(
            [
                FileRef(FileKind.ATTACHMENT, a.id)
                for a in t.attachments.values()
                if a.channel_id == channel_id
            ],
            due_at,
        )

    async def schedule_server(self, server_id: Snowflake, due_at: datetime) -> None:
        t = await self._t("schedule_server")
        refs = [
            FileRef(FileKind.ATTACHMENT, a.id)
            for a in t.attachments.values()
            if a.server_id == server_id
        ]
        server = t.servers.get(server_id)
        if server is not None and server.icon is not None:
            refs.append(FileRef(FileKind.ICON, server_id, server.icon))
        self._insert_missing(refs, due_at)

    def _insert_missing(self, refs: list[FileRef], due_at: datetime) -> None:
        """INSERT ... SELECT ... ON CONFLICT DO NOTHING."""

        def op(s: Tables) -> None:
            for ref in refs:
                s.file_deletions.setdefault(ref, due_at)

        self.uow.write(op)

    async def due(self, now: datetime, limit: int) -> list[FileRef]:
        t = await self._t("due")
        rows = sorted(
            ((due, ref) for ref, due in t.file_deletions.items() if due <= now),
            key=lambda pair: (pair[0], pair[1].kind.value, pair[1].ref, pair[1].version),
        )
        return [ref for _, ref in rows[: _limit(limit)]]

    async def still_named(self, refs: Sequence[FileRef]) -> list[FileRef]:
        t = await self._t("still_named")

        def named(ref: FileRef) -> bool:
            if ref.kind is FileKind.ATTACHMENT:
                return ref.ref in t.attachments
            if ref.kind is FileKind.AVATAR:
                user = t.users.get(ref.ref)
                return user is not None and user.avatar == ref.version
            server = t.servers.get(ref.ref)
            return server is not None and server.icon == ref.version

        return [ref for ref in refs if named(ref)]


def _contains(document: list[str], term: Term) -> bool:
    width = len(term)
    return any(tuple(document[i : i + width]) == term for i in range(len(document) - width + 1))


def _search_matches(message: Message, query: SearchQuery) -> bool:
    if query.server_id is not None and message.server_id != query.server_id:
        return False
    if query.channel_ids is not None and message.channel_id not in query.channel_ids:
        return False
    if query.author_ids and message.author_id not in query.author_ids:
        return False
    if query.pinned is not None and (message.pinned_at is not None) != query.pinned:
        return False
    if query.before is not None and message.id >= query.before:
        return False
    if query.after is not None and message.id <= query.after:
        return False
    if query.mentions and not set(query.mentions) & set(mentioned_user_ids(message.content)):
        return False
    for has in query.has:
        if has is Has.LINK and not has_link(message.content):
            return False
        if has is Has.FILE and not message.attachment_count:
            return False
        if has is Has.IMAGE and not message.has_image:
            return False
    document = words(message.content)
    if not all(_contains(document, term) for term in query.terms):
        return False
    return not any(_contains(document, term) for term in query.excluded)


class FakeMessageSearch(_Repo):
    """The search index port over the transaction's messages (always in step with them)."""

    name = "search"

    async def search(self, query: SearchQuery) -> SearchPage:
        t = await self._t("search")
        _bigint(
            query.server_id,
            query.before,
            query.after,
            *(query.channel_ids or ()),
            *query.author_ids,
            *query.mentions,
        )
        if query.server_id is None and query.channel_ids is None:
            raise ValueError("a search needs a scope: a server or channels")
        found = sorted(
            (m for m in t.messages.values() if _search_matches(m, query)),
            key=lambda m: m.id,
            reverse=True,
        )
        order = [m.id for m in found]
        if query.sort is SearchSort.RELEVANCE and query.terms:
            window = found[: query.relevance_window]
            ranked = rank([(m.id, words(m.content)) for m in window], query.terms)
            order = ranked + order[query.relevance_window :]
        page = order[query.offset : query.offset + _limit(query.limit)]
        return SearchPage(
            min(len(found), query.count_limit),
            [_message_view(t, t.messages[i]) for i in page],
        )


class FakeTopicRepository(_Repo):
    name = "topics"

    async def positions(self, topics: Sequence[Topic]) -> dict[Topic, int]:
        await self._t("positions")
        return {topic: self.uow.db.positions.get(topic, 0) for topic in topics}

    async def listened_by(self, user_id: Snowflake) -> dict[Topic, int]:
        t = await self._t("listened_by")
        topics = [Topic.user(user_id)]
        topics += [Topic.server(sid) for (sid, uid) in t.members if uid == user_id]
        topics += [Topic.channel(cid) for (cid, uid) in t.recipients if uid == user_id]
        return {topic: self.uow.db.positions.get(topic, 0) for topic in topics}


class FakeBanRepository(_Repo):
    name = "bans"

    async def add(self, ban: Ban) -> None:
        t = await self._t("add")
        _bigint(ban.server_id, ban.user_id, ban.actor_id)
        _storable(ban.reason)
        if self.uow.parent_gone("servers", ban.server_id):
            raise ForeignKeyViolation("bans.server_id")
        if ban.user_id not in t.users:
            raise ForeignKeyViolation("bans.user_id")
        key = (ban.server_id, ban.user_id)
        if self.uow.unique_clash("bans", lambda b: (b.server_id, b.user_id) == key, None):
            raise DuplicateKey("ban")
        row = _copy(ban)
        self.uow.write(lambda s: s.bans.__setitem__(key, _copy(row)))

    async def get(self, server_id: Snowflake, user_id: Snowflake) -> Ban | None:
        t = await self._t("get")
        _bigint(server_id, user_id)
        row = t.bans.get((server_id, user_id))
        return _copy(row) if row is not None else None

    async def remove(self, server_id: Snowflake, user_id: Snowflake) -> bool:
        t = await self._t("remove")
        _bigint(server_id, user_id)
        found = (server_id, user_id) in t.bans

        def op(s: Tables) -> None:
            s.bans.pop((server_id, user_id), None)

        self.uow.write(op)
        return found

    async def list_page(
        self, server_id: Snowflake, *, after_user_id: Snowflake, limit: int
    ) -> list[BanView]:
        t = await self._t("list_page")
        _bigint(server_id, after_user_id)
        rows = sorted(
            (b for b in t.bans.values() if b.server_id == server_id and b.user_id > after_user_id),
            key=lambda b: b.user_id,
        )
        return [
            BanView(_copy(b), t.users[b.user_id].username, t.users[b.user_id].avatar)
            for b in rows[: _limit(limit)]
        ]


class FakeAuditLogRepository(_Repo):
    name = "audit_log"

    async def add(self, entry: AuditEntry) -> None:
        await self._t("add")
        _bigint(entry.id, entry.server_id, entry.actor_id, entry.target_id)
        _storable(entry.reason)
        if self.uow.parent_gone("servers", entry.server_id):
            raise ForeignKeyViolation("audit_log.server_id")
        row = _copy(entry)
        self.uow.write(lambda s: s.audit_log.__setitem__(row.id, _copy(row)))

    async def list_page(
        self,
        server_id: Snowflake,
        *,
        before: Snowflake | None,
        limit: int,
        action: AuditAction | None = None,
        actor_id: Snowflake | None = None,
    ) -> list[AuditEntry]:
        t = await self._t("list_page")
        _bigint(server_id, before, actor_id)
        rows = sorted(
            (
                e
                for e in t.audit_log.values()
                if e.server_id == server_id
                and (before is None or e.id < before)
                and (action is None or e.action is action)
                and (actor_id is None or e.actor_id == actor_id)
            ),
            key=lambda e: e.id,
            reverse=True,
        )
        return [_copy(e) for e in rows[: _limit(limit)]]


class FakeInviteRepository(_Repo):
    name = "invites"

    async def add(self, invite: Invite) -> None:
        await self._t("add")
        _bigint(invite.server_id, invite.inviter_id, invite.max_uses, invite.uses)
        _storable(invite.code)
        if self.uow.parent_gone("servers", invite.server_id):
            raise ForeignKeyViolation("invites.server_id")
        if self.uow.unique_clash("invites", lambda i: i.code == invite.code, None):
            raise DuplicateKey("invite_code")
        row = _copy(invite)
        self.uow.write(lambda s: s.invites.__setitem__(row.code, _copy(row)))

    async def get(self, code: str) -> Invite | None:
        t = await self._t("get")
        _storable(code)
        row = t.invites.get(code)
        return _copy(row) if row is not None else None

    async def delete(self, code: str) -> None:
        await self._t("delete")

        def op(s: Tables) -> None:
            s.invites.pop(code, None)

        self.uow.write(op)

    async def list_for_server(self, server_id: Snowflake) -> list[Invite]:
        t = await self._t("list_for_server")
        _bigint(server_id)
        rows = [i for i in t.invites.values() if i.server_id == server_id]
        return [_copy(i) for i in sorted(rows, key=lambda i: (i.created_at, i.code))]

    async def count_for_server(self, server_id: Snowflake) -> int:
        t = await self._t("count_for_server")
        _bigint(server_id)
        return sum(1 for i in t.invites.values() if i.server_id == server_id)

    async def purge_unusable(self, server_id: Snowflake, now: datetime) -> int:
        t = await self._t("purge_unusable")
        _bigint(server_id)
        gone = [
            i.code for i in t.invites.values() if i.server_id == server_id and not i.is_usable(now)
        ]

        def op(s: Tables) -> None:
            for code in gone:
                s.invites.pop(code, None)

        self.uow.write(op)
        return len(gone)

    async def consume(self, code: str, now: datetime) -> bool:
        """Atomically count one use if the invite exists and is still usable."""
        t = await self._t("consume")
        _storable(code)
        row = t.invites.get(code)
        if row is None or not row.is_usable(now):
            return False

        def op(s: Tables) -> None:
            current = s.invites.get(code)
            if current is not None:
                s.invites[code] = replace(current, uses=current.uses + 1)

        self.uow.write(op)
        return True


# --- the other ports ------------------------------------------------------------------------


class FakeEmojiCatalog:
    """A handful of emoji (single code points, a skin-toned thumb, a flag, a ZWJ family)."""

    KNOWN = frozenset(
        {"👍", "👍🏽", "❤️", "😂", "🎉", "🇫🇷", "👨‍👩‍👧", "🔥", "✅", "👀"}
        | {chr(0x1F600 + i) for i in range(40)}
    )

    def canonical(self, text: str) -> str | None:
        if text == "❤":
            return "❤️"
        return text if text in self.KNOWN else None


class FakeHasher:
    """Deterministic: hash(pw) is "<scheme>:<pw>". A hash of another scheme still verifies but
    `needs_rehash` says yes (switch `scheme` to simulate new parameters). Like argon2-cffi, it
    encodes the password as UTF-8 first, so a lone surrogate raises UnicodeEncodeError."""

    def __init__(self, scheme: str = "hashed") -> None:
        self.scheme = scheme
        self.hashed: list[str] = []
        self.verified: list[tuple[str | None, str]] = []

    async def hash(self, password: str) -> str:
        password.encode("utf-8")
        self.hashed.append(password)
        return f"{self.scheme}:{password}"

    async def verify(self, password_hash: str | None, password: str) -> bool:
        password.encode("utf-8")
        self.verified.append((password_hash, password))
        if password_hash is None:
            return False
        _, sep, stored = password_hash.partition(":")
        return bool(sep) and stored == password

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"{self.scheme}:")


class FakeClock:
    """A settable UTC clock."""

    def __init__(self, start: datetime = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FakeTokenService:
    """Tokens are "tok:<user id>:<session id>:<expiry in µs since 1970>"; decode refuses
    anything else, and tokens at or past their expiry by the fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def issue(self, session: AuthSession) -> str:
        assert ":" not in session.id
        expiry = (session.expires_at - _EPOCH) // timedelta(microseconds=1)
        return f"tok:{session.user_id}:{session.id}:{expiry}"

    def decode(self, token: str) -> TokenClaims:
        parts = token.split(":")
        if (
            len(parts) != 4
            or parts[0] != "tok"
            or not parts[1].isdigit()
            or not parts[2]
            or not parts[3].isdigit()
        ):
            raise Unauthorized("This token is invalid.", code="invalid_token")
        expires_at = _EPOCH + timedelta(microseconds=int(parts[3]))
        if self.clock.now() >= expires_at:
            raise Unauthorized("This token has expired.", code="invalid_token")
        return TokenClaims(int(parts[1]), parts[2], expires_at)


class FakeIdGenerator:
    """Sequential ids, so later means larger (like snowflakes)."""

    def __init__(self, start: int = 1000) -> None:
        self._next = start

    def next_id(self) -> Snowflake:
        value = self._next
        self._next += 1
        return value


class RecordingPublisher:
    """Records every published event in order; `batches` keeps each publish call's events."""

    def __init__(self, db: FakeDatabase | None = None) -> None:
        self.db = db
        self.batches: list[list[Event]] = []
        self.republished: list[Snowflake] = []
        self.commits_seen: list[int] = []
        """The database's commit count at each publish."""

    async def publish(self, events: Sequence[Event]) -> None:
        if self.db is not None:
            writers = self.db.uncommitted_writers()
            assert not writers, "events published while a transaction has uncommitted writes"
            self.commits_seen.append(self.db.commits)
        self.batches.append(list(events))

    async def republish(self, key: Snowflake) -> None:
        self.republished.append(key)

    @property
    def events(self) -> list[Event]:
        return [e for batch in self.batches for e in batch]

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    def routed(self) -> list[tuple[str, str]]:
        """(dispatch name, topic) pairs, in order."""
        return [(e.name, str(e.topic)) for e in self.events]

    def clear(self) -> None:
        self.batches.clear()
        self.commits_seen.clear()


class FakePresence:
    """Live gateway sessions per user; a user is online with at least one."""

    def __init__(self) -> None:
        self.sessions: dict[Snowflake, set[str]] = {}

    async def online(self, user_ids: Iterable[Snowflake]) -> set[Snowflake]:
        return {u for u in user_ids if self.sessions.get(u)}

    async def connect(self, user_id: Snowflake, session_id: str) -> bool:
        sessions = self.sessions.setdefault(user_id, set())
        first = not sessions
        sessions.add(session_id)
        return first

    async def disconnect(self, user_id: Snowflake, session_id: str) -> bool:
        sessions = self.sessions.get(user_id)
        if not sessions or session_id not in sessions:
            return False
        sessions.discard(session_id)
        if sessions:
            return False
        del self.sessions[user_id]
        return True

    def set_online(self, *user_ids: Snowflake) -> None:
        for user_id in user_ids:
            self.sessions.setdefault(user_id, set()).add(f"gw-{user_id}")

    def set_offline(self, *user_ids: Snowflake) -> None:
        for user_id in user_ids:
            self.sessions.pop(user_id, None)


class FakeCommonPasswords:
    """A short list of common passwords, compared case-insensitively (as the adapter does)."""

    def __init__(self, words: Iterable[str] = ("password123", "12345678", "qwertyuiop")) -> None:
        self.words = {w.casefold() for w in words}

    def is_common(self, password: str) -> bool:
        return password.strip().casefold() in self.words


class FakeFileStorage:
    """Bytes by key, in memory. `fail_puts` / `fail_deletes` make the next calls raise
    OSError (a storage outage); `puts` and `deletes` log the calls."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.puts: list[str] = []
        self.deletes: list[str] = []
        self.fail_puts = 0
        self.fail_deletes = 0
        self.put_hook: Callable[[str], Awaitable[None]] | None = None
        """Awaited before each put (to run a "concurrent request" mid-upload)."""

    async def put(self, key: str, source: Path | bytes, content_type: str) -> None:
        _check_key(key)
        if self.put_hook is not None:
            await self.put_hook(key)
        if self.fail_puts:
            self.fail_puts -= 1
            raise OSError("storage is down")
        data = source if isinstance(source, bytes) else _slurp(source)
        self.blobs[key] = (data, content_type)
        self.puts.append(key)

    async def size(self, key: str) -> int | None:
        _check_key(key)
        blob = self.blobs.get(key)
        return len(blob[0]) if blob is not None else None

    async def open(
        self, key: str, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        _check_key(key)
        if key not in self.blobs:
            raise StoredFileMissing(key)
        data = self.blobs[key][0]
        end = len(data) if length is None else offset + length
        return _chunked(data[offset:end])

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            _check_key(key)
        if self.fail_deletes:
            self.fail_deletes -= 1
            raise OSError("storage is down")
        for key in keys:
            self.blobs.pop(key, None)
            self.deletes.append(key)

    def stored_keys(self) -> set[str]:
        return set(self.blobs)


def _slurp(path: Path) -> bytes:
    """Test files are tiny: reading them in place is fine (a real adapter uses a thread)."""
    return path.read_bytes()


_KEY = re.compile(r"^[a-z0-9_.-]+(/[a-z0-9_.-]+)*$")


def _check_key(key: str) -> None:
    """The port's rule for keys (ValueError otherwise), as the adapters check it."""
    if not _KEY.match(key) or any(p in (".", "..") for p in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")


async def _chunked(data: bytes, size: int = 4) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class FakeMedia:
    """Recognises a tiny made-up format instead of real images:

    - b"IMG:<png|jpeg|gif|webp>:<W>x<H>:" starts an image of that type and size; append
      b":corrupt" anywhere after it and the image does not decode (thumbnail / squares raise);
    - b"BAD:" starts bytes that look like an image but whose header is unreadable;
    - other bytes are text (valid UTF-8 without NUL) or application/octet-stream.
    Every call is logged in `calls`."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @staticmethod
    def image(kind: str = "png", width: int = 64, height: int = 48, extra: bytes = b"") -> bytes:
        return f"IMG:{kind}:{width}x{height}:".encode() + extra

    def _read(self, data: bytes) -> MediaInfo:
        if data.startswith(b"BAD:"):
            raise UnreadableImage("unreadable header")
        if data.startswith(b"IMG:"):
            _, kind, size, *_ = data.split(b":", 3)
            width, height = (int(v) for v in size.split(b"x"))
            return MediaInfo(f"image/{kind.decode()}", width, height)
        try:
            text = data.decode()
        except UnicodeDecodeError:
            return MediaInfo(files.OCTET_STREAM)
        return MediaInfo(files.OCTET_STREAM if "\x00" in text else "text/plain")

    async def probe(self, path: Path, filename: str) -> MediaInfo:
        self.calls.append(f"probe:{path.name}")
        return self._read(_slurp(path))

    async def thumbnail(self, path: Path, *, max_side: int, max_pixels: int) -> bytes:
        self.calls.append(f"thumbnail:{path.name}")
        data = _slurp(path)
        info = self._read(data)
        self._check_decodes(data, info, max_pixels)
        return b"THUMB:" + data[:24]

    async def squares(
        self, data: bytes, *, sizes: Sequence[int], max_pixels: int
    ) -> dict[int, bytes]:
        self.calls.append("squares")
        info = self._read(data)
        self._check_decodes(data, info, max_pixels)
        return {size: f"SQ{size}:".encode() + data[:24] for size in sizes}

    @staticmethod
    def _check_decodes(data: bytes, info: MediaInfo, max_pixels: int) -> None:
        if not files.is_image(info.content_type):
            raise UnreadableImage("not an image")
        assert info.width is not None and info.height is not None
        if info.width * info.height > max_pixels:
            raise UnreadableImage("too many pixels", too_large=True)
        if b":corrupt" in data:
            raise UnreadableImage("does not decode")


class FakeSigner:
    def sign(self, message: str) -> str:
        return hashlib.sha256(b"fake-key:" + message.encode()).hexdigest()[:32]

    def verify(self, message: str, signature: str) -> bool:
        return self.sign(message) == signature


class CodeSequence:
    """Deterministic generator of invite codes or session ids: prefix + counter."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count:04d}"
