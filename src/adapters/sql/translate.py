"""Turn driver and SQLAlchemy errors into the errors the rest of the program understands.

- a unique violation of a constraint the core knows -> `discord_core.errors.DuplicateKey(name)`
- a foreign key violation (the parent row was deleted by a concurrent transaction)
  -> `discord_core.errors.MissingParent(constraint)`
- a deadlock or a serialization failure (PostgreSQL SQLSTATE class 40)
  -> `discord_core.errors.TransactionConflict` (`SqlUnitOfWorkFactory.run` retries it)
- the database cannot be reached, was restarted, is starting up, is locked past the busy
  timeout, or the pool is exhausted -> `adapters.errors.BackendUnavailable`
- the database or role does not exist (never created, or dropped under a running app), or the
  password is wrong -> `BackendRefused` (a `BackendUnavailable` that retrying will not cure)
- a value the database cannot store (NUL in PostgreSQL text, an integer outside BIGINT)
  -> `adapters.errors.InvalidData` (a ValueError)
- anything else is left as it is.

Repositories and the unit of work wrap every public coroutine with `translated()`.
"""

from __future__ import annotations

import functools
import inspect
import re
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Final, ParamSpec, TypeVar

from sqlalchemy import exc as sa_exc

from discord_core.errors import DuplicateKey, MissingParent, TransactionConflict

from ..errors import BackendRefused, BackendUnavailable, InvalidData

try:  # asyncpg is only needed for PostgreSQL
    import asyncpg.exceptions as _pg

    _PG_UNAVAILABLE: tuple[type[BaseException], ...] = (
        _pg.PostgresConnectionError,  # SQLSTATE 08xxx
        _pg.OperatorInterventionError,  # 57xxx: admin shutdown, cannot connect now, ...
        _pg.InsufficientResourcesError,  # 53xxx: too many connections, disk full, ...
        _pg.InterfaceError,  # connection closed / released mid-operation
        _pg.InternalClientError,
    )
    _PG_BAD_DATA: tuple[type[BaseException], ...] = (_pg.DataError,)
    _PG_REFUSED: tuple[type[BaseException], ...] = (
        _pg.InvalidCatalogNameError,  # 3D000: the database does not exist
        _pg.InvalidAuthorizationSpecificationError,  # 28xxx: no such role, wrong password
    )
    _PG_CONFLICT: tuple[type[BaseException], ...] = (_pg.TransactionRollbackError,)  # 40xxx
    _PG_FOREIGN_KEY: tuple[type[BaseException], ...] = (_pg.ForeignKeyViolationError,)
    _PG_INTEGRITY: tuple[type[BaseException], ...] = (_pg.IntegrityConstraintViolationError,)
except ImportError:  # pragma: no cover
    _PG_UNAVAILABLE = ()
    _PG_BAD_DATA = ()
    _PG_REFUSED = ()
    _PG_CONFLICT = ()
    _PG_FOREIGN_KEY = ()
    _PG_INTEGRITY = ()

# PostgreSQL names the violated constraint; the names are fixed in models.py.
_PG_CONSTRAINTS: Final = {
    "uq_users_username": "username",
    "uq_users_email": "email",
    "pk_members": "member",
    "uq_messages_author_id_nonce": "nonce",
    "pk_invites": "invite_code",
    "pk_bans": "ban",
}
# SQLite names the columns: "UNIQUE constraint failed: members.server_id, members.user_id".
_SQLITE_COLUMNS: Final = {
    "users.username": "username",
    "users.email": "email",
    "members.server_id, members.user_id": "member",
    "messages.author_id, messages.nonce": "nonce",
    "invites.code": "invite_code",
    "bans.server_id, bans.user_id": "ban",
}
_PG_NAME_RE: Final = re.compile(r'unique constraint "([^"]+)"')
_SQLITE_RE: Final = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the DBAPI error it wraps, and their explicit causes (driver errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__


def duplicate_key_name(exc: sa_exc.IntegrityError) -> str | None:
    for cause in _causes(exc):
        name = getattr(cause, "constraint_name", None)
        if isinstance(name, str) and name in _PG_CONSTRAINTS:
            return _PG_CONSTRAINTS[name]
    text = str(exc.orig)
    if (match := _PG_NAME_RE.search(text)) is not None:
        return _PG_CONSTRAINTS.get(match.group(1))
    if (match := _SQLITE_RE.search(text)) is not None:
        return _SQLITE_COLUMNS.get(match.group(1).strip())
    return None


# SQLite OperationalErrors that are bugs in our SQL, not an unavailable database.
_SQLITE_BUGS: Final = ("readonly database", "syntax error", "no such column")


def foreign_key_name(exc: sa_exc.IntegrityError) -> str | None:
    """The violated foreign key ("" when the driver does not name it), or None."""
    for cause in _causes(exc):
        if isinstance(cause, _PG_FOREIGN_KEY):
            return str(getattr(cause, "constraint_name", "") or "")
    if "FOREIGN KEY constraint failed" in str(exc.orig):  # SQLite names none
        return ""
    return None


def _is_conflict(exc: BaseException) -> bool:
    return any(isinstance(cause, _PG_CONFLICT) for cause in _causes(exc))


def _as_sqlalchemy_error(exc: BaseException) -> BaseException:
    """A driver's own error (from the hot statements that run straight on the driver, and
    SQLite's BEGIN) as SQLAlchemy would have wrapped it, so one set of rules reads both."""
    if isinstance(exc, sqlite3.Error):
        return sa_exc.DBAPIError.instance(None, None, exc, sqlite3.Error)
    if isinstance(exc, _PG_INTEGRITY):
        return sa_exc.IntegrityError(None, None, exc)
    return exc


def translate(exc: BaseException) -> BaseException | None:
    """The error to raise instead of `exc`, or None to keep `exc`."""
    exc = _as_sqlalchemy_error(exc)
    if isinstance(
        exc, DuplicateKey | MissingParent | TransactionConflict | BackendUnavailable | InvalidData
    ):
        return None
    for cause in _causes(exc):
        if isinstance(cause, _PG_REFUSED):
            return BackendRefused(f"the database refused the connection: {cause}")
    if isinstance(exc, sa_exc.IntegrityError):
        name = duplicate_key_name(exc)
        if name is not None:
            return DuplicateKey(name)
        parent = foreign_key_name(exc)
        return MissingParent(parent) if parent is not None else None
    if _is_conflict(exc):  # SQLAlchemy's error or the driver's own (the outbox's raw calls)
        return TransactionConflict(str(getattr(exc, "orig", exc)))
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return BackendUnavailable(f"database connection lost: {exc.orig}")
    if isinstance(exc, sa_exc.OperationalError):
        if any(bug in str(exc.orig) for bug in _SQLITE_BUGS):
            return None
        return BackendUnavailable(f"database unavailable: {exc.orig}")
    if isinstance(exc, sa_exc.InterfaceError):
        return BackendUnavailable(f"database unavailable: {exc.orig}")
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection became free in time
        return BackendUnavailable(f"database busy: {exc}")
    if isinstance(exc, sa_exc.DataError):
        return InvalidData(f"the database refused a value: {exc.orig}")
    if isinstance(exc, OverflowError):  # sqlite3: int too large for INTEGER
        return InvalidData(str(exc))
    # Anything else whose cause is a lost connection: SQLAlchemy's errors, the driver's own,
    # and the DBAPI adapter's (the outbox calls the driver directly).
    for cause in _causes(exc):
        # OSError: refused or reset connections, TimeoutError while connecting.
        if isinstance(cause, (OSError, *_PG_UNAVAILABLE)):
            return BackendUnavailable(f"database unavailable: {cause!r}")
        if isinstance(cause, _PG_BAD_DATA):
            return InvalidData(f"the database refused a value: {cause}")
    return None


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        replacement = translate(exc)
        if replacement is None:
            raise
        raise replacement from exc


P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)


def translating(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translated():
            return await fn(*args, **kwargs)

    return wrapper


def translate_public_methods(cls: C) -> C:
    """Class decorator: wrap every public coroutine method with `translated()`."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            setattr(cls, name, translating(member))
    return cls
