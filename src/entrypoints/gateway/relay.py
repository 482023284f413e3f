"""The relay of one instance: the outbox's second way out.

Events are published right after their commit. Whatever that missed (the instance died between
COMMIT and PUBLISH, Redis was down, a subscription was not live yet) is still in the outbox;
every `interval_s` this instance compares each topic its sessions listen to with the outbox's
heads and reads what it has not delivered (`Hub.check`). Each instance relays only what its own
sessions need, so nothing is claimed and no two instances do the same work for one session; a
restarted instance or any other one covers a crashed one's events, because whoever listens to a
topic reads it. The relay also prunes the outbox: events older than the retention go (every
instance may do it; the deletes are idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from adapters.ids import lowest_snowflake_at
from adapters.sql.outbox import SqlEventLog

from .hub import Hub

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 60.0


class Relay:
    def __init__(
        self,
        hub: Hub,
        events: SqlEventLog,
        *,
        interval_s: float,
        retention_s: float,
        prune_every_s: float = PRUNE_EVERY_S,
    ) -> None:
        self._hub = hub
        self._events = events
        self.interval_s = interval_s
        self.retention_s = retention_s
        self.prune_every_s = prune_every_s
        self._task: asyncio.Task[None] | None = None
        self.passes = 0
        self.pruned = 0

    async def start(self) -> None:
        try:
            await self._hub.start()
        except Exception as exc:  # the first pass tries again
            log.warning("reading where the outbox stands failed: %s", exc)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._hub.stop()

    async def _run(self) -> None:
        last_prune = 0.0
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self._hub.check()
                self.passes += 1
                now = time.monotonic()
                if now - last_prune >= self.prune_every_s:
                    last_prune = now
                    await self.prune()
            except Exception:
                log.exception("relay pass failed")

    async def prune(self) -> int:
        """Delete the events older than the retention; return how many went."""
        cutoff = lowest_snowflake_at(int((time.time() - self.retention_s) * 1000))
        try:
            gone = await self._events.prune(cutoff)
        except Exception as exc:
            log.warning("pruning the outbox failed: %s", exc)
            return 0
        self.pruned += gone
        if gone:
            log.info("pruned %d event(s) older than %.0f s from the outbox", gone, self.retention_s)
        return gone
