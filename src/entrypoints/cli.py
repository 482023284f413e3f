"""The operator's command line: `concord serve`, `concord db upgrade`, `concord db current`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence

from .observability import configure_logging
from .settings import Settings, SettingsError

log = logging.getLogger("concord")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concord", description="Self-hostable Discord-style chat service."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the service (REST API + gateway)")
    serve.add_argument("--host", help="listen address (CHAT_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (CHAT_PORT, default 8000)")
    serve.add_argument("--workers", type=int, help="worker processes (CHAT_WORKERS, default 1)")
    serve.add_argument("--data-dir", help="where the SQLite file and secret live (CHAT_DATA_DIR)")
    cluster = sub.add_parser(
        "cluster", help="run N instances on consecutive ports (needs Redis and PostgreSQL)"
    )
    cluster.add_argument("--instances", type=int, default=2, help="how many (default 2)")
    cluster.add_argument("--base-port", type=int, default=8001, help="first port (default 8001)")
    cluster.add_argument("--host", help="listen address (CHAT_HOST, default 127.0.0.1)")
    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every pending migration")
    db_sub.add_parser("current", help="print the database's migration revision")
    return parser


def _apply_overrides(args: argparse.Namespace) -> None:
    """Command-line flags win over the environment; workers read settings from it."""
    for flag, env in (
        ("host", "HOST"),
        ("port", "PORT"),
        ("workers", "WORKERS"),
        ("data_dir", "DATA_DIR"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            os.environ[f"CHAT_{env}"] = str(value)


def serve(settings: Settings) -> None:
    import uvicorn

    if settings.workers > 1 and not settings.redis_url:
        raise SettingsError(
            "CHAT_WORKERS > 1 needs CHAT_REDIS_URL: without Redis each worker would have its "
            "own events, presence and rate limits."
        )
    if settings.workers > 1 and settings.is_sqlite:
        raise SettingsError("CHAT_WORKERS > 1 needs PostgreSQL (CHAT_DATABASE_URL).")
    settings.with_secret()  # create the secret once, before workers race to do it
    asyncio.run(prepare_backends(settings))
    os.environ["CHAT_MIGRATE_ON_START"] = "false"  # done once above, not once per worker
    log.info(
        "serving on http://%s:%d with %d worker(s) (%s%s)",
        settings.host,
        settings.port,
        settings.workers,
        "SQLite" if settings.is_sqlite else "PostgreSQL",
        " + Redis" if settings.redis_url else ", embedded",
    )
    uvicorn.run(
        "entrypoints.app:create_served_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,  # ours (concord.access) carries the request id, never a query string
        ws_per_message_deflate=False,
        ws_max_size=1024 * 1024,
        timeout_graceful_shutdown=10,
    )


async def prepare_backends(settings: Settings) -> None:
    """Reach the database and Redis, apply migrations; fail with a clear message if not."""
    from adapters.errors import BackendUnavailable
    from adapters.redis.client import make_client, ping
    from adapters.sql.database import Database

    if settings.redis_url:
        client = make_client(settings.redis_url)
        try:
            await ping(client, settings.redis_url)
        except BackendUnavailable as exc:
            raise StartupError(str(exc)) from exc
        finally:
            await client.aclose()
    database = Database.from_url(settings.effective_database_url)
    try:
        await database.ping()
        if settings.migrate_on_start:
            await database.upgrade()
    except (BackendUnavailable, OSError) as exc:
        raise StartupError(f"cannot reach the database: {exc}") from exc
    finally:
        await database.dispose()


def run_cluster(settings: Settings, instances: int, base_port: int) -> int:
    """Start `instances` separate `concord serve` processes on consecutive ports; stop them
    all (SIGTERM, then wait) when this command is interrupted or one of them exits."""
    import signal
    import subprocess

    if not settings.redis_url or settings.is_sqlite:
        raise SettingsError(
            "concord cluster needs CHAT_REDIS_URL and a PostgreSQL CHAT_DATABASE_URL."
        )
    settings.with_secret()
    asyncio.run(prepare_backends(settings))
    env = {**os.environ, "CHAT_MIGRATE_ON_START": "false", "CHAT_WORKERS": "1"}
    ports = range(base_port, base_port + instances)
    children = [
        subprocess.Popen([sys.executable, "-m", "entrypoints", "serve", "--port", str(p)], env=env)
        for p in ports
    ]
    log.info("cluster: %d instances on ports %d-%d", instances, ports[0], ports[-1])
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(c.poll() is None for c in children):
        time.sleep(0.5)
    stop(signal.SIGTERM, None)
    codes = [child.wait() for child in children]
    return 0 if stopping else max(abs(c) for c in codes) or 1


class StartupError(RuntimeError):
    """A backing service is unreachable at start."""


async def _db(command: str, settings: Settings) -> None:
    from adapters.sql.database import Database

    database = Database.from_url(settings.effective_database_url)
    try:
        if command == "upgrade":
            await database.upgrade()
            print("database is at the newest revision")
        else:
            print(await database.current_revision() or "empty (no revision)")
    finally:
        await database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _apply_overrides(args)
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_level, settings.log_format)
        if args.command == "serve":
            serve(settings)
        elif args.command == "cluster":
            return run_cluster(settings, args.instances, args.base_port)
        else:
            asyncio.run(_db(args.db_command, settings))
    except SettingsError as exc:
        print(f"concord: configuration error: {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"concord: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
