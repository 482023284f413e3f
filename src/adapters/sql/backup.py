"""Consistent copies of the database while the service runs, and putting one back.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies pages while writers go on
(WAL), giving the database as of one moment. PostgreSQL: `pg_dump --format=custom` (a
snapshot in one transaction) and `pg_restore --clean`, when the client tools are installed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Final

from sqlalchemy.engine import make_url

FILE_MODE: Final = 0o600
LOCK_FILE: Final = ".concord.lock"


class BackupError(RuntimeError):
    """The copy or the restore could not be made; the message says why and what to do."""


def backup_sqlite(database: Path, target: Path) -> None:
    if not database.exists():
        raise BackupError(f"no database at {database}")
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=1024)
        finally:
            copy.close()
    finally:
        source.close()
    os.replace(partial, target)


def check_sqlite_backup(path: Path) -> str | None:
    """The backup's migration revision; BackupError if it is not a Concord database."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (PRAGMA quick_check failed)")
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a Concord SQLite backup: {exc}") from exc
    return str(row[0]) if row else None


def restore_sqlite(backup: Path, database: Path) -> None:
    """Replace the database by the backup (the service must be stopped)."""
    check_sqlite_backup(backup)
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".restoring")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(partial, database)


def libpq_url(url: str) -> str:
    """postgresql+asyncpg://... as the PostgreSQL client tools take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed (Debian: apt-get install postgresql-client); or run "
            f"`{name}` yourself: see docs/operations.md"
        )
    return found


def backup_postgres(url: str, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    done = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", libpq_url(url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    os.replace(partial, target)


def restore_postgres(backup: Path, url: str) -> None:
    done = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={libpq_url(url)}",
            str(backup),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
