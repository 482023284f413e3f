"""Slow and idle clients cannot hold connections: a real `concord serve` process, real
sockets. Connections that send nothing, half a WebSocket upgrade, or a body they declared and
never send, or a gateway socket that never identifies, are closed once their deadline passes
(10 s by default, 2 s here), counted in /metrics and logged; a body that keeps arriving at a
reasonable pace, and everyone else, are served meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from ..api.harness import TEST_SECRET, GatewayClient
from ..scale.cluster import SRC, Instance, free_port
from .conftest import close_of

DEADLINE_S = 2.0
HALF_UPGRADE = (
    b"GET /api/v1/gateway HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
)
NO_BODY = (
    b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Instance]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    env.update(
        PYTHONPATH=str(SRC),
        CHAT_DATA_DIR=str(tmp_path / "data"),
        CHAT_SECRET_KEY=TEST_SECRET,
        CHAT_ARGON2_TIME_COST="1",
        CHAT_ARGON2_MEMORY_KIB="1024",
        CHAT_ARGON2_PARALLELISM="1",
        CHAT_RATE_LIMITS="false",
        CHAT_LOG_LEVEL="info",
        CHAT_HEADER_TIMEOUT_S=str(DEADLINE_S),
        CHAT_BODY_TIMEOUT_S=str(DEADLINE_S),
        CHAT_IDENTIFY_TIMEOUT_S=str(DEADLINE_S),
    )
    instance = Instance("slow", free_port(), env, tmp_path / "slow.log").start()
    try:
        yield instance
    finally:
        instance.stop()


async def closed_after(reader: asyncio.StreamReader, started: float, limit: float) -> float:
    """Seconds from `started` until the server closed the connection (EOF or reset)."""
    with contextlib.suppress(ConnectionError):
        async with asyncio.timeout(limit):
            while await reader.read(1024):
                pass
    return time.monotonic() - started


async def test_slow_and_idle_clients_are_dropped_and_others_are_served(
    served: Instance,
) -> None:
    port = served.port
    attackers: list[tuple[str, asyncio.StreamReader, asyncio.StreamWriter]] = []
    started = time.monotonic()
    for kind, payload in (("idle", b""), ("half-upgrade", HALF_UPGRADE), ("no-body", NO_BODY)):
        for _ in range(40):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            if payload:
                writer.write(payload)
                await writer.drain()
            attackers.append((kind, reader, writer))
    # Meanwhile a body that arrives steadily (60 KB over ~3 s) is read and answered.
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:

        async def steady() -> AsyncIterator[bytes]:
            body = b'{"login": "nobody", "password": "' + b"x" * 60_000 + b'"}'
            for i in range(0, len(body), 2000):
                yield body[i : i + 2000]
                await asyncio.sleep(0.1)

        r = await http.post(
            "/api/v1/auth/login", content=steady(), headers={"Content-Type": "application/json"}
        )
        assert r.status_code in (400, 401), r.text[:200]
        assert (await http.get("/health")).status_code == 200
        times = await asyncio.gather(
            *(closed_after(reader, started, DEADLINE_S + 10) for _, reader, _ in attackers)
        )
        for writer in (w for _, _, w in attackers):
            writer.close()
        by_kind: dict[str, list[float]] = {}
        for (kind, _, _), took in zip(attackers, times, strict=True):
            by_kind.setdefault(kind, []).append(took)
        for kind, seen in by_kind.items():
            assert max(seen) < DEADLINE_S + 4, (kind, max(seen))
            assert min(seen) > DEADLINE_S - 0.5, (kind, min(seen))
        metrics = (await http.get("/metrics")).text
        assert 'concord_slow_clients_dropped_total{phase="headers"} 80.0' in metrics, metrics
        assert 'concord_slow_clients_dropped_total{phase="body"} 40.0' in metrics
        assert (await http.get("/health")).status_code == 200
    log = served.log_path.read_text()
    assert "dropped a slow client 127.0.0.1:" in log
    assert "POST /api/v1/auth/login 408" in log  # the dropped bodies, not 500s


async def test_a_gateway_socket_that_never_identifies_is_closed(served: Instance) -> None:
    gw = await GatewayClient.open(served.ws_url)
    started = time.monotonic()
    code, reason = await close_of(gw, timeout=DEADLINE_S + 5)
    assert code == 4009, (code, reason)
    assert DEADLINE_S - 0.5 < time.monotonic() - started < DEADLINE_S + 2
