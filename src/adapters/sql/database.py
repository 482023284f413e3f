"""`Database`: the engines, the unit-of-work factory, health check and migrations for one URL."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ..errors import BackendUnavailable
from . import migrate
from .engines import (
    Dialect,
    create_postgres_engine,
    create_sqlite_engine,
    normalize_url,
    sqlite_url_for,
    support_held_inserts,
)
from .translate import translated
from .uow import SqlUnitOfWorkFactory

__all__ = ["Database", "sqlite_url_for"]


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def make_private_sqlite_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (it holds password hashes and
    emails), in a folder only its owner can enter when the folder is new. SQLite gives the
    -wal and -shm files it creates the database file's mode; files left readable by an older
    version are tightened."""
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    for file in (path, *(path.with_name(path.name + end) for end in SQLITE_COMPANIONS)):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if file.stat().st_mode & 0o077:
                file.chmod(PRIVATE_FILE_MODE)


def _sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class Database:
    """One database (SQLite file or PostgreSQL), built by `Database.from_url`.

    SQLite gets two engines on the same file: a write engine with one connection whose
    transactions begin with BEGIN IMMEDIATE (writers queue on the pool, never on the file lock)
    and a read engine with `pool_size` connections, deferred BEGIN and `query_only`; WAL lets
    them read while a write is in progress. PostgreSQL gets one pool of `pool_size` connections
    each tested as it is checked out (one `SELECT 1`), so the first request after a server
    restart does not fail.
    """

    def __init__(self, url: URL, dialect: Dialect, write: AsyncEngine, read: AsyncEngine) -> None:
        self._url = url
        self._dialect: Dialect = dialect
        self.write_engine = write
        self.read_engine = read
        self.uow_factory = SqlUnitOfWorkFactory(
            _sessionmaker(write), _sessionmaker(read) if read is not write else None
        )

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10) -> Database:
        """`sqlite[+aiosqlite]:///path` or `postgresql[+asyncpg]://...` (drivers are added)."""
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        parsed, dialect = normalize_url(url)
        if dialect == "sqlite":
            assert parsed.database is not None
            make_private_sqlite_file(Path(parsed.database))
            write = create_sqlite_engine(parsed, immediate=True, pool_size=1, max_overflow=0)
            read = create_sqlite_engine(
                parsed, immediate=False, query_only=True, pool_size=pool_size, max_overflow=0
            )
            return cls(parsed, dialect, write, read)
        engine = create_postgres_engine(parsed, pool_size=pool_size)
        support_held_inserts(engine)
        return cls(parsed, dialect, engine, engine)

    @property
    def url(self) -> str:
        """The URL with the async driver (password hidden)."""
        return self._url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    async def ping(self, within: float = 5.0) -> None:
        """SELECT 1; raise BackendUnavailable when the database does not answer `within` s."""
        try:
            async with asyncio.timeout(within):
                with translated():
                    async with self.read_engine.connect() as connection:
                        await connection.execute(text("SELECT 1"))
        except TimeoutError as exc:
            raise BackendUnavailable(f"the database did not answer within {within} s") from exc

    async def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to `revision`. Safe inside a running event loop and
        with several instances starting at once."""
        with translated():
            await migrate.run_command(self._url, "upgrade", revision)

    async def downgrade(self, revision: str = "base") -> None:
        with translated():
            await migrate.run_command(self._url, "downgrade", revision)

    async def current_revision(self) -> str | None:
        """The revision the database is at (None when it was never migrated)."""
        with translated():
            async with self.read_engine.connect() as connection:
                return await connection.run_sync(migrate.current_revision_sync)

    @staticmethod
    def head_revision() -> str | None:
        """The newest revision the code knows."""
        return migrate.head_revision()

    async def other_clients(self) -> int:
        """PostgreSQL: how many other connections of Concord (application_name "concord")
        the database has now: running instances. 0 on SQLite (see the data folder's lock)."""
        if self._dialect != "postgresql":
            return 0
        with translated():
            async with self.read_engine.connect() as connection:
                found = await connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND application_name = 'concord' AND pid <> pg_backend_pid()"
                    )
                )
                return int(found.scalar_one())

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
