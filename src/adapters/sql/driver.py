"""Statements run straight on the driver (asyncpg, aiosqlite), for the few hot reads.

SQLAlchemy's execute path costs ~100 us of CPU per statement on PostgreSQL, and on SQLite its
aiosqlite adapter makes four thread hops per statement (cursor, execute, fetch, close); what
IDENTIFY and a message send read per request is compiled once here and run in one call (one
hop). Only for statements whose columns need no result processing beyond SQLite's text times
(`sqlite_time`); parameters are named and looked up by the compiled order.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as aiosqlite_dialect
from sqlalchemy.ext.asyncio import AsyncSession

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
