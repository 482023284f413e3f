"""Presence across instances: a user is online while any instance holds a live session of
theirs. Each session is an entry with an expiry that its instance keeps pushing forward; when
an instance dies, its entries expire and a sweep on a surviving instance reports those users
offline (within `ttl_s`).

Keys: <p>pr:u:<user id>   sorted set of "<instance>:<session id>" scored by expiry (ms)
      <p>pr:deadlines     sorted set of "<user id>|<instance>:<session id>" by expiry
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis

from .client import UNAVAILABLE

log = logging.getLogger(__name__)

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS: user set, deadlines. ARGV: entry, user id, ttl ms. Returns 1 if the user came online.
CONNECT = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
local expiry = now + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], expiry, ARGV[1])
redis.call('ZADD', KEYS[2], expiry, ARGV[2] .. '|' .. ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
if before == 0 then return 1 end
return 0
"""
)

# KEYS: user set, deadlines. ARGV: entry, user id. Returns 1 if the user went offline.
DISCONNECT = (
    _NOW
    + """
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2] .. '|' .. ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then return 1 end
return 0
"""
)

# KEYS: deadlines. ARGV: user-set key prefix, batch size. Returns users whose last entry expired.
SWEEP = (
    _NOW
    + """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local offline = {}
for _, member in ipairs(due) do
  redis.call('ZREM', KEYS[1], member)
  local sep = string.find(member, '|', 1, true)
  local user = string.sub(member, 1, sep - 1)
  local entry = string.sub(member, sep + 1)
  local key = ARGV[1] .. user
  redis.call('ZREM', key, entry)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) == 0 then table.insert(offline, user) end
end
return offline
"""
)

# KEYS: user sets...; ARGV: count. Returns the count of live entries per key.
ONLINE = (
    _NOW
    + """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('ZCOUNT', key, now + 1, '+inf')
end
return counts
"""
)


class RedisPresence:
    """PresenceRegistry over Redis. `start()` runs the refresher and the sweeper."""

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        instance: str,
        ttl_s: float,
        on_expired: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._client = client
        self._users = f"{prefix}pr:u:"
        self._deadlines = f"{prefix}pr:deadlines"
        self._instance = instance
        self._ttl_ms = max(1000, int(ttl_s * 1000))
        self._local: set[tuple[int, str]] = set()
        self._connect = client.register_script(CONNECT)
        self._disconnect = client.register_script(DISCONNECT)
        self._sweep = client.register_script(SWEEP)
        self._online = client.register_script(ONLINE)
        self.on_expired = on_expired
        self._tasks: list[asyncio.Task[None]] = []

    def _entry(self, session_id: str) -> str:
        return f"{self._instance}:{session_id}"

    async def connect(self, user_id: int, session_id: str) -> bool:
        self._local.add((user_id, session_id))
        try:
            came_online = await self._connect(
                keys=[self._users + str(user_id), self._deadlines],
                args=[self._entry(session_id), user_id, self._ttl_ms],
            )
        except UNAVAILABLE as exc:
            log.warning("presence unavailable (connect): %s", exc)
            return False
        return bool(came_online)

    async def disconnect(self, user_id: int, session_id: str) -> bool:
        self._local.discard((user_id, session_id))
        try:
            went_offline = await self._disconnect(
                keys=[self._users + str(user_id), self._deadlines],
                args=[self._entry(session_id), user_id],
            )
        except UNAVAILABLE as exc:
            log.warning("presence unavailable (disconnect): %s", exc)
            return False
        return bool(went_offline)

    async def online(self, user_ids: Iterable[int]) -> set[int]:
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return set()
        try:
            counts = await self._online(keys=[self._users + str(u) for u in ids], args=[])
        except UNAVAILABLE as exc:
            log.warning("presence unavailable (online): %s", exc)
            return {u for u, _ in self._local if u in set(ids)}
        return {u for u, count in zip(ids, counts, strict=True) if int(count) > 0}

    # --- background work --------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._every(self._ttl_ms / 3000, self.refresh)),
            asyncio.create_task(self._every(min(1.0, self._ttl_ms / 4000), self.sweep)),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for user_id, session_id in list(self._local):  # leave nobody stuck online
            with contextlib.suppress(*UNAVAILABLE):
                await self.disconnect(user_id, session_id)

    async def refresh(self) -> None:
        """Push this instance's entries' expiry forward (re-adding any Redis lost)."""
        if not self._local:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for user_id, session_id in self._local:
                await self._connect(
                    keys=[self._users + str(user_id), self._deadlines],
                    args=[self._entry(session_id), user_id, self._ttl_ms],
                    client=pipe,
                )
            await pipe.execute()

    async def sweep(self) -> list[int]:
        """Find users whose last session expired (their instance died) and report them."""
        expired = await self._sweep(keys=[self._deadlines], args=[self._users, 200])
        users = [int(u) for u in expired]
        if self.on_expired is not None:
            for user_id in users:
                await self.on_expired(user_id)
        return users

    @staticmethod
    async def _every(period: float, work: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await work()
            except UNAVAILABLE as exc:
                log.warning("presence upkeep skipped, Redis unavailable: %s", exc)
            except Exception:
                log.exception("presence upkeep failed")
