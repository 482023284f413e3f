"""Snowflake worker ids leased in Redis, so running instances never share one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

import redis.asyncio as aioredis

from ..ids import MAX_WORKER_ID, SnowflakeGenerator
from .client import UNAVAILABLE

log = logging.getLogger(__name__)

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class LeasedIds:
    """An IdGenerator whose worker id is leased from Redis and renewed in the background.

    If a renewal finds the lease lost (Redis was down longer than the lease), it takes a new
    worker id, so two live instances never generate with the same one.
    """

    def __init__(
        self, client: aioredis.Redis, prefix: str, owner: str, lease_s: float = 30.0
    ) -> None:
        self._client = client
        self._prefix = f"{prefix}worker:"
        self._owner = owner
        self._lease_ms = int(lease_s * 1000)
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)
        self._generator: SnowflakeGenerator | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def worker_id(self) -> int:
        if self._generator is None:
            raise RuntimeError("no worker id leased yet")
        return self._generator.worker_id

    def next_id(self) -> int:
        if self._generator is None:
            raise RuntimeError("no worker id leased yet")
        return self._generator.next_id()

    async def start(self) -> None:
        self._generator = SnowflakeGenerator(await self._acquire())
        log.info("leased snowflake worker id %d", self._generator.worker_id)
        self._task = asyncio.create_task(self._keep())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._generator is not None:
            with contextlib.suppress(*UNAVAILABLE):
                await self._release(keys=[self._key(self.worker_id)], args=[self._owner])

    def _key(self, worker_id: int) -> str:
        return f"{self._prefix}{worker_id}"

    async def _acquire(self) -> int:
        candidates = list(range(MAX_WORKER_ID + 1))
        random.shuffle(candidates)
        for worker_id in candidates:
            if await self._client.set(
                self._key(worker_id), self._owner, nx=True, px=self._lease_ms
            ):
                return worker_id
        raise RuntimeError("all 1024 snowflake worker ids are leased")

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            try:
                kept = await self._renew(
                    keys=[self._key(self.worker_id)], args=[self._owner, self._lease_ms]
                )
                if not kept:
                    previous = self.worker_id
                    self._generator = SnowflakeGenerator(await self._acquire())
                    log.warning(
                        "snowflake worker id %d was lost; now using %d",
                        previous,
                        self._generator.worker_id,
                    )
            except UNAVAILABLE as exc:
                log.warning("cannot renew the snowflake worker lease: %s", exc)
