"""What every command shares: the settings flags, reading the settings, and clear failures.

Exit status: 0 done, 1 the command failed (a backing service is unreachable, the thing to act
on does not exist, ...), 2 a usage or configuration mistake (argparse uses 2 as well). Every
failure is one line per problem on stderr, `concord: ...`, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
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


def start_logging(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format)
    for name in unknown_environment_variables():
        log.warning("%s is not a Concord setting (ignored; see .env.example)", name)


def fail(*lines: str) -> None:
    for line in lines:
        print(f"concord: {line}", file=sys.stderr)


def run(handler: Handler, args: argparse.Namespace) -> int:
    """Read the settings (or fail with 2), start logging, run the command."""
    try:
        settings = load_settings(args)
    except SettingsError as exc:
        fail(*exc.problems)
        return 2
    start_logging(settings)
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
