"""A circuit breaker for a shared rate limiter: while the shared store (Redis) is unreachable,
every hit goes at once to this instance's in-process limiter, and a background probe puts the
shared one back when it answers again.

Without it a Redis outage either let every request through (logins unlimited) or made every
request wait for the Redis client's retries (a sequential sender fell from 20 to 0.5 msg/s).
The first hit that finds Redis down waits at most the shared limiter's own timeout; every
later one costs what an in-process hit costs. While open, each instance enforces the full
budget on its own, so N instances allow up to N times the budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from discord_core.ports import RateLimiter, RateState

from .errors import BackendUnavailable

log = logging.getLogger(__name__)

PROBE_EVERY_S = 1.0
PROBE_TIMEOUT_S = 0.5


class FallbackRateLimiter:
    def __init__(
        self,
        shared: RateLimiter,
        local: RateLimiter,
        probe: Callable[[], Awaitable[object]],
        *,
        probe_every_s: float = PROBE_EVERY_S,
    ) -> None:
        """`probe` raises (or hangs past PROBE_TIMEOUT_S) while the shared store is down."""
        self._shared = shared
        self._local = local
        self._probe = probe
        self._probe_every_s = probe_every_s
        self._prober: asyncio.Task[None] | None = None
        self.open = False
        """True while hits go to the in-process limiter."""
        self.trips = 0
        """How many times the shared store was found unreachable (for metrics)."""

    async def hit(self, key: str, limit: int, period: float) -> RateState:
        if not self.open:
            try:
                return await self._shared.hit(key, limit, period)
            except BackendUnavailable as exc:
                self._trip(exc)
        return await self._local.hit(key, limit, period)

    def _trip(self, exc: BackendUnavailable) -> None:
        if self.open:
            return
        self.open = True
        self.trips += 1
        log.warning(
            "rate limits: Redis is unreachable (%s); using this instance's in-process limits "
            "until it answers again",
            exc,
        )
        self._prober = asyncio.get_running_loop().create_task(self._probe_until_back())

    async def _probe_until_back(self) -> None:
        while True:
            await asyncio.sleep(self._probe_every_s)
            try:
                async with asyncio.timeout(PROBE_TIMEOUT_S):
                    await self._probe()
            except Exception:
                continue
            self.open = False
            self._prober = None
            log.info("rate limits: Redis answers again; limits are shared across instances")
            return

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        prober, self._prober = self._prober, None
        if prober is not None:
            prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await prober
