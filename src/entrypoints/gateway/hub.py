"""The gateway hub of one instance: which local session listens to which topic.

It receives each committed event once (as an encoded envelope) from the event bus and queues
it to every local session that should get it, without awaiting any socket. Routing decisions
for membership changes come from `discord_core.routing`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from adapters.wire import Envelope
from discord_core.events import Topic
from discord_core.routing import route

from .protocol import Close
from .session import GatewaySession

log = logging.getLogger(__name__)

ALL_TOPIC = str(Topic.all())

TopicCallback = Callable[[str], Awaitable[None]]


class Hub:
    def __init__(
        self,
        *,
        resume_window_s: float,
        on_subscribe: TopicCallback,
        on_unsubscribe: TopicCallback,
    ) -> None:
        self.resume_window_s = resume_window_s
        self._topics: dict[str, set[GatewaySession]] = {}
        self._sessions: dict[str, GatewaySession] = {}
        self._by_user: dict[int, set[GatewaySession]] = {}
        self._on_subscribe = on_subscribe
        self._on_unsubscribe = on_unsubscribe
        self._background: set[asyncio.Task[None]] = set()
        self.delivered = 0
        """Dispatches queued to local sessions (for metrics)."""
        self.dropped_slow = 0
        """Sockets closed because their send queue filled (for metrics)."""

    # --- sessions -------------------------------------------------------------------------

    def get(self, session_id: str) -> GatewaySession | None:
        return self._sessions.get(session_id)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    def sessions_of(self, user_id: int) -> set[GatewaySession]:
        return self._by_user.get(user_id, set())

    def add(self, session: GatewaySession) -> None:
        self._sessions[session.id] = session
        self._by_user.setdefault(session.user_id, set()).add(session)
        for topic in session.topics:
            self._listen(session, topic)

    def remove(self, session: GatewaySession) -> None:
        """Forget a session for good (clean close, revoked, or its resume window passed)."""
        if self._sessions.pop(session.id, None) is not None:
            self._mute(session)
            mine = self._by_user.get(session.user_id)
            if mine is not None:
                mine.discard(session)
                if not mine:
                    del self._by_user[session.user_id]

    def detach(self, session: GatewaySession) -> None:
        """The socket went away; keep buffering for the resume window."""
        session.link = None
        session.detached_at = time.monotonic()

    def expire_detached(self) -> None:
        """Drop sessions whose resume window has passed (presence ended at detach)."""
        cutoff = time.monotonic() - self.resume_window_s
        expired = [
            s
            for s in self._sessions.values()
            if s.link is None and s.detached_at is not None and s.detached_at < cutoff
        ]
        for session in expired:
            self.remove(session)

    def invalidate_all(self, reason: str, resync_after: int) -> None:
        """This instance may have missed events published after `resync_after` (a snowflake).
        Every session gets a RESYNC dispatch naming it, stops listening, and after its
        backlog the client gets INVALID_SESSION: it identifies again and re-fetches what is
        newer than `resync_after` over REST (docs/gateway.md)."""
        payload = f'{{"after":"{resync_after}"}}'
        sessions = [s for s in self._sessions.values() if not s.invalid]
        for session in sessions:
            self._mute(session)
            session.invalid = True
            session.dispatch("RESYNC", payload)
        log.warning("%d gateway session(s) must resync: %s", len(sessions), reason)

    def _mute(self, session: GatewaySession) -> None:
        for topic in session.topics:
            self._ignore(session, topic)

    # --- events ---------------------------------------------------------------------------

    def deliver(self, envelope: Envelope) -> None:
        """EnvelopeSink: queue the event to every local session that should get it."""
        listeners = self._topics.get(self._audience(envelope))
        if not listeners:
            return
        if envelope.effect is not None:
            self._deliver_routed(envelope, list(listeners))
            return
        if not envelope.dispatched:
            return
        for session in listeners:
            session.dispatch(envelope.name, envelope.payload)
        self.delivered += len(listeners)

    @staticmethod
    def _audience(envelope: Envelope) -> str:
        """The local topic whose sessions may be concerned: an event for every instance
        (revoked tokens) concerns only the sessions of the user its effect names."""
        effect = envelope.effect
        if envelope.topic == ALL_TOPIC and effect is not None and effect.user_id is not None:
            return str(Topic.user(effect.user_id))
        return envelope.topic

    def _deliver_routed(self, envelope: Envelope, listeners: list[GatewaySession]) -> None:
        """Events that change who listens where (their type declares an Effect)."""
        topic = Topic.parse(envelope.topic)
        for session in listeners:
            decision = route(
                topic, envelope.effect, session.viewer(), dispatched=envelope.dispatched
            )
            if decision.join is not None:
                self._join(session, str(decision.join))
            if decision.close and session.link is not None:
                session.link.request_close(Close.AUTHENTICATION_FAILED, "token revoked")
            if decision.close:
                self.remove(session)
            if decision.deliver:
                session.dispatch(envelope.name, envelope.payload)
                self.delivered += 1
            if decision.leave is not None:
                self._leave(session, str(decision.leave))

    def _join(self, session: GatewaySession, topic: str) -> None:
        session.topics.add(topic)
        self._listen(session, topic)

    def _leave(self, session: GatewaySession, topic: str) -> None:
        session.topics.discard(topic)
        self._ignore(session, topic)

    def _listen(self, session: GatewaySession, topic: str) -> None:
        listeners = self._topics.get(topic)
        if listeners is None:
            listeners = self._topics[topic] = set()
            self._spawn(self._on_subscribe(topic))
        listeners.add(session)

    def _ignore(self, session: GatewaySession, topic: str) -> None:
        listeners = self._topics.get(topic)
        if listeners is None:
            return
        listeners.discard(session)
        if not listeners:
            del self._topics[topic]
            self._spawn(self._on_unsubscribe(topic))

    def _spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
