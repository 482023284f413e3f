"""Rate limits hold while Redis is down: a real `concord serve` process over a private
redis-server that the test stops mid-way. The limiter falls back at once to the instance's
in-process budgets (a circuit breaker: /ready and the log say so) and goes back to Redis
when it answers again."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from ..api.harness import Api
from ..scale.cluster import Instance, free_port, instance_env
from ..scale.redis_server import RedisServer

PER_ACCOUNT = 3


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    with RedisServer(tmp_path) as server:
        yield server


@pytest.fixture
def instance(tmp_path: Path, private_redis: RedisServer) -> Iterator[Instance]:
    env = instance_env(
        tmp_path / "data",
        f"sqlite+aiosqlite:///{tmp_path / 'data' / 'concord.db'}",
        private_redis.url,
        "outage:",
        CHAT_RATE_LIMITS="true",
        CHAT_RATE_LOGIN_PER_ACCOUNT=f"{PER_ACCOUNT}/60",
        CHAT_RATE_LOGIN_PER_IP="1000/60",
        CHAT_RATE_REGISTER_PER_IP="3/60",  # its key outlives the test in Redis
        CHAT_RATE_PER_USER="100/100",
    )
    server = Instance("outage", free_port(), env, tmp_path / "outage.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def ready(http: httpx.AsyncClient) -> dict[str, object]:
    body: dict[str, object] = (await http.get("/ready")).json()
    return body


async def wait_for_mode(http: httpx.AsyncClient, mode: str, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await ready(http)).get("rate_limits") == mode:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"/ready never said rate_limits={mode}: {await ready(http)}")


async def test_limits_fall_back_to_the_instance_and_come_back(
    instance: Instance, private_redis: RedisServer
) -> None:
    async with httpx.AsyncClient(base_url=instance.url, timeout=30) as http:
        api = Api(http, None)  # type: ignore[arg-type]
        alice = await api.register("alice")
        assert (await ready(http))["rate_limits"] == "shared"
        keys = redis.Redis(port=private_redis.port).keys("outage:rl:*")
        assert keys, "the limiter is not in Redis to begin with"

        private_redis.stop()
        # A login brute force during the outage is still limited (it used to get 401 each).
        answers = []
        started = time.monotonic()
        for _ in range(10):
            r = await api.post("/auth/login", json={"login": alice.username, "password": "no!"})
            answers.append(r.status_code)
        took = time.monotonic() - started
        assert answers == [401] * PER_ACCOUNT + [429] * (10 - PER_ACCOUNT), answers
        r = await api.get("/users/@me", alice)  # other routes are limited in process too
        assert r.status_code == 200 and "X-RateLimit-Remaining" in r.headers
        state = await ready(http)
        assert state["rate_limits"] == "fallback" and "redis" in state["failing"], state
        log = instance.log()
        assert "rate limits: Redis is unreachable" in log
        assert log.count("rate limits: Redis is unreachable") == 1  # once, not per request

        private_redis.start()  # empty, like a real restart
        await wait_for_mode(http, "shared")
        assert "Redis answers again" in instance.log()
        r = await api.get("/users/@me", alice)
        assert r.status_code == 200
        with contextlib.closing(redis.Redis(port=private_redis.port)) as client:
            assert client.keys("outage:rl:user:*"), "the limiter did not go back to Redis"
    print(f"10 logins during the outage took {took:.2f} s")
