"""Fixtures for the security suite: the real app under uvicorn (tests/integration/api/harness.py)
on SQLite and PostgreSQL, started per test module or per test with the settings it needs."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.exceptions import ConnectionClosed

from entrypoints.app import create_app
from entrypoints.settings import Settings

from ..api.harness import Api, GatewayClient, LiveServer, live_server, make_settings

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
    def start(
        backend: str = "sqlite", uvicorn_options: dict[str, Any] | None = None, **overrides: Any
    ) -> Iterator[LiveServer]:
        data_dir: Path = tmp_path_factory.mktemp(f"sec-{backend}")
        database_url = None
        if backend == "postgresql":
            database_url = request.getfixturevalue("postgres_database_factory")()
        settings = make_settings(data_dir, database_url, **overrides)
        with tuned_server(settings, **(uvicorn_options or {})) as server:
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


class TunedServer(LiveServer):
    """LiveServer with uvicorn options of the test's choosing (access log, log level,
    WebSocket frame cap), e.g. as `concord serve` runs it."""

    def __init__(self, settings: Settings, **uvicorn_options: Any) -> None:
        self.settings = settings
        self.app = create_app(settings)
        options: dict[str, Any] = {
            "log_level": "warning",
            "ws_per_message_deflate": False,
            "lifespan": "on",
            **uvicorn_options,
        }
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, **options)
        self._server = uvicorn.Server(config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )


@contextlib.contextmanager
def tuned_server(settings: Settings, **uvicorn_options: Any) -> Iterator[LiveServer]:
    server = TunedServer(settings, **uvicorn_options).start()
    try:
        yield server
    finally:
        server.stop()


async def close_of(client: GatewayClient, timeout: float = 5.0) -> tuple[int | None, str]:
    """Wait for the server to close the socket: (code, reason)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await client.ws.recv()
    except ConnectionClosed as exc:
        return (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd else (None, "")
    raise AssertionError("unreachable")
