"""GCRA rate limiting in Redis: one budget per key, shared by every instance, exact under
concurrency (one Lua script per hit, on Redis's own clock)."""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

from .client import UNAVAILABLE

log = logging.getLogger(__name__)

# KEYS[1] = bucket; ARGV = limit, period in ms. Returns the wait in ms as a string ("0" = ok).
GCRA = """
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = period / limit
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return tostring(allow_at - now)
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1)
return '0'
"""


class RedisRateLimiter:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._prefix = f"{prefix}rl:"
        self._script = client.register_script(GCRA)

    async def hit(self, key: str, limit: int, period: float) -> float:
        """Seconds to wait (0.0 = allowed). If Redis is down, requests are let through:
        a rate limiter must not turn a Redis outage into a full outage."""
        try:
            wait_ms = await self._script(keys=[self._prefix + key], args=[limit, period * 1000])
        except UNAVAILABLE as exc:
            log.warning("rate limiter unavailable, allowing request: %s", exc)
            return 0.0
        return float(wait_ms) / 1000
