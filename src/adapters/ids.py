"""Snowflake ids (the core's IdGenerator port).

Layout of the 63 used bits, most significant first::

    41 bits  milliseconds since EPOCH (2025-01-01T00:00:00Z), good until 2094
    10 bits  worker id (0-1023): one per process that generates ids at the same time
    12 bits  sequence within the millisecond (0-4095)

Ids from one generator strictly increase, even when the wall clock steps back (NTP, VM
migration): the generator never reuses a (timestamp, sequence) pair. Ids of different workers
are unique as long as each running process has its own worker id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

EPOCH: Final = datetime(2025, 1, 1, tzinfo=UTC)
EPOCH_MS: Final = int(EPOCH.timestamp()) * 1000
"""The snowflake epoch in Unix milliseconds (1735689600000)."""

TIMESTAMP_BITS: Final = 41
WORKER_BITS: Final = 10
SEQUENCE_BITS: Final = 12
WORKER_SHIFT: Final = SEQUENCE_BITS
TIMESTAMP_SHIFT: Final = SEQUENCE_BITS + WORKER_BITS
MAX_WORKER_ID: Final = (1 << WORKER_BITS) - 1
MAX_SEQUENCE: Final = (1 << SEQUENCE_BITS) - 1
MAX_TIMESTAMP: Final = (1 << TIMESTAMP_BITS) - 1


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def snowflake_time(snowflake: int) -> datetime:
    """When the id was generated (millisecond precision, aware UTC)."""
    return EPOCH + timedelta(milliseconds=snowflake >> TIMESTAMP_SHIFT)


def lowest_snowflake_at(unix_ms: int) -> int:
    """The smallest id any worker could generate at this time: a lower bound for `after`."""
    return max(0, unix_ms - EPOCH_MS) << TIMESTAMP_SHIFT


def snowflake_worker(snowflake: int) -> int:
    return (snowflake >> WORKER_SHIFT) & MAX_WORKER_ID


def snowflake_sequence(snowflake: int) -> int:
    return snowflake & MAX_SEQUENCE


class SnowflakeGenerator:
    """Thread-safe generator of snowflakes for one worker.

    `clock_ms` returns Unix milliseconds; tests pass their own to step time back and forth.
    """

    def __init__(self, worker_id: int, *, clock_ms: Callable[[], int] = _wall_clock_ms) -> None:
        if not 0 <= worker_id <= MAX_WORKER_ID:
            raise ValueError(f"worker_id must be in 0..{MAX_WORKER_ID}, got {worker_id}")
        self.worker_id = worker_id
        self._clock_ms = clock_ms
        self._worker_bits = worker_id << WORKER_SHIFT
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def _since_epoch(self) -> int:
        elapsed = self._clock_ms() - EPOCH_MS
        if elapsed < 0:
            raise RuntimeError("the system clock is before the snowflake epoch (2025-01-01)")
        return elapsed

    def next_id(self) -> int:
        with self._lock:
            now = self._since_epoch()
            if now > self._last_ms:
                self._last_ms = now
                self._sequence = 0
            elif self._sequence < MAX_SEQUENCE:
                # Same millisecond, or the clock stepped back: keep counting on the last one.
                self._sequence += 1
            elif now == self._last_ms:
                # 4096 ids in this millisecond: wait for the next one.
                while now <= self._last_ms:
                    time.sleep(0.0001)
                    now = self._since_epoch()
                self._last_ms = now
                self._sequence = 0
            else:
                # Sequence exhausted while the clock is behind: borrow the next millisecond
                # rather than wait for the clock to catch up (that could take hours).
                self._last_ms += 1
                self._sequence = 0
            if self._last_ms > MAX_TIMESTAMP:
                raise RuntimeError("snowflake timestamp overflow (year 2094)")
            return (self._last_ms << TIMESTAMP_SHIFT) | self._worker_bits | self._sequence
