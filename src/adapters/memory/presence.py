"""Who is online, counted per live gateway session, in process memory."""

from __future__ import annotations

from collections.abc import Iterable


class InMemoryPresence:
    """A user is online while at least one of their sessions is connected."""

    def __init__(self) -> None:
        self._sessions: dict[int, set[str]] = {}

    async def connect(self, user_id: int, session_id: str) -> bool:
        """Register a session; True when this made the user come online."""
        sessions = self._sessions.setdefault(user_id, set())
        was_offline = not sessions
        sessions.add(session_id)
        return was_offline

    async def disconnect(self, user_id: int, session_id: str) -> bool:
        """Forget a session; True when this made the user go offline."""
        sessions = self._sessions.get(user_id)
        if not sessions or session_id not in sessions:
            return False
        sessions.discard(session_id)
        if sessions:
            return False
        del self._sessions[user_id]
        return True

    async def online(self, user_ids: Iterable[int]) -> set[int]:
        return {u for u in user_ids if self._sessions.get(u)}
