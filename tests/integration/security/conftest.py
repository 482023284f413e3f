"""Fixtures for the security suite: the real app under uvicorn (tests/integration/api/harness.py)
on SQLite and PostgreSQL, started per test module or per test with the settings it needs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ..api.harness import Api, LiveServer, live_server, make_settings

BACKENDS = ["sqlite", "postgresql"]

ServerFactory = Callable[..., contextlib.AbstractContextManager[LiveServer]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def start_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> ServerFactory:
    """`start_server(backend, **overrides)`: a context manager serving the app with these
    settings, on a fresh SQLite file or a fresh PostgreSQL database."""

    @contextlib.contextmanager
    def start(backend: str = "sqlite", **overrides: Any) -> Iterator[LiveServer]:
        data_dir: Path = tmp_path_factory.mktemp(f"sec-{backend}")
        database_url = None
        if backend == "postgresql":
            database_url = request.getfixturevalue("postgres_database_factory")()
        with live_server(make_settings(data_dir, database_url, **overrides)) as server:
            yield server

    return start


@pytest.fixture(scope="module", params=BACKENDS)
def shared_live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server per backend, shared by a module's tests (default settings, no rate limits)."""
    data_dir = tmp_path_factory.mktemp(f"sec-shared-{request.param}")
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("postgres_database_factory")()
    with live_server(make_settings(data_dir, database_url)) as server:
        yield server


@pytest.fixture
async def api(shared_live: LiveServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=shared_live.url, timeout=15) as http:
        yield Api(http, shared_live)


@contextlib.asynccontextmanager
async def client_for(server: LiveServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
        yield Api(http, server)
