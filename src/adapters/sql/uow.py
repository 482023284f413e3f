"""The SQLAlchemy unit of work: one AsyncSession, one transaction."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from discord_core.errors import Conflict, TransactionConflict
from discord_core.events import Event
from discord_core.ports import (
    AttachmentRepository,
    AuditLogRepository,
    AuthSessionRepository,
    BanRepository,
    BlockRepository,
    BotRepository,
    ChannelRepository,
    EventPublisher,
    FileDeletionRepository,
    InviteRepository,
    MemberRepository,
    MessageRepository,
    MessageSearchIndex,
    NotificationSettingRepository,
    ReactionRepository,
    ReadStateRepository,
    ServerRepository,
    TopicRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    UserRepository,
)

from ..wire import Envelope
from .driver import Driver
from .outbox import Outbox, Pending
from .reads import SqlNotificationSettingRepository, SqlReadStateRepository
from .repositories import (
    SqlAttachmentRepository,
    SqlAuditLogRepository,
    SqlAuthSessionRepository,
    SqlBanRepository,
    SqlBlockRepository,
    SqlBotRepository,
    SqlChannelRepository,
    SqlFileDeletionRepository,
    SqlInviteRepository,
    SqlMemberRepository,
    SqlMessageRepository,
    SqlReactionRepository,
    SqlServerRepository,
    SqlTopicRepository,
    SqlUserRepository,
)
from .search import SqlMessageSearch
from .translate import translated

log = logging.getLogger(__name__)
T = TypeVar("T")

ATTEMPTS = 6
"""Runs of a transaction aborted by a concurrent one (deadlock, serialization failure)."""
BACKOFF_S = 0.005
"""The first retry waits up to this long; each next one up to twice as long (full jitter)."""


class SqlUnitOfWork:
    """`async with uow:` opens a session; the transaction begins with the first statement
    (on SQLite's write engine with BEGIN IMMEDIATE). Leaving the block without `commit()` rolls
    back, also after an error (a DuplicateKey on PostgreSQL leaves the transaction aborted; the
    rollback clears it) and on cancellation (the connection always goes back to the pool).

    After a DuplicateKey (or any failed write) the unit of work accepts no more statements
    on either database: leave the block, as the use cases do, and start a new one.
    """

    # Typed as the ports: mypy checks here that each SQL repository implements its Protocol.
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

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        read_only: bool,
        outbox: Outbox | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.read_only = read_only
        self._session: AsyncSession | None = None
        self._outbox = outbox
        self.recorded: list[Event] = []
        self.committed: list[Event] = []
        self.sequenced: list[Envelope] = []
        """The recorded events as the outbox wrote them, once committed (for publishing)."""

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work can be entered only once at a time")
        session = self._sessionmaker()
        self._session = session
        self._driver = driver = Driver(session)
        self.users = SqlUserRepository(session, driver)
        self.bots = SqlBotRepository(session, driver)
        self.sessions = SqlAuthSessionRepository(session, driver)
        self.servers = SqlServerRepository(session, driver)
        self.members = SqlMemberRepository(session, driver)
        self.channels = SqlChannelRepository(session, driver)
        messages = SqlMessageRepository(session, driver)
        self.messages = messages
        self.invites = SqlInviteRepository(session, driver)
        self.bans = SqlBanRepository(session, driver)
        self.audit_log = SqlAuditLogRepository(session, driver)
        self.search = SqlMessageSearch(session, messages.views)
        self.reactions = SqlReactionRepository(session, driver)
        self.blocks = SqlBlockRepository(session, driver)
        self.read_states = SqlReadStateRepository(session)
        self.notification_settings = SqlNotificationSettingRepository(session)
        self.attachments = SqlAttachmentRepository(session, driver)
        self.file_deletions = SqlFileDeletionRepository(session, driver)
        self.topics = SqlTopicRepository(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        quiet = not session.in_transaction() or self._driver.quiet()
        self._driver.forget()  # an insert held back and not committed is dropped
        if quiet:  # nothing to roll back: the close sends nothing, so it cannot be cut short
            await session.close()
            return
        # close() rolls back whatever was not committed and returns the connection to the
        # pool. Shielded: a cancelled request must not leak the connection (SQLite has one
        # write connection; leaking it would stall every later write).
        closing = asyncio.ensure_future(session.close())
        closing.add_done_callback(_consume_result)
        try:
            await asyncio.shield(closing)
        except asyncio.CancelledError:
            raise  # the close goes on in its own task
        except Exception:
            if exc is None:
                with translated():
                    raise
            log.warning("closing a failed unit of work failed too", exc_info=True)

    async def commit(self) -> None:
        """Write the recorded events to the outbox (the last statement), then COMMIT.

        On PostgreSQL COMMIT gives the events their numbers (a deferred trigger): it is sent
        on the driver's connection while the session still holds it, the numbers are read
        back on the same connection, and the session's own commit then has nothing left to do.
        An insert held back (`Driver.defer`) goes out with the outbox rows; if nothing else
        was written, that one statement is the whole transaction (no BEGIN, no COMMIT).
        """
        session = self.session  # RuntimeError outside `async with`
        committed = False
        try:
            with translated():
                held = self._driver.take_deferred()
                if self.recorded and self._outbox is not None:
                    written = await self._outbox.write(self._driver, self.recorded, held)
                    if isinstance(written, Pending):
                        if not written.committed:
                            connection = await session.connection()
                            await connection.run_sync(_commit_driver)
                        committed = True
                        self.sequenced = await self._outbox.numbered(written)
                    else:
                        self.sequenced = written
                elif held:
                    await self._driver.send(held)
                if not committed:
                    await session.commit()
                # else: the transaction is over on the driver; closing the session finds
                # nothing to roll back (cheaper than the session's commit bookkeeping).
        finally:
            self._driver.forget()
        self.committed, self.recorded = self.recorded, []

    async def rollback(self) -> None:
        self.recorded = []
        self._driver.forget()
        with translated():
            await self.session.rollback()

    def record(self, events: Iterable[Event]) -> None:
        self.recorded.extend(events)


def _commit_driver(connection: Connection) -> None:
    """COMMIT on the DBAPI connection under the session's transaction; the session's commit
    then finds nothing to commit (the driver's transaction is over)."""
    connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]


def _consume_result(task: asyncio.Future[None]) -> None:
    """Mark the close's outcome as seen (it is reported by whoever awaited it, if anyone)."""
    if not task.cancelled():
        task.exception()


class SqlUnitOfWorkFactory:
    """`factory(read_only=...)` -> a new SqlUnitOfWork.

    On SQLite, writers (read_only=False) share one connection that begins with BEGIN IMMEDIATE,
    so they queue in the pool instead of failing with "database is locked"; readers use their
    own pool with deferred BEGIN. On PostgreSQL both use the same pool.
    """

    def __init__(
        self,
        write: async_sessionmaker[AsyncSession],
        read: async_sessionmaker[AsyncSession] | None = None,
        *,
        events: EventPublisher | None = None,
        attempts: int = ATTEMPTS,
    ) -> None:
        self._write = write
        self._read = read if read is not None else write
        self.events = events
        """Where `run` publishes what a committed transaction recorded when there is no
        outbox (adapter tests)."""
        self.outbox: Outbox | None = None
        """Writes recorded events with the change (the composition root sets it)."""
        self.send: Callable[[list[Envelope]], Awaitable[None]] | None = None
        """Publishes the outbox's envelopes right after COMMIT (the event bus's `send`)."""
        self.attempts = attempts
        self.conflicts = 0
        """Transactions run again after a deadlock or serialization failure (for metrics)."""

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if read_only:
            return SqlUnitOfWork(self._read, read_only=True)
        return SqlUnitOfWork(self._write, read_only=False, outbox=self.outbox)

    async def run(self, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """See `ports.UnitOfWorkFactory.run`. A conflict rolls back; the next run waits a
        random time up to BACKOFF_S * 2**n first, so colliding writers spread out."""
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(random.uniform(0, BACKOFF_S * 2**attempt))
            uow = self()
            try:
                async with uow:
                    result = await work(uow)
                    await uow.commit()
            except TransactionConflict as exc:
                self.conflicts += 1
                log.info("transaction conflict (run %d of %d): %s", attempt + 1, self.attempts, exc)
                continue
            if uow.sequenced and self.send is not None:
                await self.send(uow.sequenced)
            elif uow.committed and self.outbox is None and self.events is not None:
                await self.events.publish(uow.committed)
            return result
        raise Conflict("Too many concurrent changes; try again.", code="conflict")


if TYPE_CHECKING:  # the adapter implements the core's ports exactly
    _uow: type[UnitOfWork] = SqlUnitOfWork
    _factory: type[UnitOfWorkFactory] = SqlUnitOfWorkFactory
