"""What every command shares: the settings flags, reading the settings, and clear failures.

Exit status: 0 done, 1 the command failed (a backing service is unreachable, the thing to act
on does not exist, ...), 2 a usage or configuration mistake (argparse uses 2 as well). Every
failure is one line per problem on stderr, `concord: ...`, never a traceback.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..logs import configure_logging
from ..settings import Settings, SettingsError, unknown_environment_variables, variable_names

log = logging.getLogger("concord")

Handler = Callable[[argparse.Namespace, Settings], int | None]


class CommandError(RuntimeError):
    """The command cannot do what was asked; the message says why (exit status 1)."""


class UsageError(RuntimeError):
    """The command was asked something that makes no sense (exit status 2)."""


# The flags that set a setting, by setting name: (flag, help).
SETTING_FLAGS: dict[str, tuple[str, str]] = {
    "host": ("--host", "listen address (CHAT_HOST, default 127.0.0.1)"),
    "port": ("--port", "listen port (CHAT_PORT, default 8000)"),
    "workers": ("--workers", "worker processes (CHAT_WORKERS, default 1)"),
    "data_dir": ("--data-dir", "folder of the SQLite file and the secret (CHAT_DATA_DIR)"),
    "database_url": (
        "--database-url",
        "database URL (CHAT_DATABASE_URL; default: SQLite in the data folder)",
    ),
}


def add_setting_flags(parser: argparse.ArgumentParser, *names: str) -> None:
    for name in names:
        flag, help_text = SETTING_FLAGS[name]
        parser.add_argument(flag, dest=f"setting_{name}", metavar=name.upper(), help=help_text)


def given_flags(args: argparse.Namespace) -> dict[str, str]:
    """The settings given as flags on this command line, as the text typed."""
    return {
        name: value
        for name in SETTING_FLAGS
        if (value := getattr(args, f"setting_{name}", None)) is not None
    }


def load_settings(args: argparse.Namespace) -> Settings:
    """Flags over the environment over `.env`; exported back to the environment, so worker
    processes (`serve --workers`, `cluster`) read the same."""
    flags = given_flags(args)
    settings = Settings.from_env(
        flags={name: SETTING_FLAGS[name][0] for name in flags}, **dict(flags)
    )
    names = variable_names()
    for name, value in flags.items():
        os.environ[names[name]] = value
    return settings


def start_logging(settings: Settings, *, quiet: bool = False) -> None:
    """`quiet`: an operator's one-shot command shows warnings and errors only (unless the
    level is debug), not the service's start-up lines."""
    level = settings.log_level
    if quiet and level == "info":
        level = "warning"
    configure_logging(level, settings.log_format)
    for name in unknown_environment_variables():
        log.warning("%s is not a Concord setting (ignored; see .env.example)", name)


def fail(*lines: str) -> None:
    for line in lines:
        print(f"concord: {line}", file=sys.stderr)


def run(handler: Handler, args: argparse.Namespace, *, quiet: bool = False) -> int:
    """Read the settings (or fail with 2), start logging, run the command."""
    try:
        settings = load_settings(args)
    except SettingsError as exc:
        fail(*exc.problems)
        return 2
    start_logging(settings, quiet=quiet)
    try:
        return handler(args, settings) or 0
    except SettingsError as exc:
        fail(*exc.problems)
        return 2
    except UsageError as exc:
        fail(str(exc))
        return 2
    except CommandError as exc:
        fail(str(exc))
        return 1
    except KeyboardInterrupt:
        fail("interrupted")
        return 130


def describe_backend_error(exc: BaseException) -> CommandError | SettingsError:
    """A database or Redis failure at start, as the operator should read it."""
    from adapters.errors import BackendRefused

    if isinstance(exc, BackendRefused):
        return SettingsError(f"CHAT_DATABASE_URL: {exc}")
    return CommandError(f"cannot reach the database: {exc}")


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Rows as aligned text columns (or nothing but the header when there are none)."""
    widths = {c: max([len(c), *(len(str(r.get(c, ""))) for r in rows)]) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip())
    for row in rows:
        print("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns).rstrip())


LOCK_FILE = ".concord.lock"


def hold_data_dir(data_dir: Path) -> int:
    """Mark the data folder as in use by a running service for as long as this process lives
    (a shared lock: several `serve` processes may hold it). Returns the file descriptor."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    os.set_inheritable(fd, False)
    return fd


def data_dir_in_use(data_dir: Path) -> bool:
    """Whether a running service holds the data folder's lock."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
