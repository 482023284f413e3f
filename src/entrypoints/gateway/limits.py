"""Gateway flood limits that a reconnect does not reset.

- Frames: a GCRA budget (120 per 60 s, `CHAT_WS_FRAMES_PER_MINUTE`) per user once
  identified, shared by all of the user's sockets on this instance and kept across
  reconnects; before IDENTIFY, per socket. The IDENTIFY or RESUME frame itself is charged to
  the user, so a client that was closed for flooding and reconnects at once is closed again
  before READY. Checked on every frame, so it stays in process memory (a dict lookup and a few
  float operations).
- IDENTIFY: 12 per 60 s per user (`CHAT_WS_IDENTIFY_PER_MINUTE`), in the shared rate limiter
  (Redis when configured, so across instances; the in-process one otherwise or while Redis is
  down). It bounds a reconnect loop however many instances it spreads over.

A refusal closes with 4008 and a reason saying when to come back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from adapters.memory.ratelimit import gcra
from discord_core.ports import RateLimiter

from .protocol import FRAME_WINDOW_S, FRAMES_PER_WINDOW, Close, ProtocolError

IDENTIFIES_PER_WINDOW: Final = 12
IDENTIFY_WINDOW_S: Final = 60.0
SWEEP_EVERY_S: Final = 60.0


def too_many_frames(retry: float, whose: str, limit: int = FRAMES_PER_WINDOW) -> ProtocolError:
    return ProtocolError(
        Close.RATE_LIMITED,
        f"too many frames (at most {limit} per {FRAME_WINDOW_S:g} s {whose}); "
        f"retry after {retry:.1f} s",
    )


def spend_socket_frame(tat: float, now: float) -> float:
    """Charge one frame to a socket that has not identified (its stored `tat`); return the
    new one, or 4008 when the socket's budget is spent."""
    tat, retry = gcra(tat, now, FRAMES_PER_WINDOW, FRAME_WINDOW_S)
    if retry > 0:
        raise too_many_frames(retry, "per connection")
    return tat


class GatewayLimits:
    """The per-user budgets of one instance (and the shared IDENTIFY budget)."""

    def __init__(
        self,
        shared: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
        *,
        frames: int = FRAMES_PER_WINDOW,
        identifies: int = IDENTIFIES_PER_WINDOW,
    ) -> None:
        self._shared = shared
        self._clock = clock
        self.frames = frames
        """Frames per FRAME_WINDOW_S per user."""
        self.identifies = identifies
        """IDENTIFY per IDENTIFY_WINDOW_S per user."""
        self._frame_tats: dict[int, float] = {}
        self._next_sweep = clock() + SWEEP_EVERY_S

    def spend_frame(self, user_id: int, now: float) -> None:
        """Charge one frame to the user; 4008 when the user's budget is spent."""
        tat = self._frame_tats.get(user_id, 0.0)
        tat, retry = gcra(tat, now, self.frames, FRAME_WINDOW_S)
        if retry > 0:
            raise too_many_frames(retry, "per user", self.frames)
        self._frame_tats[user_id] = tat

    async def spend_identify(self, user_id: int) -> None:
        state = await self._shared.hit(
            f"gateway-identify:{user_id}", self.identifies, IDENTIFY_WINDOW_S
        )
        if not state.allowed:
            raise ProtocolError(
                Close.RATE_LIMITED,
                f"too many IDENTIFY (at most {self.identifies} per "
                f"{IDENTIFY_WINDOW_S:g} s per user); retry after {state.retry_after:.1f} s",
            )

    def sweep(self) -> None:
        """Forget users whose budget is whole again (called by the reaper)."""
        now = self._clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY_S
        self._frame_tats = {u: tat for u, tat in self._frame_tats.items() if tat > now}
