"""Alembic migrations, run from code (`Database.upgrade`) or from the `alembic` command line.

The scripts live in `adapters/sql/migrations/` (inside the package, so wheels carry them).

Why not advanced-alchemy's `AlembicCommands` directly: its env.py template runs the migration
with `asyncio.run()` on the configured engine and disposes that engine afterwards, so it cannot
run inside a running event loop (the app's startup) and would close the app's pool. Here the
caller opens one connection and transaction, and Alembic runs on it synchronously through
`AsyncConnection.run_sync` (Alembic's documented "connection sharing" recipe). The Alembic
config object is advanced-alchemy's `AlembicCommandConfig` (version table, render_as_batch,
compare_type), and `ALEMBIC_CONFIG` below plugs these scripts into advanced-alchemy's
`SQLAlchemyAsyncConfig` for `litestar database ...` if the app wants that CLI.

Migrations run in one transaction:
- PostgreSQL: transactional DDL, serialised across instances by an advisory lock, so N
  instances starting together migrate once.
- SQLite: on a separate connection with `foreign_keys=OFF` (batch migrations recreate tables;
  with foreign keys on, dropping the old table would cascade-delete child rows), BEGIN
  IMMEDIATE, and `PRAGMA foreign_key_check` before commit.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from advanced_alchemy.alembic.commands import AlembicCommandConfig
from advanced_alchemy.config import AlembicAsyncConfig
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from .engines import create_postgres_engine, create_sqlite_engine, normalize_url
from .models import metadata

SCRIPT_LOCATION: Final = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE: Final = "alembic_version"
PG_MIGRATION_LOCK: Final = 0x636F6E636F7264  # "concord": pg_advisory_xact_lock key

ALEMBIC_CONFIG: Final = AlembicAsyncConfig(
    script_location=str(SCRIPT_LOCATION),
    version_table_name=VERSION_TABLE,
    render_as_batch=True,
    compare_type=True,
)

CONFIGURE_OPTIONS: Final[dict[str, Any]] = {
    "target_metadata": metadata,
    "version_table": VERSION_TABLE,
    "render_as_batch": True,  # SQLite ALTERs go through table copies
    "compare_type": True,
}


class MigrationError(RuntimeError):
    """A migration left the database inconsistent (SQLite foreign key check failed)."""


def alembic_config(engine: AsyncEngine, connection: Connection | None = None) -> Any:
    """An Alembic Config for our scripts; `connection` makes env.py run on it."""
    attributes: dict[str, Any] = {}
    if connection is not None:
        attributes["connection"] = connection
    config = AlembicCommandConfig(
        engine=engine,
        version_table_name=VERSION_TABLE,
        render_as_batch=True,
        compare_type=True,
        attributes=attributes,
    )
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def head_revision() -> str | None:
    return ScriptDirectory(str(SCRIPT_LOCATION)).get_current_head()


def current_revision_sync(connection: Connection) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def migration_engine(url: str | URL) -> AsyncEngine:
    """A throwaway engine (no pool) for running migrations on `url`."""
    parsed, dialect = normalize_url(url)
    if dialect == "sqlite":
        return create_sqlite_engine(parsed, immediate=True, foreign_keys=False, null_pool=True)
    return create_postgres_engine(parsed, pool_size=1, null_pool=True)


async def run_in_migration_transaction(engine: AsyncEngine, fn: Callable[[Connection], Any]) -> Any:
    """Run `fn(sync_connection)` in one transaction prepared for schema changes."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK}
            )
        result = await connection.run_sync(fn)
        if engine.dialect.name == "sqlite":
            problems = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
            if problems:
                raise MigrationError(f"foreign key check failed after migrating: {problems[:5]}")
        return result


async def run_command(url: str | URL, name: str, revision: str) -> None:
    """Run `alembic <name> <revision>` ("upgrade" / "downgrade") on the database at `url`."""
    engine = migration_engine(url)
    try:

        def run(connection: Connection) -> None:
            getattr(command, name)(alembic_config(engine, connection), revision)

        await run_in_migration_transaction(engine, run)
    finally:
        await engine.dispose()


# --- env.py ----------------------------------------------------------------------------------


def _configure_and_run(context: Any, connection: Connection) -> None:
    context.configure(connection=connection, **CONFIGURE_OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


def run_env(context: Any) -> None:
    """The body of migrations/env.py."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:  # Database.upgrade() and friends: run on the caller's connection
        _configure_and_run(context, connection)
        return
    engine = getattr(config, "engine", None)  # advanced-alchemy's AlembicCommands / litestar CLI
    url = (
        engine.url
        if engine is not None
        else (config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL"))
    )
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or DATABASE_URL")
    if context.is_offline_mode():
        context.configure(url=str(normalize_url(url)[0]), literal_binds=True, **CONFIGURE_OPTIONS)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def online() -> None:
        own = migration_engine(url)
        try:
            await run_in_migration_transaction(own, lambda conn: _configure_and_run(context, conn))
        finally:
            await own.dispose()

    asyncio.run(online())
