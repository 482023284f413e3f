"""Fixtures: the real app served by uvicorn on SQLite and on PostgreSQL, and clients for it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from .harness import Api, LiveServer, live_server, make_settings

BACKENDS = ["sqlite", "postgresql"]


async def _create_database(admin_url: str, name: str) -> str:
    """A fresh PostgreSQL database beside the test run's one; returns its URL."""
    url = make_url(admin_url)
    conn = await asyncpg.connect(
        user=url.username,
        password=url.password,
        host=url.host,
        port=url.port,
        database=url.database,
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def _drop_database(admin_url: str, name: str) -> None:
    url = make_url(admin_url)
    conn = await asyncpg.connect(
        user=url.username,
        password=url.password,
        host=url.host,
        port=url.port,
        database=url.database,
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def fresh_postgres_database(postgres_url: str) -> Iterator[object]:
    """A factory of fresh PostgreSQL databases, all dropped at the end of the session."""
    import asyncio

    made: list[str] = []

    def make() -> str:
        name = f"concord_api_{secrets.token_hex(5)}"
        made.append(name)
        return asyncio.run(_create_database(postgres_url, name))

    yield make
    for name in made:
        asyncio.run(_drop_database(postgres_url, name))


@pytest.fixture(scope="session", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app on each database, shared by the tests of a session."""
    data_dir: Path = tmp_path_factory.mktemp(f"data-{request.param}")
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("fresh_postgres_database")()
    with live_server(make_settings(data_dir, database_url)) as server:
        yield server


@pytest.fixture
async def api(live: LiveServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=live.url, timeout=15) as http:
        yield Api(http, live)
