"""`concord serve` and `concord cluster`: check everything first (settings, the port, the
database, Redis), migrate once, then start the workers."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time

from ..settings import Settings, SettingsError
from .common import CommandError, add_setting_flags, describe_backend_error, hold_data_dir, run

log = logging.getLogger("concord")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the service (REST API + gateway)",
        description="Run the service. Checks the settings, the port, the database (and Redis) "
        "first, applies pending migrations once, then starts the worker processes.",
    )
    add_setting_flags(serve, "host", "port", "workers", "data_dir", "database_url")
    serve.set_defaults(run=lambda args: run(_serve, args))
    cluster = sub.add_parser(
        "cluster",
        help="run N instances on consecutive ports (needs Redis and PostgreSQL)",
        description="Run N separate `concord serve` processes on consecutive ports and stop "
        "them together.",
    )
    cluster.add_argument("--instances", type=_positive, default=2, help="how many (default 2)")
    cluster.add_argument("--base-port", type=int, default=8001, help="first port (default 8001)")
    add_setting_flags(cluster, "host", "database_url")
    cluster.set_defaults(run=lambda args: run(_cluster, args))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    serve(settings)
    return 0


def check_scaling(settings: Settings) -> None:
    if settings.workers > 1 and not settings.redis_url:
        raise SettingsError(
            "CHAT_WORKERS > 1 needs CHAT_REDIS_URL: without Redis each worker would have its "
            "own events, presence and rate limits."
        )
    if settings.workers > 1 and settings.is_sqlite:
        raise SettingsError("CHAT_WORKERS > 1 needs PostgreSQL (CHAT_DATABASE_URL).")


def check_port(host: str, port: int, setting: str = "--port / CHAT_PORT") -> None:
    """Fail at once, before migrating, when the address cannot be listened on. (The check
    socket is closed again: uvicorn binds the address itself a moment later.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen(1)  # a listener is what makes a second bind fail
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SettingsError(
                    f"{setting}: {host}:{port} is already in use (another concord, or another "
                    "program); stop it or choose another port"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
                raise SettingsError(
                    f"--host / CHAT_HOST: cannot listen on {host!r}: no such address here"
                ) from None
            if exc.errno == errno.EACCES:
                raise SettingsError(
                    f"{setting}: not allowed to listen on port {port} (ports below 1024 need "
                    "privileges; use a higher port behind the proxy)"
                ) from None
            raise CommandError(f"cannot listen on {host}:{port}: {exc}") from None
    finally:
        probe.close()


def serve(settings: Settings) -> None:
    import uvicorn

    from ..slow_clients import GuardedHttpProtocol

    check_scaling(settings)
    check_port(settings.host, settings.port)
    hold_data_dir(settings.data_dir)  # `concord restore` refuses while this is held
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
        forwarded_allow_ips=list(settings.forwarded_allow_ips),
        ws_per_message_deflate=False,
        ws_max_size=1024 * 1024,
        # No WebSocket pings: the gateway's heartbeat (op 1, docs/gateway.md) already closes
        # a silent peer, and a ping per socket every 20 s was a wake-up and two frames per
        # socket (6-8 % of the server's CPU in py-spy while 10,000 sockets connected).
        ws_ping_interval=None,
        ws_ping_timeout=None,
        http=GuardedHttpProtocol,  # read deadlines: uvicorn has none (entrypoints/slow_clients)
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
            raise CommandError(str(exc)) from exc
        finally:
            await client.aclose()
    database = Database.from_url(settings.effective_database_url)
    try:
        await database.ping()
        if settings.migrate_on_start:
            await database.upgrade()
    except (BackendUnavailable, OSError) as exc:
        raise describe_backend_error(exc) from exc
    finally:
        await database.dispose()


def _cluster(args: argparse.Namespace, settings: Settings) -> int:
    return run_cluster(settings, args.instances, args.base_port)


def run_cluster(settings: Settings, instances: int, base_port: int) -> int:
    """Start `instances` separate `concord serve` processes on consecutive ports; stop them
    all (SIGTERM, then wait) when this command is interrupted or one of them exits."""
    if not settings.redis_url or settings.is_sqlite:
        raise SettingsError(
            "concord cluster needs CHAT_REDIS_URL and a PostgreSQL CHAT_DATABASE_URL."
        )
    ports = range(base_port, base_port + instances)
    if ports[0] < 1 or ports[-1] > 65535:
        raise SettingsError(f"--base-port: ports {ports[0]}-{ports[-1]} are not all valid")
    for port in ports:
        check_port(settings.host, port, "--base-port")
    hold_data_dir(settings.data_dir)
    settings.with_secret()
    asyncio.run(prepare_backends(settings))
    env = {**os.environ, "CHAT_MIGRATE_ON_START": "false", "CHAT_WORKERS": "1"}
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
