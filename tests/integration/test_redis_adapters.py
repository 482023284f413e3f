"""The Redis client and event bus against a real Redis: bursts and failed ticks."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.redis.client import POOL_SIZE, make_client
from adapters.redis.events import RedisEventBus
from adapters.wire import Envelope
from discord_core.events import Event, ServerDeleted


def _unused_encoder(event: Event) -> Envelope:
    raise AssertionError("nothing is published in these tests")


async def test_a_burst_beyond_the_pool_waits_instead_of_failing(redis_url: str) -> None:
    """1,000 sockets closing at once make as many presence calls: none may fail."""
    client = make_client(redis_url)
    key = f"concord-test-none:{secrets.token_hex(4)}"
    try:
        # Each BLPOP holds its connection for 0.2 s: 3x the pool size must queue, not fail.
        results = await asyncio.gather(
            *(client.blpop([key], timeout=0.2) for _ in range(POOL_SIZE * 3)),
            return_exceptions=True,
        )
    finally:
        await client.aclose()
    assert [r for r in results if r is not None] == []


class _TickFailingClient:
    """A real client whose publishes to one channel fail a given number of times."""

    def __init__(self, real: aioredis.Redis, channel_suffix: str, failures: int) -> None:
        self._real = real
        self._suffix = channel_suffix
        self.failures_left = failures

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def publish(self, channel: str, message: Any) -> int:
        if channel.endswith(self._suffix) and self.failures_left > 0:
            self.failures_left -= 1
            raise RedisConnectionError("No connection available.")
        return int(await self._real.publish(channel, message))


async def test_a_tick_that_could_not_be_sent_is_not_a_gap(
    redis_url: str, redis_prefix: str
) -> None:
    """Only ticks sent and not received mean lost events; a failed send is not one."""
    real = make_client(redis_url)
    flaky = _TickFailingClient(real, "tick:inst-a", failures=3)
    bus = RedisEventBus(
        flaky,  # type: ignore[arg-type]
        _unused_encoder,
        prefix=redis_prefix,
        instance="inst-a",
        tick_s=0.05,
    )
    gaps: list[str] = []
    bus.on_gap = lambda why, since: gaps.append(why)
    await bus.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.02)
            if flaky.failures_left == 0 and bus._ticks_seen >= 5:
                break
    finally:
        await bus.stop()
        await real.aclose()
    assert flaky.failures_left == 0
    assert bus._ticks_seen >= 5
    assert (gaps, bus.gaps) == ([], 0)


async def test_a_tick_sent_but_not_received_is_a_gap(redis_url: str, redis_prefix: str) -> None:
    """The counterpart: the detector still fires when a sent tick never comes back."""
    real = make_client(redis_url)
    bus = RedisEventBus(real, _unused_encoder, prefix=redis_prefix, instance="inst-b", tick_s=0.05)
    gaps: list[str] = []
    bus.on_gap = lambda why, since: gaps.append(why)
    await bus.start()
    try:
        for _ in range(100):
            if bus._ticks_seen >= 2:
                break
            await asyncio.sleep(0.02)
        bus._ticks_sent += 1  # as if a tick had been published and lost on the way
        for _ in range(100):
            await asyncio.sleep(0.02)
            if gaps:
                break
    finally:
        await bus.stop()
        await real.aclose()
    assert len(gaps) == 1
    assert "never arrived" in gaps[0]


class _CountingClient:
    """A real client that counts the pipelines (publishes of events) it is asked for."""

    def __init__(self, real: aioredis.Redis) -> None:
        self._real = real
        self.pipelines = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        self.pipelines += 1
        return self._real.pipeline(*args, **kwargs)


def _plain_encoder(event: Event) -> Envelope:
    return Envelope(topic=str(event.topic), name=event.name, payload="{}")


async def test_publishes_fail_at_once_while_redis_is_down_then_resume(
    tmp_path: Path, redis_prefix: str
) -> None:
    """A sender during an outage must not wait for the client's retries on every event: after
    one failed publish the bus stops trying until a tick gets through again."""
    from .scale.redis_server import RedisServer

    with RedisServer(tmp_path) as server:
        real = make_client(server.url)
        client = _CountingClient(real)
        bus = RedisEventBus(
            client,  # type: ignore[arg-type]
            _plain_encoder,
            prefix=redis_prefix,
            instance="inst-c",
            tick_s=0.05,
        )
        await bus.start()
        try:
            await bus.publish([ServerDeleted(server_id=1)])
            assert (bus.published, client.pipelines) == (1, 1)
            server.stop()
            await bus.publish([ServerDeleted(server_id=2)])  # finds Redis down
            for i in range(5):
                await bus.publish([ServerDeleted(server_id=3 + i)])
            assert client.pipelines == 2, "publishes kept trying a Redis known to be down"
            assert bus.publish_failures == 6
            server.start()
            for _ in range(200):  # a tick gets through: publishing is tried again
                await asyncio.sleep(0.05)
                await bus.publish([ServerDeleted(server_id=99)])
                if bus.published > 1:
                    break
            assert bus.published >= 2
        finally:
            await bus.stop()
            await real.aclose()
