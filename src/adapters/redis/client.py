"""A Redis client configured for a long-running service."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..errors import BackendUnavailable

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


POOL_SIZE = 64
POOL_WAIT_S = 5.0


def make_client(url: str) -> aioredis.Redis:
    """A client whose callers wait (up to POOL_WAIT_S) for a free connection when the pool
    is busy. redis-py's default pool fails at once ("Too many connections") past 100: a
    burst of 1,000 sockets closing made presence calls, event publishes and the bus's own
    ticks fail, and a failed tick made every session on that instance resync."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT_S,
        decode_responses=True,
        socket_connect_timeout=3,
        socket_timeout=5,
        health_check_interval=10,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return aioredis.Redis.from_pool(pool)


def safe_url(url: str) -> str:
    """The URL without its password, for logs and error messages."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


async def ping(client: aioredis.Redis, url: str) -> None:
    try:
        await client.ping()
    except (*UNAVAILABLE, RedisError) as exc:
        raise BackendUnavailable(f"Redis at {safe_url(url)} is unreachable: {exc}") from exc
