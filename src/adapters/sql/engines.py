"""Engine construction for SQLite (aiosqlite) and PostgreSQL (asyncpg).

SQLite: every connection runs with WAL, synchronous=NORMAL, busy_timeout=5000 and
foreign_keys=ON. The driver's own transaction handling is switched off (isolation_level=None)
and SQLAlchemy's "begin" event emits BEGIN itself (the documented pysqlite/aiosqlite recipe):
BEGIN IMMEDIATE on the write engine, so a writer takes the write lock before its first read and
can never fail later with "database is locked" on a lock upgrade; a deferred BEGIN on the read
engine, whose connections are also `query_only`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.util import await_

from .driver import DEFERRED, HOLDING, send_in_transaction, sqlite_execute

Dialect = Literal["sqlite", "postgresql"]

SQLITE_BUSY_TIMEOUT_MS: Final = 5000
PG_CONNECT_TIMEOUT_S: Final = 5.0
POOL_TIMEOUT_S: Final = 30.0


def sqlite_url_for(path: Path) -> str:
    """The async SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{Path(path).resolve()}"


def normalize_url(url: str | URL) -> tuple[URL, Dialect]:
    """Accept sqlite / postgresql URLs with or without a driver; return the async one."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or "mode=memory" in str(parsed):
            raise ValueError("use a SQLite file: the in-memory database is not shared")
        return parsed.set(drivername="sqlite+aiosqlite"), "sqlite"
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg"), "postgresql"
    raise ValueError(f"unsupported database URL (sqlite or postgresql only): {parsed!r}")


def _sqlite_connect_hook(*, query_only: bool, foreign_keys: bool) -> Any:
    pragmas = [
        "PRAGMA synchronous=NORMAL",
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
    ]
    if query_only:
        pragmas.append("PRAGMA query_only=ON")

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # WAL is a property of the file: set it once. Several connections switching a new
            # file at the same moment get "database is locked" without the busy handler;
            # the one that wins converts the file for everybody.
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":
                try:
                    cursor.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc):
                        raise
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return on_connect


def _on_sqlite_invalidate(dbapi_connection: Any, _record: Any, _exception: Any) -> None:
    """Make sure a discarded connection lets go of the write lock at once.

    When a task is cancelled in the middle of a statement, SQLAlchemy invalidates the
    connection and closes it. Python's sqlite3 closes with sqlite3_close_v2, which keeps a
    connection with unfinalised statements alive as a "zombie" (the cancelled cursor lingers in
    a traceback until the garbage collector runs) together with its open BEGIN IMMEDIATE, so
    every later write waits out busy_timeout and fails (seen with aiosqlite 0.22 and
    SQLAlchemy 2.1). So: interrupt the running statement, and queue a ROLLBACK on aiosqlite's
    worker thread ahead of the close SQLAlchemy is about to queue (the `_tx` queue is the one
    SQLAlchemy's own aiosqlite adapter uses for its isolation_level setter).
    """
    driver = getattr(dbapi_connection, "driver_connection", None)
    raw = getattr(driver, "_connection", None)
    queue = getattr(driver, "_tx", None)
    if not isinstance(raw, sqlite3.Connection) or queue is None:
        return
    raw.interrupt()

    def release() -> None:
        with contextlib.suppress(sqlite3.Error):
            if raw.in_transaction:
                raw.execute("ROLLBACK")

    queue.put_nowait((None, release))


def create_sqlite_engine(
    url: URL,
    *,
    immediate: bool,
    query_only: bool = False,
    foreign_keys: bool = True,
    pool_size: int = 1,
    max_overflow: int = 0,
    null_pool: bool = False,
) -> AsyncEngine:
    pool: dict[str, Any] = (
        {"poolclass": NullPool}
        if null_pool
        else {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": POOL_TIMEOUT_S}
    )
    engine = create_async_engine(
        url,
        hide_parameters=True,  # errors and logs never show values (emails, hashes, tokens)
        # The driver must not BEGIN on its own; the "begin" listener below does.
        connect_args={
            "isolation_level": None,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        },
        **pool,
    )
    event.listen(
        engine.sync_engine,
        "connect",
        _sqlite_connect_hook(query_only=query_only, foreign_keys=foreign_keys),
    )
    event.listen(engine.sync_engine.pool, "invalidate", _on_sqlite_invalidate)
    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    def on_begin(connection: Any) -> None:
        # Straight on aiosqlite's thread: one hop, where exec_driver_sql makes three (cursor,
        # execute, close) and builds an execution context; every unit of work pays this.
        # An error ("database is locked") is raised as sqlite3's own, as it would be there.
        driver = connection.connection.driver_connection
        await_(driver._execute(sqlite_execute, driver, begin, ()))

    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def create_postgres_engine(url: URL, *, pool_size: int, null_pool: bool = False) -> AsyncEngine:
    pool: dict[str, Any] = (
        {"poolclass": NullPool}
        if null_pool
        else {
            "pool_size": pool_size,
            "max_overflow": 0,
            "pool_timeout": POOL_TIMEOUT_S,
            # pool_pre_ping is off: _ping_on_checkout tests each connection more cheaply.
        }
    )
    engine = create_async_engine(
        url,
        hide_parameters=True,  # errors and logs never show values (emails, hashes, tokens)
        connect_args={
            "timeout": PG_CONNECT_TIMEOUT_S,
            # NOTICEs reach the client: the outbox's numbers come that way at COMMIT.
            "server_settings": {"application_name": "concord", "client_min_messages": "notice"},
        },
        **pool,
    )

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        from .outbox import listen_for_numbers

        listen_for_numbers(dbapi_connection.driver_connection)

    event.listen(engine.sync_engine, "connect", on_connect)
    if not null_pool:
        event.listen(engine.sync_engine.pool, "checkout", _ping_on_checkout)
    return engine


def support_held_inserts(engine: AsyncEngine) -> None:
    """For the units of work on a PostgreSQL engine (`driver.Driver.defer`): SQLAlchemy's
    statements send what is held back first, and a pooled connection never keeps any."""
    event.listen(engine.sync_engine, "before_cursor_execute", send_deferred_first)
    event.listen(engine.sync_engine.pool, "checkin", _drop_deferred)
    HOLDING.add(engine.sync_engine)


def send_deferred_first(connection: Any, *_statement: Any) -> None:
    """Before each of SQLAlchemy's statements: send the inserts a unit of work held back on
    this connection (`driver.Driver.defer`), in its transaction, so the statement sees them."""
    if connection.info.get(DEFERRED):
        await_(send_in_transaction(connection.connection, connection.info.pop(DEFERRED)))


def _drop_deferred(_dbapi_connection: Any, record: Any) -> None:
    """A connection back in the pool carries nothing held back into its next checkout (the
    unit of work drops it on every exit; this is the pool's guarantee of the same)."""
    if record is not None:
        record.info.pop(DEFERRED, None)


def _ping_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A restarted PostgreSQL leaves dead connections in the pool: test each one as it is
    checked out, and let the pool replace a dead one (SQLAlchemy's documented "pessimistic"
    recipe). One round trip (`SELECT 1`, outside any transaction) where `pool_pre_ping` makes
    three on asyncpg (BEGIN, `;`, ROLLBACK, for pgbouncer's transaction mode), on every request."""
    try:
        await_(dbapi_connection.driver_connection.execute("SELECT 1"))
    except Exception as exc:
        raise DisconnectionError(f"pooled connection is dead: {exc}") from exc
