"""How database failures reach the rest of the program: BackendUnavailable (503) for an
unreachable or restarting database, InvalidData (a ValueError) for values it refuses."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.errors import BackendUnavailable, InvalidData
from adapters.sql.database import Database, sqlite_url_for
from discord_core.errors import DuplicateKey, MissingParent
from discord_core.model import Channel, Member, Message, Role, Server, User, UserStatus
from discord_core.ports import UnitOfWork

from .conftest import empty_all_tables

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def user(user_id: int, name: str) -> User:
    return User(user_id, name, f"{name}@example.com", "h", UserStatus.ONLINE, NOW, NOW)


def closed_port() -> int:
    """A local TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def unreachable_postgres() -> AsyncIterator[Database]:
    db = Database.from_url(f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere")
    try:
        yield db
    finally:
        await db.dispose()


async def test_unreachable_postgres_is_backend_unavailable(
    unreachable_postgres: Database,
) -> None:
    with pytest.raises(BackendUnavailable):
        await unreachable_postgres.ping()
    with pytest.raises(BackendUnavailable):
        async with unreachable_postgres.uow_factory(read_only=True) as uow:
            await uow.users.get(1)
    with pytest.raises(BackendUnavailable):
        await unreachable_postgres.upgrade()


async def test_ping_gives_up_after_its_time_limit() -> None:
    """A server that accepts TCP connections but never answers."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    db = Database.from_url(f"postgresql://postgres@127.0.0.1:{port}/silent")
    try:
        with pytest.raises(BackendUnavailable):
            await db.ping(within=0.5)
    finally:
        await db.dispose()
        server.close()


async def test_unopenable_sqlite_file_is_backend_unavailable(tmp_path: Path) -> None:
    directory = tmp_path / "a-directory.db"
    directory.mkdir()
    db = Database.from_url(sqlite_url_for(directory))
    try:
        with pytest.raises(BackendUnavailable):
            await db.ping()
        with pytest.raises(BackendUnavailable):
            async with db.uow_factory() as uow:
                await uow.users.get(1)
    finally:
        await db.dispose()


async def test_sqlite_locked_past_busy_timeout_is_backend_unavailable(sqlite_path: Path) -> None:
    """Another process holding the write lock for longer than busy_timeout (5 s)."""
    import sqlite3

    db = Database.from_url(sqlite_url_for(sqlite_path))
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(BackendUnavailable, match="locked"):
            async with db.uow_factory() as uow:
                await uow.users.add(user(1, "waiting"))
        other.execute("ROLLBACK")
        async with db.uow_factory() as uow:  # and it recovers once the lock is gone
            await uow.users.add(user(1, "waiting"))
            await uow.commit()
    finally:
        other.close()
        await db.dispose()


@pytest.mark.postgres
async def test_postgres_connection_killed_mid_transaction(migrated_postgres_url: str) -> None:
    """A PostgreSQL restart or a failover drops connections: the transaction in flight fails
    with BackendUnavailable, and the next one works (the checkout ping replaces dead
    connections)."""
    db = Database.from_url(migrated_postgres_url, pool_size=2)
    admin = await asyncpg.connect(
        migrated_postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        await db.ping()
        async with db.uow_factory() as uow:
            pid = (await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises(BackendUnavailable):
                await uow.users.get(1)
        # kill every idle pooled connection between two requests: the checkout ping hides it
        async with db.uow_factory() as uow:
            await uow.users.get(1)
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await asyncio.sleep(0.1)
        async with db.uow_factory(read_only=True) as uow:
            assert await uow.users.get(1) is None
    finally:
        await admin.close()
        await db.dispose()


async def _seed(db: Database) -> None:
    async with db.uow_factory() as uow:
        await uow.users.add(user(1, "owner"))
        await uow.servers.add(Server(10, "srv", "", 1, NOW))
        await uow.members.add(Member(10, 1, Role.OWNER, NOW))
        await uow.channels.add(Channel(100, 10, "general", "", 0, NOW))
        await uow.commit()


@pytest.mark.parametrize(
    "lookup",
    [
        pytest.param(lambda uow: uow.users.get(2**63), id="get"),
        pytest.param(lambda uow: uow.messages.list_before(100, 2**64, 10), id="page"),
        pytest.param(lambda uow: uow.users.add(user(2**63, "huge")), id="insert"),
    ],
)
async def test_ids_beyond_bigint_are_invalid_data(
    database: Database, lookup: Callable[..., object]
) -> None:
    await _seed(database)
    async with database.uow_factory() as uow:
        with pytest.raises(InvalidData):
            await lookup(uow)  # type: ignore[misc]
    async with database.uow_factory(read_only=True) as uow:  # still usable afterwards
        assert await uow.users.get(1) is not None


async def _add_and_commit(uow: UnitOfWork, message: Message) -> None:
    await uow.messages.add(message)
    await uow.commit()


async def test_nul_in_text(database: Database) -> None:
    """PostgreSQL refuses NUL in text (InvalidData, not a 500); SQLite stores it."""
    await _seed(database)
    message = Message(1000, 100, 10, 1, "before\x00after", NOW)
    async with database.uow_factory() as uow:
        if database.dialect == "postgresql":
            with pytest.raises(InvalidData):  # from the add, or the commit it goes out with
                await _add_and_commit(uow, message)
        else:
            await uow.messages.add(message)
            await uow.commit()
    async with database.uow_factory(read_only=True) as uow:
        stored = await uow.messages.get(1000)
    if database.dialect == "postgresql":
        assert stored is None
    else:
        assert stored is not None
        assert stored.message.content == "before\x00after"


async def test_a_write_under_a_vanished_parent_is_missing_parent(database: Database) -> None:
    """A message into a channel that a concurrent transaction deleted: not a 500 but the
    core's MissingParent, which the use case answers with 404."""
    await _seed(database)
    async with database.uow_factory() as uow:
        with pytest.raises(MissingParent):  # from the add, or the commit it goes out with
            await _add_and_commit(uow, Message(1000, 999, 10, 1, "orphan", NOW))
    async with database.uow_factory(read_only=True) as uow:
        assert await uow.messages.get(1000) is None


@pytest.mark.postgres
async def test_deadlocks_are_conflicts_and_run_retries_them(migrated_postgres_url: str) -> None:
    """Two transactions locking two users in opposite orders deadlock; PostgreSQL aborts one,
    `run` runs it again, and both end up committed."""
    db = Database.from_url(migrated_postgres_url, pool_size=4)
    await empty_all_tables(db)
    async with db.uow_factory() as uow:
        await uow.users.add(user(1, "one"))
        await uow.users.add(user(2, "two"))
        await uow.commit()
    holding = {1: asyncio.Event(), 2: asyncio.Event()}
    runs = {1: 0, 2: 0}

    def crossing(first: int, second: int) -> Callable[[UnitOfWork], Awaitable[int]]:
        async def work(uow: UnitOfWork) -> int:
            runs[first] += 1
            await uow.users.lock(first)
            if runs[first] == 1:  # only the first run waits for the other to hold its lock
                holding[first].set()
                await holding[second].wait()
            await uow.users.lock(second)
            return first

        return work

    try:
        results = await asyncio.wait_for(
            asyncio.gather(db.uow_factory.run(crossing(1, 2)), db.uow_factory.run(crossing(2, 1))),
            timeout=20,
        )
        assert sorted(results) == [1, 2]
        # One deadlock at least; on a loaded machine a retry may collide once more. Every
        # conflict was a run that rolled back and ran again, and both ended up committed.
        conflicts = db.uow_factory.conflicts
        assert conflicts >= 1
        assert sum(runs.values()) == 2 + conflicts
        assert max(runs.values()) >= 2
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_dropped_database_is_backend_unavailable(
    postgres_database_factory: Callable[[], str],
) -> None:
    url = postgres_database_factory()
    db = Database.from_url(url, pool_size=2)
    parsed = make_url(url)
    name = parsed.database
    maintenance = parsed.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(maintenance.render_as_string(hide_password=False))
    try:
        await db.upgrade()
        await db.ping()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        with pytest.raises(BackendUnavailable):
            await db.ping()
        with pytest.raises(BackendUnavailable):
            async with db.uow_factory(read_only=True) as uow:
                await uow.users.get(1)
        with pytest.raises(BackendUnavailable):
            await db.uow_factory.run(lambda uow: uow.users.lock(1))
    finally:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')  # the run's clean-up drops it
        await admin.close()
        await db.dispose()


def test_driver_errors_read_like_the_wrapped_ones() -> None:
    """Statements run straight on the driver (and SQLite's BEGIN) raise the driver's own
    errors, not SQLAlchemy's: they become the same errors the use cases understand."""
    import sqlite3

    from adapters.sql.translate import translate

    dup = translate(
        sqlite3.IntegrityError("UNIQUE constraint failed: messages.author_id, messages.nonce")
    )
    assert isinstance(dup, DuplicateKey) and dup.constraint == "nonce"
    parent = translate(sqlite3.IntegrityError("FOREIGN KEY constraint failed"))
    assert isinstance(parent, MissingParent)
    assert isinstance(translate(sqlite3.OperationalError("database is locked")), BackendUnavailable)
    assert translate(sqlite3.OperationalError("near 'x': syntax error")) is None
    pg = asyncpg.exceptions.UniqueViolationError("duplicate key")
    pg.constraint_name = "uq_messages_author_id_nonce"  # type: ignore[attr-defined]
    found = translate(pg)
    assert isinstance(found, DuplicateKey) and found.constraint == "nonce"
