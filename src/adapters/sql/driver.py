"""Statements run straight on the driver (asyncpg, aiosqlite), for the few hot statements.

SQLAlchemy's execute path costs ~100 us of CPU per statement on PostgreSQL, and on SQLite its
aiosqlite adapter makes four thread hops per statement (cursor, execute, fetch, close); what
IDENTIFY and a message send read per request is compiled once here and run in one call (one
hop). Only for statements whose columns need no result processing beyond SQLite's text times
(`sqlite_time`); parameters are named and looked up by the compiled order.

On PostgreSQL a message's insert is also held back (`Driver.defer`) to go out with the outbox
row: one round trip where BEGIN, the insert, the outbox row and COMMIT took four.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any, Final

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as aiosqlite_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ..errors import BackendUnavailable
from .translate import translate

ASYNCPG = asyncpg_dialect()  # type: ignore[no-untyped-call]
AIOSQLITE = aiosqlite_dialect()
DIALECTS: dict[str, Any] = {"postgresql": ASYNCPG, "sqlite": AIOSQLITE}
DriverSql = tuple[str, tuple[str, ...], dict[str, Any], dict[str, Any]]
"""A statement compiled for one driver: its SQL text, its parameters' order, the values of
the parameters the statement holds itself (its literals: `coalesce(x, 0)`, `OFFSET 0`), and
the columns' own conversions of a value (SQLite's text times, booleans)."""
Compiled = dict[str, DriverSql]


def driver_sql(statement: Any, dialect: Any) -> DriverSql:
    compiled = statement.compile(dialect=dialect)
    order = tuple(compiled.positiontup or ())
    own = {
        name: compiled.params[name]
        for name in order
        if name in compiled.binds and not compiled.binds[name].required
    }
    return str(compiled), order, own, dict(compiled._bind_processors)


def driver_values(sql: DriverSql, params: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters in the compiled order (the caller's, else the statement's own), each
    converted as SQLAlchemy would have."""
    _, order, own, processors = sql
    values = []
    for name in order:
        value = params[name] if name in params else own[name]
        convert = processors.get(name)
        values.append(convert(value) if convert is not None and value is not None else value)
    return tuple(values)


def for_drivers(statement: Any) -> Compiled:
    return {name: driver_sql(statement, dialect) for name, dialect in DIALECTS.items()}


DEFERRED: Final = "concord.deferred_inserts"
"""Key in a pooled connection's `info`: the inserts `Driver.defer` holds back (PostgreSQL)."""
Deferred = tuple[str, tuple[Any, ...]]
"""A statement for asyncpg and its values in order."""
HOLDING: weakref.WeakSet[Engine] = weakref.WeakSet()
"""The engines whose statements send held-back inserts first (`engines.support_held_inserts`);
on any other, `Driver.defer` sends at once."""


class Driver:
    """The driver connection (asyncpg or aiosqlite) under a unit of work's session, looked up
    once per transaction, for the few hot statements that skip SQLAlchemy's execute; and the
    inserts deferred on it (`defer`)."""

    __slots__ = ("_connection", "_info", "_session", "_value")

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._value: tuple[str, Any] | None = None
        self._connection: AsyncConnection | None = None
        self._info: dict[Any, Any] = {}
        """The pooled connection's `info` (looked up once: the hot path checks it per call)."""

    async def get(self) -> tuple[str, Any]:
        """(dialect name, driver connection), with any deferred insert sent first: whoever
        asks is about to run a statement that may depend on it."""
        value = self._value
        if value is None:
            value = await self._connect()
        if DEFERRED in self._info:
            assert self._connection is not None
            await send_deferred(self._connection)
        return value

    async def _connect(self) -> tuple[str, Any]:
        if self._value is None:
            connection = await self._session.connection()
            raw = await connection.get_raw_connection()
            self._connection = connection
            self._info = raw.info
            self._value = (connection.dialect.name, raw.driver_connection)
        return self._value

    async def defer(self, sql: str, values: tuple[Any, ...]) -> None:
        """Hold an insert back (PostgreSQL) until the unit of work's next statement, which sends
        it first, inside the transaction (`Driver.get`, `driver_rows`, and an engine hook for
        SQLAlchemy's statements: `engines.send_deferred_first`), or until its commit. A send's
        message insert thus goes out in one statement with its outbox row, and, if the unit of
        work wrote nothing else, with no BEGIN and COMMIT of its own (one statement is its own
        transaction). Its errors (a used nonce, a deleted channel) then come from the commit.
        Leaving the unit of work without committing drops what is held back."""
        await self._connect()
        assert self._connection is not None
        if self._connection.sync_engine in HOLDING:
            self._info.setdefault(DEFERRED, []).append((sql, values))
        else:
            await send_deferred(self._connection, [(sql, values)])

    def take_deferred(self) -> list[Deferred]:
        """What is held back, now the caller's to send (the commit)."""
        return list(self._info.pop(DEFERRED, ()))

    async def send(self, held: Sequence[Deferred]) -> None:
        """Send inserts taken with `take_deferred` (and any held back since) in the transaction."""
        await self._connect()
        assert self._connection is not None
        await send_deferred(self._connection, held)

    def in_transaction(self) -> bool:
        """Whether BEGIN went out on this connection (PostgreSQL; SQLite's writer always has)."""
        if self._connection is None:
            return False
        adapted = self._connection.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
        return getattr(adapted, "_transaction", True) is not None  # SQLite's has none

    def quiet(self) -> bool:
        """Whether the unit of work's connection is checked out with no transaction on it
        (PostgreSQL, after a send that was its own transaction): closing sends nothing."""
        value = self._value
        return value is not None and value[0] == "postgresql" and not self.in_transaction()

    def forget(self) -> None:
        """The transaction ended: drop what is held back; the session may hand its connection
        back to the pool."""
        # Not once the connection is back in the pool: the info is then its next user's.
        if DEFERRED in self._info and self._connection and not self._connection.closed:
            del self._info[DEFERRED]
        self._value = None
        self._connection = None
        self._info = {}


async def send_deferred(connection: AsyncConnection, carried: Sequence[Deferred] = ()) -> None:
    """Send the held-back inserts (after `carried`, taken earlier) in the transaction."""
    pending = [*carried, *connection.info.pop(DEFERRED, ())]
    if pending:
        await send_in_transaction(await connection.get_raw_connection(), pending)


async def send_in_transaction(fairy: Any, pending: Sequence[Deferred]) -> None:
    """On a pooled connection (SQLAlchemy's `_ConnectionFairy`): BEGIN if SQLAlchemy's asyncpg
    adapter has not yet (it begins lazily, at its first statement; its own method, so that it
    then knows the transaction it commits and rolls back), then the statements."""
    adapted = fairy.dbapi_connection
    if adapted._transaction is None:
        await adapted._start_transaction()
    for sql, values in pending:
        await fairy.driver_connection.execute(sql, *values)


_SQLITE_TIME = DateTimeUTC()._cached_result_processor(AIOSQLITE, None)


def sqlite_time(value: Any) -> Any:
    """SQLite returns times as text: DateTimeUTC's own conversion, as SQLAlchemy applies it."""
    if value is None or not isinstance(value, str) or _SQLITE_TIME is None:
        return value
    return _SQLITE_TIME(value)


def sqlite_times(row: Any, *indexes: int) -> list[Any]:
    """The row with the times at these positions converted (`sqlite_time`; a no-op for
    PostgreSQL's datetimes and for NULL)."""
    values = list(row)
    for i in indexes:
        values[i] = sqlite_time(values[i])
    return values


def sqlite_fetchone(driver: Any, sql: str, params: tuple[Any, ...]) -> Any:
    """On aiosqlite's thread: one statement, its first row, in one hop."""
    return driver._conn.execute(sql, params).fetchone()


def sqlite_execute(driver: Any, sql: str, params: tuple[Any, ...]) -> None:
    """On aiosqlite's thread: one statement with no rows to read, in one hop."""
    driver._conn.execute(sql, params).close()


def sqlite_fetchall(driver: Any, sql: str, params: tuple[Any, ...]) -> Any:
    """On aiosqlite's thread: one statement, all its rows, in one hop."""
    return driver._conn.execute(sql, params).fetchall()


async def driver_rows(
    session: AsyncSession, compiled: Compiled, params: dict[str, Any]
) -> list[Any]:
    """Every row of a statement compiled by `for_drivers`, on the unit of work's connection
    (in its transaction once one has begun; a read of committed rows before that)."""
    connection = await session.connection()
    await send_deferred(connection)  # this read may depend on what is held back
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    entry = compiled[connection.dialect.name]
    sql, values = entry[0], driver_values(entry, params)
    try:
        if connection.dialect.name == "postgresql":
            return list(await driver.fetch(sql, *values))
        return list(await driver._execute(sqlite_fetchall, driver, sql, values))
    except Exception as exc:
        if _connection_lost(exc):
            # SQLAlchemy did not see this statement fail: tell it the connection is dead, so
            # the unit of work's rollback and the pool skip it (else the checkout ping would).
            await connection.invalidate(exc)
        raise


def _connection_lost(exc: BaseException) -> bool:

    return isinstance(translate(exc), BackendUnavailable)
