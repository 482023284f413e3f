"""Fixtures for tests against real services: SQLite files, PostgreSQL and Redis.

Where a Docker engine answers, PostgreSQL and Redis run in testcontainers. Otherwise the tests
use the servers named by CHAT_TEST_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) and CHAT_TEST_REDIS_URL (default
redis://127.0.0.1:6379/0). Set CHAT_TEST_NO_DOCKER=1 to skip the Docker probe.

Isolation between concurrent runs: each run creates its own PostgreSQL database
(concord_test_<hex>, dropped at the end) and uses its own Redis key prefix (concord-test-<hex>:,
keys deleted at the end). An unreachable PostgreSQL or Redis fails the tests that need it;
it never skips them.

Fixtures:
- postgres_url (session): asyncpg URL of this run's empty database.
- migrated_postgres_url (session): the same database, migrated to head once.
- postgres_database_factory (session): `create() -> url` of another fresh, empty database
  (dropped at the end of the run), for tests that need a schema of their own (migrations).
- redis_url (session), redis_prefix (session).
- sqlite_path (function): a migrated, empty SQLite file in tmp_path.
- database (function, params sqlite / postgresql): a migrated, empty `Database`; SQLite in
  tmp_path, PostgreSQL with every table emptied before the test.
- s3_server (session): moto's S3 server mode on a free port; s3_bucket (function): a fresh
  bucket in it.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.sql.database import Database, sqlite_url_for
from adapters.sql.models import metadata

from .s3_server import S3Server, moto_server

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
RUN_ID = secrets.token_hex(4)

T = TypeVar("T")


def run_in_thread(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private event loop in a worker thread.

    Session fixtures are synchronous (each test has its own event loop, and connections must not
    outlive their loop), and this also works when called from inside a running loop.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def _docker_available() -> bool:
    if os.environ.get("CHAT_TEST_NO_DOCKER"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


@pytest.fixture(scope="session")
def docker_available() -> bool:
    return _docker_available()


# --- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server_url(docker_available: bool) -> Iterator[str]:
    """An asyncpg URL of a PostgreSQL server's maintenance database (do not write there)."""
    if not docker_available:
        yield os.environ.get("CHAT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        return
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer("postgres:16-alpine", driver="asyncpg") as container:
        yield container.get_connection_url()


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _quote_ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {name!r}")
    return f'"{name}"'


async def _admin(server_url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(server_url), timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


class PostgresDatabases:
    """Creates fresh databases on the server and drops them all at the end of the run."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def create(self) -> str:
        name = f"concord_test_{RUN_ID}_{secrets.token_hex(4)}"
        try:
            run_in_thread(lambda: _admin(self.server_url, f"CREATE DATABASE {_quote_ident(name)}"))
        except Exception as exc:
            pytest.fail(
                f"PostgreSQL is not reachable at {make_url(self.server_url)!r} ({exc!r}). "
                "Start it, or point CHAT_TEST_POSTGRES_URL at one.",
                pytrace=False,
            )
        self.created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        async def drop() -> None:
            for name in self.created:
                await _admin(
                    self.server_url, f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)"
                )

        run_in_thread(drop)
        self.created.clear()


@pytest.fixture(scope="session")
def postgres_database_factory(postgres_server_url: str) -> Iterator[Callable[[], str]]:
    databases = PostgresDatabases(postgres_server_url)
    try:
        yield databases.create
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def postgres_url(postgres_database_factory: Callable[[], str]) -> str:
    """This run's own database (concord_test_<hex>), empty; dropped at the end of the run."""
    return postgres_database_factory()


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_url: str) -> str:
    async def upgrade() -> None:
        database = Database.from_url(postgres_url, pool_size=1)
        try:
            await database.upgrade()
        finally:
            await database.dispose()

    run_in_thread(upgrade)
    return postgres_url


# --- Redis -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url(docker_available: bool) -> Iterator[str]:
    import redis

    if docker_available:
        from testcontainers.redis import RedisContainer

        with RedisContainer("redis:7-alpine") as container:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(6379)
            yield f"redis://{host}:{port}/0"
        return
    url = os.environ.get("CHAT_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {url} ({exc!r}). Start it, or set CHAT_TEST_REDIS_URL.",
            pytrace=False,
        )
    finally:
        client.close()
    yield url


@pytest.fixture(scope="session")
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this run's own; every key under it is deleted at the end."""
    import redis

    prefix = f"concord-test-{RUN_ID}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
    finally:
        client.close()


# --- Database (both dialects) ------------------------------------------------------------------


async def empty_all_tables(database: Database) -> None:
    """DELETE every row, children first (25x faster than TRUNCATE on near-empty tables)."""
    async with database.write_engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            await connection.execute(text(f"DELETE FROM {table.name}"))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"

    async def upgrade() -> None:
        database = Database.from_url(sqlite_url_for(path), pool_size=1)
        try:
            await database.upgrade()
        finally:
            await database.dispose()  # the last close checkpoints the WAL into the file

    run_in_thread(upgrade)
    return path


@pytest.fixture
def sqlite_path(_sqlite_template: Path, tmp_path: Path) -> Path:
    """A migrated, empty SQLite file of this test's own."""
    path = tmp_path / "concord.db"
    shutil.copyfile(_sqlite_template, path)
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """A migrated, empty Database of each kind."""
    if request.param == "sqlite":
        path: Path = request.getfixturevalue("sqlite_path")
        db = Database.from_url(sqlite_url_for(path), pool_size=4)
    else:
        url: str = request.getfixturevalue("migrated_postgres_url")
        db = Database.from_url(url, pool_size=5)
        await empty_all_tables(db)
    try:
        yield db
    finally:
        await db.dispose()


# --- S3-compatible storage ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server in a process of its own, for the whole run."""
    with moto_server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A fresh, empty bucket of this test's own."""
    return s3_server.create_bucket(f"concord-test-{secrets.token_hex(6)}")
