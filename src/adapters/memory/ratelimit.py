"""GCRA rate limiting in process memory (one instance only; Redis shares it across many)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from discord_core.ports import RateState


def gcra(tat: float, now: float, limit: int, period: float) -> tuple[float, float]:
    """Generic cell rate algorithm: `limit` requests per `period`, bursts of up to `limit`.

    `tat` is the stored theoretical arrival time. Returns (new_tat, retry_after); when
    retry_after > 0 the request is refused and new_tat equals the old one.
    """
    interval = period / limit
    tat = max(tat, now)
    new_tat = tat + interval
    allow_at = new_tat - period
    if now < allow_at:
        return tat, allow_at - now
    return new_tat, 0.0


def gcra_state(tat: float, now: float, limit: int, period: float, retry_after: float) -> RateState:
    """What a client may know after one hit: `tat` is the stored time after it."""
    reset_after = max(0.0, tat - now)
    remaining = 0
    if retry_after <= 0.0:
        # 1e-9: 0.1 * 3 is a hair over 0.3, and a whole request must not vanish in rounding.
        remaining = max(0, min(limit, math.floor((period - reset_after) / (period / limit) + 1e-9)))
    return RateState(limit, remaining, reset_after, retry_after)


class InMemoryRateLimiter:
    """Keys expire lazily: a sweep drops every key whose budget is whole again."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sweep_every: int = 10_000):
        self._clock = clock
        self._tats: dict[str, float] = {}
        self._sweep_every = sweep_every
        self._hits = 0

    async def hit(self, key: str, limit: int, period: float) -> RateState:
        now = self._clock()
        new_tat, retry_after = gcra(self._tats.get(key, now), now, limit, period)
        if retry_after == 0.0:
            self._tats[key] = new_tat
        self._hits += 1
        if self._hits % self._sweep_every == 0:
            self._sweep(now)
        return gcra_state(new_tat, now, limit, period, retry_after)

    def _sweep(self, now: float) -> None:
        self._tats = {k: tat for k, tat in self._tats.items() if tat > now}
