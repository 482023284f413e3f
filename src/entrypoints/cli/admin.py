"""`concord user ...` and `concord server ...`: the operator's account and server commands.

They work on the configured database while the service runs. What they change is announced
like a user's own action (sessions revoked, members removed, servers deleted): with Redis
(`CHAT_REDIS_URL`) every running instance hears it at once and closes the sockets concerned.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from discord_core.errors import DomainError, ValidationFailed
from discord_core.model import User, shown_username

from ..settings import Settings
from .common import (
    CommandError,
    UsageError,
    add_setting_flags,
    describe_backend_error,
    print_table,
    run,
)

if TYPE_CHECKING:
    from ..bootstrap import Container

T = TypeVar("T")
OPERATOR_WORKER_ID = 1023
"""The snowflake worker id of admin commands in embedded mode (the service uses 0)."""


def leaf(
    parent: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    helptext: str,
    description: str,
) -> argparse.ArgumentParser:
    """A command that works on the configured database (so takes the database flags)."""
    parser = parent.add_parser(name, help=helptext, description=description)
    add_setting_flags(parser, "data_dir", "database_url")
    return parser


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser(
        "user",
        help="manage accounts (create, list, reset-password, disable, enable, delete)",
        description="Manage accounts in the configured database (the service may be running).",
    )
    users = user.add_subparsers(dest="user_command", required=True, metavar="COMMAND")
    create = leaf(
        users,
        "create",
        "create an account",
        "Create an account, as registration does (same rules for names, email and password). "
        "The password is asked for twice, or read from stdin.",
    )
    create.add_argument("name", help="the username")
    create.add_argument("--email", required=True, help="the account's email address")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.set_defaults(run=lambda a: run(_create, a, quiet=True))
    listing = leaf(users, "list", "list accounts", "List every account, oldest first.")
    listing.set_defaults(run=lambda a: run(_list_users, a, quiet=True))
    reset = leaf(
        users,
        "reset-password",
        "set a new password and sign the user out everywhere",
        "Set a new password (printed once: a random temporary one, or the one read from "
        "stdin with --password-stdin) and sign the user out on every device.",
    )
    reset.add_argument("name", help="username or user id")
    reset.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    reset.set_defaults(run=lambda a: run(_reset, a, quiet=True))
    for verb, helptext in (
        ("disable", "stop a user from signing in; their sockets close at once"),
        ("enable", "let a disabled user sign in again"),
        ("delete", "delete (anonymise) an account: messages stay, shown as 'Deleted user'"),
    ):
        parser = leaf(users, verb, helptext, helptext[0].upper() + helptext[1:] + ".")
        parser.add_argument("name", help="username or user id")
        if verb == "delete":
            parser.add_argument("--yes", action="store_true", help="do not ask to confirm")
        parser.set_defaults(run=lambda a, verb=verb: run(_USER_ACTIONS[verb], a, quiet=True))

    server = sub.add_parser(
        "server", help="list or delete servers (guilds)", description="Servers (guilds)."
    )
    servers = server.add_subparsers(dest="server_command", required=True, metavar="COMMAND")
    leaf(
        servers, "list", "list every server", "List every server: id, name, owner, members."
    ).set_defaults(run=lambda a: run(_list_servers, a, quiet=True))
    delete = leaf(
        servers,
        "delete",
        "delete a server with its channels and messages",
        "Delete a server with its channels, messages and invites; its members see it "
        "disappear at once.",
    )
    delete.add_argument("id", help="the server id (see `concord server list`)")
    delete.add_argument("--yes", action="store_true", help="do not ask to confirm")
    delete.set_defaults(run=lambda a: run(_delete_server, a, quiet=True))


# --- plumbing ---------------------------------------------------------------------------------


@asynccontextmanager
async def operator(settings: Settings) -> AsyncIterator[Container]:
    """The composition root as the operator's commands need it: the database at the newest
    revision (never migrated here), the event bus (Redis when configured), no token secret
    written, a worker id of its own."""
    from adapters.errors import BackendUnavailable
    from adapters.sql.database import Database

    from ..bootstrap import build_container

    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise CommandError(f"no database at {path} (run `concord db upgrade` or start the service)")
    worker_id = settings.worker_id
    if worker_id is None and not settings.redis_url:
        worker_id = OPERATOR_WORKER_ID
    settings = settings.replace(
        migrate_on_start=False,
        worker_id=worker_id,
        secret_key=settings.secret_key or secrets.token_urlsafe(48),  # signs nothing here
        db_pool_size=2,
    )
    container = build_container(settings)
    try:
        await container.start()
        revision = await container.database.current_revision()
        if revision != Database.head_revision():
            raise CommandError(
                f"the database is at revision {revision or 'none'}, the code needs "
                f"{Database.head_revision()}: run `concord db upgrade` first"
            )
    except (BackendUnavailable, OSError) as exc:
        await container.stop()
        raise describe_backend_error(exc) from exc
    except BaseException:
        await container.stop()
        raise
    try:
        yield container
    finally:
        await container.stop()


def act(settings: Settings, work: Callable[[Container], Awaitable[T]]) -> T:
    async def main() -> T:
        async with operator(settings) as container:
            try:
                return await work(container)
            except ValidationFailed as exc:
                raise UsageError(str(exc)) from exc
            except DomainError as exc:
                raise CommandError(str(exc)) from exc

    return asyncio.run(main())


def read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UsageError("--password-stdin: nothing on stdin")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: use --password-stdin")
    password = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Again: ") != password:
        raise UsageError("the two passwords differ")
    return password


def confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"{question} Add --yes to do it without a terminal.")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CommandError("nothing done")


def state(user: User) -> str:
    if user.deleted_at is not None:
        return "deleted"
    return "disabled" if user.disabled_at is not None else "active"


# --- users ------------------------------------------------------------------------------------


def _create(args: argparse.Namespace, settings: Settings) -> int:
    password = read_password(args.password_stdin)
    user = act(settings, lambda c: c.admin.create_user(args.name, args.email, password))
    print(f"created user {user.username} ({user.id})")
    return 0


def _list_users(args: argparse.Namespace, settings: Settings) -> int:
    async def everyone(container: Container) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after = 0
        while page := await container.admin.list_users(after=after):
            rows += [
                {
                    "id": u.id,
                    "username": shown_username(u.username),
                    "email": "" if u.deleted_at else u.email,
                    "state": state(u),
                    "created": u.created_at.strftime("%Y-%m-%d %H:%M"),
                }
                for u in page
            ]
            after = page[-1].id
        return rows

    print_table(act(settings, everyone), ["id", "username", "email", "state", "created"])
    return 0


def _reset(args: argparse.Namespace, settings: Settings) -> int:
    chosen = read_password(True) if args.password_stdin else None
    password = act(settings, lambda c: c.admin.reset_password(args.name, chosen))
    if chosen is None:
        print(f"temporary password for {args.name}: {password}")
        print("(shown once; the user should change it after signing in)", file=sys.stderr)
    else:
        print(f"password of {args.name} changed")
    print(f"{args.name} is signed out everywhere", file=sys.stderr)
    return 0


def _disable(args: argparse.Namespace, settings: Settings) -> int:
    user = act(settings, lambda c: c.admin.disable_user(args.name))
    print(f"disabled {user.username} ({user.id}): signed out everywhere, cannot sign in")
    return 0


def _enable(args: argparse.Namespace, settings: Settings) -> int:
    user = act(settings, lambda c: c.admin.enable_user(args.name))
    print(f"enabled {user.username} ({user.id}): may sign in again")
    return 0


def _delete_user(args: argparse.Namespace, settings: Settings) -> int:
    question = f"Delete the account {args.name}? Its messages stay, shown as 'Deleted user'."
    confirm(question, args.yes)
    user = act(settings, lambda c: c.admin.delete_user(args.name))
    print(f"deleted account {user.id}: name and email freed, signed out everywhere")
    return 0


_USER_ACTIONS = {"disable": _disable, "enable": _enable, "delete": _delete_user}


# --- servers ----------------------------------------------------------------------------------


def _list_servers(args: argparse.Namespace, settings: Settings) -> int:
    async def every(container: Container) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        after = 0
        while page := await container.admin.list_servers(after=after):
            rows += [
                {
                    "id": s.server.id,
                    "name": s.server.name,
                    "owner": shown_username(s.owner_username),
                    "members": s.members,
                    "created": s.server.created_at.strftime("%Y-%m-%d %H:%M"),
                }
                for s in page
            ]
            after = page[-1].server.id
        return rows

    print_table(act(settings, every), ["id", "name", "owner", "members", "created"])
    return 0


def server_id(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise UsageError(f"not a server id: {text!r} (see `concord server list`)")
    return int(text)


def _delete_server(args: argparse.Namespace, settings: Settings) -> int:
    target = server_id(args.id)
    confirm(f"Delete server {target} with all its channels and messages?", args.yes)
    server = act(settings, lambda c: c.admin.delete_server(target))
    print(f"deleted server {server.name} ({server.id})")
    return 0
