"""SQLite specifics: connection settings, concurrent writers, cancellation, query plans."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError

from adapters.sql.database import Database, sqlite_url_for
from adapters.sql.uow import SqlUnitOfWork
from discord_core.model import Channel, Member, Message, Role, Server, User, UserStatus

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
async def sqlite_db(sqlite_path: Path) -> AsyncIterator[Database]:
    db = Database.from_url(sqlite_url_for(sqlite_path), pool_size=4)
    try:
        yield db
    finally:
        await db.dispose()


def user(user_id: int, name: str) -> User:
    return User(user_id, name, f"{name}@example.com", "h", UserStatus.ONLINE, NOW, NOW)


async def seed_channel(db: Database) -> Channel:
    """User 1 owns server 10 with channel 100."""
    channel = Channel(100, 10, "general", "", 0, NOW)
    async with db.uow_factory() as uow:
        await uow.users.add(user(1, "owner"))
        await uow.servers.add(Server(10, "srv", "", 1, NOW))
        await uow.members.add(Member(10, 1, Role.OWNER, NOW))
        await uow.channels.add(channel)
        await uow.commit()
    return channel


async def pragma(uow: SqlUnitOfWork, name: str) -> Any:
    return (await uow.session.execute(text(f"PRAGMA {name}"))).scalar_one()


@pytest.mark.parametrize("read_only", [False, True])
async def test_every_connection_is_configured(sqlite_db: Database, read_only: bool) -> None:
    async with sqlite_db.uow_factory(read_only=read_only) as uow:
        assert await pragma(uow, "journal_mode") == "wal"
        assert await pragma(uow, "synchronous") == 1  # NORMAL
        assert await pragma(uow, "busy_timeout") == 5000
        assert await pragma(uow, "foreign_keys") == 1
        assert await pragma(uow, "query_only") == (1 if read_only else 0)


async def test_new_files_are_switched_to_wal_once(tmp_path: Path) -> None:
    """Several connections opening a brand-new file at once all end up in WAL mode."""
    path = tmp_path / "new.db"
    databases = [Database.from_url(sqlite_url_for(path), pool_size=2) for _ in range(4)]
    try:
        await asyncio.gather(*(db.ping() for db in databases))
        with sqlite3.connect(path) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        for db in databases:
            await db.dispose()


async def test_read_only_unit_of_work_cannot_write(sqlite_db: Database) -> None:
    async with sqlite_db.uow_factory(read_only=True) as uow:
        with pytest.raises(OperationalError, match="readonly"):
            await uow.users.add(user(5, "sneaky"))


async def test_writes_begin_immediate_reads_deferred(sqlite_db: Database) -> None:
    """A write transaction holds the write lock from its first statement, so a second
    connection cannot start writing; a read transaction takes no write lock."""
    path = sqlite_db.write_engine.url.database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        async with sqlite_db.uow_factory() as uow:
            await uow.users.get(1)  # only a read, but the transaction began IMMEDIATE
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        async with sqlite_db.uow_factory(read_only=True) as uow:
            await uow.users.get(1)
            other.execute("BEGIN IMMEDIATE")  # a reader does not hold the write lock
            other.execute("ROLLBACK")
    finally:
        other.close()


async def _select_then_insert_writers(
    databases: list[Database], writers: int, per_writer: int
) -> tuple[int, list[BaseException], float]:
    """`writers` tasks spread over `databases`, each running `per_writer` transactions that
    read the channel, count messages and insert one. Returns (ok, failures, seconds)."""
    failures: list[BaseException] = []
    ok = 0

    async def writer(index: int) -> None:
        nonlocal ok
        db = databases[index % len(databases)]
        for n in range(per_writer):
            message_id = 1_000_000 + index * 10_000 + n
            try:
                async with db.uow_factory() as uow:
                    found = await uow.channels.get_with_member(100, 1)
                    assert found is not None
                    await uow.messages.list_before(100, None, 1)
                    await uow.messages.add(
                        Message(message_id, 100, 10, 1, f"w{index} n{n}", NOW, nonce=None)
                    )
                    await uow.commit()
                ok += 1
            except Exception as exc:
                failures.append(exc)

    async def reader() -> None:
        for _ in range(per_writer):
            async with databases[0].uow_factory(read_only=True) as uow:
                await uow.messages.list_before(100, None, 50)

    started = time.perf_counter()
    await asyncio.gather(*(writer(i) for i in range(writers)), reader(), reader())
    return ok, failures, time.perf_counter() - started


async def test_concurrent_select_then_insert_writers_never_fail(sqlite_db: Database) -> None:
    """FACTS.md: a plain BEGIN failed 335/400 here with "database is locked"."""
    await seed_channel(sqlite_db)
    ok, failures, seconds = await _select_then_insert_writers([sqlite_db], 8, 50)
    print(f"\nSQLite, 8 writers x 50 transactions: {ok} ok, {len(failures)} failed, {seconds:.2f}s")
    assert failures == []
    assert ok == 400
    async with sqlite_db.uow_factory(read_only=True) as uow:
        assert len(await uow.messages.list_before(100, None, 1000)) == 400


async def test_two_databases_on_one_file_share_the_write_lock(sqlite_path: Path) -> None:
    """Two Database objects (as two processes would have) contend for the file's write lock:
    BEGIN IMMEDIATE waits in the busy handler instead of failing."""
    first = Database.from_url(sqlite_url_for(sqlite_path), pool_size=2)
    second = Database.from_url(sqlite_url_for(sqlite_path), pool_size=2)
    try:
        await seed_channel(first)
        ok, failures, seconds = await _select_then_insert_writers([first, second], 8, 25)
        print(
            f"\nSQLite, 2 engines, 8 writers x 25: {ok} ok, {len(failures)} failed, {seconds:.2f}s"
        )
        assert failures == []
        assert ok == 200
    finally:
        await first.dispose()
        await second.dispose()


async def test_cancelled_writer_releases_the_write_connection(sqlite_db: Database) -> None:
    await seed_channel(sqlite_db)
    holding = asyncio.Event()

    async def stuck_writer() -> None:
        async with sqlite_db.uow_factory() as uow:
            await uow.users.add(user(2, "cancelled"))
            holding.set()
            await asyncio.sleep(3600)

    async def slow_writer() -> None:
        async with sqlite_db.uow_factory() as uow:
            await uow.users.add(user(3, "slow"))
            # a query that runs for a while in the driver's thread
            await uow.session.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                    "WHERE i < 3000000) SELECT count(*) FROM n"
                )
            )

    task = asyncio.create_task(stuck_writer())
    await holding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    task = asyncio.create_task(slow_writer())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def next_write() -> None:
        async with sqlite_db.uow_factory() as uow:
            await uow.users.add(user(4, "next"))
            await uow.commit()

    await asyncio.wait_for(next_write(), timeout=10)
    async with sqlite_db.uow_factory(read_only=True) as uow:
        assert await uow.users.get(2) is None
        assert await uow.users.get(3) is None
        assert await uow.users.get(4) is not None


class StatementLog:
    """Records the SQL an engine sends (BEGIN / COMMIT / ROLLBACK left out)."""

    def __init__(self, db: Database) -> None:
        self.statements: list[tuple[str, Any]] = []
        self._engines = {db.write_engine.sync_engine, db.read_engine.sync_engine}
        for engine in self._engines:
            event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.statements.append((statement, params))

    def close(self) -> None:
        for engine in self._engines:
            event.remove(engine, "before_cursor_execute", self._record)


async def test_pages_and_membership_are_one_statement_and_use_the_index(
    sqlite_db: Database,
) -> None:
    channel = await seed_channel(sqlite_db)
    async with sqlite_db.uow_factory() as uow:
        for n in range(300):
            await uow.messages.add(Message(10_000 + n, channel.id, 10, 1, "m", NOW))
        await uow.commit()
    log = StatementLog(sqlite_db)
    try:
        async with sqlite_db.uow_factory(read_only=True) as uow:
            # Every send's first read goes straight to the driver: one statement, one thread
            # hop, unseen by SQLAlchemy's events.
            assert await uow.channels.get_with_member(channel.id, 1) is not None
            assert len(log.statements) == 0
            page = await uow.messages.list_before(channel.id, 10_150, 20)
            assert len(log.statements) == 1
            await uow.messages.list_after(channel.id, 10_150, 20)
            assert len(log.statements) == 2
            plans = []
            for statement, params in list(log.statements):
                result = await uow.session.connection()
                rows = await result.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                plans.append(" | ".join(str(row[-1]) for row in rows.all()))
    finally:
        log.close()
    assert [v.message.id for v in page] == list(range(10_149, 10_129, -1))
    for plan in plans:
        assert "ix_messages_channel_id_id" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # the index gives the order: no sort
