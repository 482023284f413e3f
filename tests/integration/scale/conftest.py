"""Fixtures: app instances as separate processes over one PostgreSQL database and one Redis."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ..api.harness import Api
from .cluster import Instance, free_port, instance_env

Launch = Callable[..., Instance]


@pytest.fixture
def launch(
    tmp_path: Path,
    postgres_database_factory: Callable[[], str],
    redis_url: str,
    redis_prefix: str,
) -> Iterator[Launch]:
    """Start instances sharing one fresh database and one Redis prefix (per test)."""
    database_url = postgres_database_factory()
    prefix = f"{redis_prefix}{secrets.token_hex(3)}:"
    started: list[Instance] = []

    def start(name: str = "", redis: str | None = None, **env: str) -> Instance:
        name = name or f"i{len(started)}"
        instance = Instance(
            name=name,
            port=free_port(),
            env=instance_env(tmp_path / name, database_url, redis or redis_url, prefix, **env),
            log_path=tmp_path / f"{name}.log",
        )
        started.append(instance)
        return instance.start()

    yield start
    for instance in started:
        instance.stop()


@pytest.fixture
async def pair(launch: Launch) -> AsyncIterator[tuple[Api, Api]]:
    a, b = launch("a"), launch("b")
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=15) as ha,
        httpx.AsyncClient(base_url=b.url, timeout=15) as hb,
    ):
        yield Api(ha, a), Api(hb, b)  # type: ignore[arg-type]
