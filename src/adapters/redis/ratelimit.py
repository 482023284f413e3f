"""GCRA rate limiting in Redis: one budget per key, shared by every instance, exact under
concurrency (one Lua script per hit, on Redis's own clock).

`RedisRateLimiter.hit` raises BackendUnavailable when Redis does not answer within
`timeout_s`; `FallbackRateLimiter` (adapters/ratelimit_fallback.py) turns that into the
in-process limiter until Redis answers again.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from discord_core.ports import RateState

from ..errors import BackendUnavailable
from .client import UNAVAILABLE

# KEYS[1] = bucket; ARGV = limit, period in ms. Returns {wait ms, remaining, reset-after ms}
# as strings (Redis would truncate Lua numbers to integers); wait "0" = allowed.
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
  return {tostring(allow_at - now), '0', tostring(tat - now)}
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil(new_tat - now) + 1)
local remaining = math.floor((period - (new_tat - now)) / interval + 1e-9)
return {'0', tostring(remaining), tostring(new_tat - now)}
"""

CALL_TIMEOUT_S = 0.5
"""A hit normally takes well under a millisecond; past this Redis counts as unreachable
(the client's own retries would otherwise hold the request for seconds)."""


class RedisRateLimiter:
    def __init__(
        self, client: aioredis.Redis, prefix: str, timeout_s: float = CALL_TIMEOUT_S
    ) -> None:
        self._prefix = f"{prefix}rl:"
        self._script = client.register_script(GCRA)
        self._timeout_s = timeout_s

    async def hit(self, key: str, limit: int, period: float) -> RateState:
        try:
            async with asyncio.timeout(self._timeout_s):
                wait_ms, remaining, reset_ms = await self._script(
                    keys=[self._prefix + key], args=[limit, period * 1000]
                )
        except (*UNAVAILABLE, TimeoutError) as exc:
            raise BackendUnavailable(f"Redis did not answer a rate limit check: {exc!r}") from exc
        retry_after = float(wait_ms) / 1000
        return RateState(limit, int(remaining), float(reset_ms) / 1000, retry_after)
