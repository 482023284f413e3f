"""`concord backup FILE`, `concord restore FILE`, `concord export server ID FILE`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ..exports import ServerExportWriter
from ..settings import Settings
from .admin import act, server_id
from .common import (
    CommandError,
    UsageError,
    add_setting_flags,
    data_dir_in_use,
    describe_backend_error,
    run,
)

if TYPE_CHECKING:
    from ..bootstrap import Container


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup",
        help="write a consistent copy of the database to FILE (while the service runs)",
        description="Write a consistent copy of the database to FILE while the service runs: "
        "SQLite through its online backup API, PostgreSQL through pg_dump (custom format; "
        "needs the PostgreSQL client tools). The file is created mode 0600. The token secret "
        "(CHAT_SECRET_KEY or <data dir>/secret.key) is not in it: keep it too.",
    )
    backup.add_argument("file", type=Path, help="where to write the copy")
    add_setting_flags(backup, "data_dir", "database_url")
    backup.set_defaults(run=lambda a: run(_backup, a, quiet=True))
    restore = sub.add_parser(
        "restore",
        help="replace the database by a backup (refused while a service uses it)",
        description="Replace the database by a backup made with `concord backup`, then apply "
        "newer migrations. Refused while a service uses the data folder (SQLite) or the "
        "database (PostgreSQL: other Concord connections) unless --force.",
    )
    restore.add_argument("file", type=Path, help="a file written by `concord backup`")
    restore.add_argument("--force", action="store_true", help="restore even while in use")
    add_setting_flags(restore, "data_dir", "database_url")
    restore.set_defaults(run=lambda a: run(_restore, a, quiet=True))
    export = sub.add_parser(
        "export", help="export data as JSON", description="Export data as JSON."
    )
    what = export.add_subparsers(dest="export_command", required=True, metavar="WHAT")
    server = what.add_parser(
        "server",
        help="a server's channels, members and messages",
        description="Write a server's channels (each with its messages, oldest first) and "
        "members as one JSON document to FILE ('-': stdout). Streamed: memory stays small "
        "whatever the server's size. Shows a progress bar on a terminal.",
    )
    server.add_argument("id", help="the server id (see `concord server list`)")
    server.add_argument("file", help="where to write the JSON ('-' for stdout)")
    add_setting_flags(server, "data_dir", "database_url")
    server.set_defaults(run=lambda a: run(_export_server, a, quiet=True))


# --- backup / restore -------------------------------------------------------------------------


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.sql.backup import BackupError, backup_postgres, backup_sqlite

    target: Path = args.file
    if target.is_dir():
        raise UsageError(f"{target} is a folder: name the file to write")
    try:
        if settings.sqlite_path is not None:
            backup_sqlite(settings.sqlite_path, target)
        else:
            backup_postgres(settings.effective_database_url, target)
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    print(f"backup written to {target} ({target.stat().st_size:,} bytes)")
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.errors import BackendUnavailable
    from adapters.sql.backup import BackupError, restore_postgres, restore_sqlite
    from adapters.sql.database import Database

    source: Path = args.file
    if not source.is_file():
        raise UsageError(f"no such file: {source}")
    if not args.force and data_dir_in_use(settings.data_dir):
        raise CommandError(
            f"a Concord service is running on {settings.data_dir}: stop it first "
            "(or --force, which leaves it serving the old data)"
        )

    async def restore() -> None:
        database = Database.from_url(settings.effective_database_url)
        try:
            if settings.sqlite_path is None:
                others = await database.other_clients()
                if others and not args.force:
                    raise CommandError(
                        f"{others} Concord connection(s) use this database: stop every "
                        "instance first (or --force)"
                    )
                restore_postgres(source, settings.effective_database_url)
            else:
                await database.dispose()
                restore_sqlite(source, settings.sqlite_path)
            await database.upgrade()
        finally:
            await database.dispose()

    try:
        asyncio.run(restore())
    except BackupError as exc:
        raise CommandError(str(exc)) from exc
    except (BackendUnavailable, OSError) as exc:
        raise describe_backend_error(exc) from exc
    print(f"restored {source}; the database is at the newest revision")
    return 0


# --- export -----------------------------------------------------------------------------------


def _export_server(args: argparse.Namespace, settings: Settings) -> int:
    target = server_id(args.id)
    out: IO[bytes]
    if args.file == "-":
        out = sys.stdout.buffer
    else:
        path = Path(args.file)
        if path.is_dir():
            raise UsageError(f"{path} is a folder: name the file to write")
        out = path.open("wb")
    try:
        counts = act(settings, lambda c: _write_export(c, target, out))
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    if args.file != "-":
        print(
            f"exported server {target}: {counts['channels']} channel(s), "
            f"{counts['messages']:,} message(s), {counts['members']:,} member(s) to {args.file}"
        )
    return 0


async def _write_export(container: Container, target: int, out: IO[bytes]) -> dict[str, int]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    writer = ServerExportWriter(container.files.linker.link)
    counts = writer.counts
    show = sys.stderr.isatty()
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("channels, {task.fields[messages]:,} messages"),
        console=Console(stderr=True),  # stdout may be the export itself
        disable=not show,
        transient=False,
    )
    with progress:
        task = None
        async for item in container.admin.export_server(target):
            if item.channel is not None and task is not None and counts["channels"]:
                progress.advance(task)
            out.write(writer.feed(item))
            if item.server is not None:
                task = progress.add_task("exporting", total=item.channel_count, messages=0)
            elif item.message is not None and task is not None and counts["messages"] % 500 == 0:
                progress.update(task, messages=counts["messages"])
        out.write(writer.finish())
        if task is not None:
            if counts["channels"]:
                progress.advance(task)
            progress.update(task, messages=counts["messages"])
    return counts
