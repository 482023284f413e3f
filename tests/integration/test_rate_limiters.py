"""The RateLimiter port's adapters: in process and in Redis give the same answers (limit,
remaining, reset, retry), and the fallback breaker switches to the in-process limiter at once
when the shared one is unreachable, then back when its probe answers."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from adapters.errors import BackendUnavailable
from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.ratelimit_fallback import FallbackRateLimiter
from adapters.redis.client import make_client
from adapters.redis.ratelimit import RedisRateLimiter
from discord_core.ports import RateLimiter, RateState


@pytest.fixture(params=["memory", "redis"])
async def limiter(
    request: pytest.FixtureRequest, redis_url: str, redis_prefix: str
) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield InMemoryRateLimiter()
        return
    client = make_client(redis_url)
    try:
        yield RedisRateLimiter(client, f"{redis_prefix}{secrets.token_hex(3)}:")
    finally:
        await client.aclose()


async def test_a_budget_counts_down_then_refuses(limiter: RateLimiter) -> None:
    states = [await limiter.hit("k", 3, 30) for _ in range(4)]
    assert [s.remaining for s in states] == [2, 1, 0, 0]
    assert [s.allowed for s in states] == [True, True, True, False]
    assert all(s.limit == 3 for s in states)
    assert 9 < states[0].reset_after <= 10.1  # one request's worth: 30 s / 3
    assert 29 < states[2].reset_after <= 30.1  # the whole budget
    assert 9 < states[3].retry_after <= 10.1 and 29 < states[3].reset_after <= 30.1
    other = await limiter.hit("other", 3, 30)
    assert other.remaining == 2  # keys are separate


class Unreachable:
    """A shared limiter whose store is down until `up` is set."""

    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    async def hit(self, key: str, limit: int, period: float) -> RateState:
        self.calls += 1
        if not self.up:
            raise BackendUnavailable("down")
        return RateState(limit, limit - 1, period / limit)

    async def probe(self) -> None:
        if not self.up:
            raise ConnectionError("down")


async def test_the_breaker_falls_back_at_once_and_comes_back() -> None:
    shared = Unreachable()
    breaker = FallbackRateLimiter(shared, InMemoryRateLimiter(), shared.probe, probe_every_s=0.05)
    try:
        states = [await breaker.hit("k", 2, 60) for _ in range(3)]
        assert [s.allowed for s in states] == [True, True, False]  # limited, not let through
        assert breaker.open and shared.calls == 1  # only the first hit tried the shared one
        shared.up = True
        for _ in range(100):
            if not breaker.open:
                break
            await asyncio.sleep(0.02)
        assert not breaker.open
        assert (await breaker.hit("k", 2, 60)).remaining == 1  # the shared one answers
        assert shared.calls == 2 and breaker.trips == 1
    finally:
        await breaker.stop()
