"""A per-process memory of bearer tokens already checked, so a request with a known token
skips the session lookup (a whole read transaction per request).

Correctness does not depend on the TTL: every revocation publishes SESSIONS_REVOKED, which every
instance hears (topic "all"), and the cache forgets those sessions at once; when the event bus
may have missed events (a Redis outage) the cache is cleared. The TTL only bounds how long a
forgotten-to-be-told entry could live, and no entry outlives its token's own expiry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from adapters.wire import Envelope
from discord_core.ports import TokenService
from discord_core.usecases import AuthUseCases, Identity


@dataclass(slots=True)
class _Entry:
    identity: Identity
    valid_until: float
    """Monotonic time after which the token must be checked again."""


class TokenCache:
    def __init__(
        self,
        auth: AuthUseCases,
        tokens: TokenService,
        *,
        ttl_s: float = 60.0,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._auth = auth
        self._tokens = tokens
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._wall_clock = wall_clock
        self._entries: dict[str, _Entry] = {}
        self._by_session: dict[str, set[str]] = {}

    async def authenticate(self, token: str) -> Identity:
        now = self._clock()
        entry = self._entries.get(token)
        if entry is not None and now < entry.valid_until:
            return entry.identity
        identity = await self._auth.authenticate(token)
        ttl = self._ttl_s
        if identity.expires_at is not None:  # a bot's token has none: rotation revokes it
            ttl = min(ttl, identity.expires_at.timestamp() - self._wall_clock())
        self._remember(token, identity, now + ttl)
        return identity

    def on_event(self, envelope: Envelope) -> None:
        """EnvelopeSink: forget the sessions of revoked tokens."""
        if envelope.effect is not None:
            for session_id in envelope.effect.close_sessions:
                self.forget_session(session_id)

    def forget_session(self, session_id: str) -> None:
        for token in self._by_session.pop(session_id, ()):
            self._entries.pop(token, None)

    def clear(self) -> None:
        self._entries.clear()
        self._by_session.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _remember(self, token: str, identity: Identity, valid_until: float) -> None:
        if len(self._entries) >= self._max_entries:
            self.clear()  # rare; the next requests simply check their tokens again
        self._entries[token] = _Entry(identity, valid_until)
        self._by_session.setdefault(identity.session_id, set()).add(token)
