"""`concord db upgrade | current`: the migrations of the configured database."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from ..settings import Settings
from .common import CommandError, add_setting_flags, describe_backend_error, run


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser(
        "db",
        help="database migrations",
        description="Database migrations (they ship inside the package).",
    )
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    upgrade = db_sub.add_parser(
        "upgrade",
        help="apply every pending migration",
        description="Apply every pending migration (creates the SQLite file if needed). Safe "
        "while instances run; several instances migrating at once migrate once.",
    )
    current = db_sub.add_parser(
        "current",
        help="print the database's migration revision",
        description="Print the database's revision and whether migrations are pending. "
        "Creates nothing: a SQLite file that does not exist is reported, not made.",
    )
    for parser in (upgrade, current):
        add_setting_flags(parser, "data_dir", "database_url")
    upgrade.set_defaults(run=lambda args: run(_upgrade, args, quiet=True))
    current.set_defaults(run=lambda args: run(_current, args, quiet=True))


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.sql.database import Database

    async def upgrade() -> None:
        database = Database.from_url(settings.effective_database_url)
        try:
            await database.upgrade()
            print(f"database is at the newest revision ({Database.head_revision()})")
        finally:
            await database.dispose()

    return _with_database(upgrade)


def _current(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.sql.database import Database

    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise CommandError(f"no database at {path} yet (`concord db upgrade` creates it)")
    head = Database.head_revision()

    async def current() -> None:
        database = Database.from_url(settings.effective_database_url)
        try:
            revision = await database.current_revision()
        finally:
            await database.dispose()
        if revision is None:
            print(f"empty (no revision); the code's newest is {head}: run `concord db upgrade`")
        elif revision == head:
            print(f"{revision} (newest)")
        else:
            print(f"{revision}; the code's newest is {head}: run `concord db upgrade`")

    return _with_database(current)


def _with_database(work: Callable[[], Coroutine[Any, Any, None]]) -> int:
    from adapters.errors import BackendUnavailable

    try:
        asyncio.run(work())
    except (BackendUnavailable, OSError) as exc:
        raise describe_backend_error(exc) from exc
    return 0
