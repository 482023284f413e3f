"""The gateway hub of one instance: which local session listens to which topic, and the
per-topic streams that make delivery exact.

Every committed event carries its topic's sequence (1, 2, 3 ... in commit order, no gaps; see
adapters/sql/outbox.py). For each topic some local session listens to, the hub keeps a
`Stream`: the last sequence it delivered. An event arrives from the bus (published right after
its commit, or again by a relay):

- at the next sequence: delivered at once to the topic's sessions, then any that were waiting;
- at or below the last one: a duplicate (at-least-once delivery), dropped;
- beyond the next one: a gap. It waits; after a short grace (the missing events are usually
  just behind, published by another instance or task) the missing ones are read from the
  outbox and everything is delivered in order.

A relay pass (`check`) compares every stream with the outbox's heads: it finds what no later
event revealed (an instance that died between commit and publish, a subscription that silently
missed messages during a Redis outage, a new subscription that was not live yet). Only when the
missing events are gone from the outbox (older than its retention) do the topic's sessions get
RESYNC, then INVALID_SESSION at once (docs/gateway.md).

Sessions join a topic at a position: READY reads each topic's position before its snapshot,
SERVER_CREATE carries the position of the server's topic at the join. A joining session gets
the topic's events after that position: those the stream already delivered come from a short
per-stream memory (or RESYNC if they are no longer there), later ones as they come.

Events that are not stored (typing, presence of connections) have no sequence: delivered as
they come, never checked. Routing decisions for events with an effect come from
`discord_core.routing`. Nothing here awaits a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Protocol

from adapters.ids import lowest_snowflake_at, snowflake_time
from adapters.wire import Envelope
from discord_core.events import Topic
from discord_core.routing import route

from .protocol import Close
from .session import GatewaySession

log = logging.getLogger(__name__)

ALL_TOPIC = str(Topic.all())
GAP_GRACE_S = 0.05
"""How long an event waits for the ones before it before they are read from the outbox."""
RECENT = 256
"""Events each stream remembers for sessions that join behind it."""
PENDING_MAX = 10_000
"""Events waiting behind a gap; beyond this the topic's sessions resync."""
FETCH = 500
RESYNC_MARGIN_MS = 5_000
"""A RESYNC's `after` is this much before the last event delivered (clock skew)."""

TopicCallback = Callable[[str], Awaitable[None]]
EnvelopeHook = Callable[[Envelope], None]


class EventLog(Protocol):
    """The outbox, as the hub reads it (adapters.sql.outbox.SqlEventLog)."""

    async def heads(self, topics: Sequence[str]) -> dict[str, int]: ...
    async def after(self, topic: str, seq: int, limit: int = FETCH) -> list[Envelope]: ...


class Stream:
    """One topic on this instance: who listens, and how far its events were delivered."""

    __slots__ = (
        "filling",
        "floors",
        "known",
        "last",
        "last_id",
        "listeners",
        "pending",
        "recent",
        "topic",
        "watchers",
    )

    def __init__(self, topic: str, last: int | None) -> None:
        self.topic = topic
        self.listeners: set[GatewaySession] = set()
        self.known = last is not None
        """Whether `last` is a real position (else the next event or head read sets it)."""
        self.last = last or 0
        """The sequence of the last event delivered, in order."""
        self.floors: dict[GatewaySession, int] | None = None
        """Sessions that joined ahead of the stream: they skip its events up to their
        position (those are in what their READY or SERVER_CREATE showed)."""
        self.last_id = 0
        """That event's snowflake (its time: what a RESYNC names)."""
        self.pending: dict[int, Envelope] = {}
        """Events that arrived ahead of a gap, by sequence."""
        self.recent: deque[Envelope] | None = None
        """The last RECENT events delivered (created on the first one)."""
        self.filling = False
        """A read of the outbox for this topic is under way."""
        self.watchers: dict[int, set[GatewaySession]] | None = None
        """Member -> the listening sessions that watch that member's presence here (their
        member-list subscription holds them): who gets a large server's presence."""


def _ms_of(snowflake: int) -> int:
    return int(snowflake_time(snowflake).timestamp() * 1000)


class Hub:
    def __init__(
        self,
        *,
        resume_window_s: float,
        on_subscribe: TopicCallback,
        on_unsubscribe: TopicCallback,
        log: EventLog | None = None,
        gap_grace_s: float = GAP_GRACE_S,
    ) -> None:
        self.resume_window_s = resume_window_s
        self._streams: dict[str, Stream] = {}
        self._sessions: dict[str, GatewaySession] = {}
        self._by_user: dict[int, set[GatewaySession]] = {}
        self._detached: dict[str, GatewaySession] = {}
        """Sessions waiting for a RESUME, in the order they were detached."""
        self._on_subscribe = on_subscribe
        self._on_unsubscribe = on_unsubscribe
        self._hooks: list[EnvelopeHook] = []
        self._background: set[asyncio.Task[None]] = set()
        self.log = log
        self.gap_grace_s = gap_grace_s
        self._streams[ALL_TOPIC] = Stream(ALL_TOPIC, 0)
        """Every instance hears "all:0" (revoked tokens); its position is read at start."""
        self._all_known = log is None
        self.delivered = 0
        """Dispatches queued to local sessions (for metrics)."""
        self.dropped_slow = 0
        """Sockets closed because their send queue filled (for metrics)."""
        self.duplicates = 0
        """Events dropped because they had been delivered already (at-least-once)."""
        self.gaps = 0
        """Gaps in a topic's sequence that waited for events (for metrics)."""
        self.fetched = 0
        """Events read from the outbox because the bus did not bring them in time."""
        self.resyncs = 0
        """Sessions told to resync because the events they missed are gone."""

    async def start(self) -> None:
        """Read where "all:0" stands (every instance streams it from its start)."""
        if self.log is not None and not self._all_known:
            heads = await self.log.heads([ALL_TOPIC])
            stream = self._streams[ALL_TOPIC]
            stream.last = max(stream.last, heads[ALL_TOPIC])
            self._all_known = True

    def attach(self, hook: EnvelopeHook) -> None:
        """Also hand every delivered event to `hook` (in order; e.g. the token cache)."""
        self._hooks.append(hook)

    # --- sessions -------------------------------------------------------------------------

    def get(self, session_id: str) -> GatewaySession | None:
        return self._sessions.get(session_id)

    @property
    def session_count(self) -> int:
        return len(self._sessions)

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    def sessions_of(self, user_id: int) -> set[GatewaySession]:
        return self._by_user.get(user_id, set())

    def add(self, session: GatewaySession, positions: dict[str, int] | None = None) -> None:
        """Start delivering to a new session: each of its topics from its position (what its
        READY reflects); a topic without one from where this instance's stream is."""
        self._sessions[session.id] = session
        self._by_user.setdefault(session.user_id, set()).add(session)
        positions = positions or {}
        for topic in list(session.topics):
            self._attach(session, topic, positions.get(topic))

    def remove(self, session: GatewaySession) -> None:
        """Forget a session for good (clean close, revoked, or its resume window passed)."""
        self._detached.pop(session.id, None)
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
        self._detached.pop(session.id, None)
        self._detached[session.id] = session  # the newest detach last

    def expire_detached(self) -> None:
        """Drop sessions whose resume window has passed (presence ended at detach). Only the
        detached sessions are looked at, oldest detach first, up to the first one still
        inside its window (the reaper runs twice a second; a scan of every session was a
        visible cost with 10,000 sockets)."""
        cutoff = time.monotonic() - self.resume_window_s
        expired: list[GatewaySession] = []
        resumed: list[str] = []
        for session_id, session in self._detached.items():
            if session.link is not None or session.detached_at is None:
                resumed.append(session_id)  # attached again since
            elif session.detached_at < cutoff:
                expired.append(session)
            else:
                break
        for session_id in resumed:
            del self._detached[session_id]
        for session in expired:
            self.remove(session)

    def invalidate_all(self, reason: str, resync_after: int) -> None:
        """Every session may have missed events published after `resync_after` (a
        snowflake): see `resync`."""
        self.resync(list(self._sessions.values()), reason, resync_after)

    def resync(self, sessions: Iterable[GatewaySession], reason: str, resync_after: int) -> None:
        """These sessions missed events that are no longer in the outbox. Each gets a RESYNC
        dispatch naming `resync_after`, stops listening, and right after it (the connection
        does not wait for the client) INVALID_SESSION: the client identifies again and
        re-fetches what is newer than `resync_after` over REST (docs/gateway.md)."""
        payload = f'{{"after":"{resync_after}"}}'
        count = 0
        for session in list(sessions):
            if session.invalid:
                continue
            self._mute(session)
            session.invalid = True
            session.dispatch("RESYNC", payload)
            count += 1
        self.resyncs += count
        if count:
            log.warning("%d gateway session(s) must resync: %s", count, reason)

    def watch(self, session: GatewaySession, topic: str, user_ids: frozenset[int]) -> bool:
        """The session's member-list subscription (op 14) is now these members of `topic`'s
        server, replacing its previous one. False (nothing watched) when the session does not
        listen to the topic (it left the server meanwhile)."""
        self.unwatch(session)
        stream = self._streams.get(topic)
        if stream is None or session not in stream.listeners:
            return False
        session.watching = (topic, user_ids)
        if stream.watchers is None:
            stream.watchers = {}
        for user_id in user_ids:
            stream.watchers.setdefault(user_id, set()).add(session)
        return True

    def unwatch(self, session: GatewaySession) -> None:
        watching, session.watching = session.watching, None
        if watching is None:
            return
        stream = self._streams.get(watching[0])
        if stream is None or stream.watchers is None:
            return
        for user_id in watching[1]:
            sessions = stream.watchers.get(user_id)
            if sessions is not None:
                sessions.discard(session)
                if not sessions:
                    del stream.watchers[user_id]

    def _mute(self, session: GatewaySession) -> None:
        for topic in list(session.topics):
            self._ignore(session, topic)

    # --- events ---------------------------------------------------------------------------

    def deliver(self, envelope: Envelope) -> None:
        """EnvelopeSink: an event from the bus, in whatever order and as often as it came."""
        stream = self._streams.get(envelope.topic)
        if stream is None:
            return  # nobody here listens to the topic
        if envelope.seq == 0:  # not stored, not sequenced: as it comes
            self._dispatch(stream, envelope)
            return
        if not stream.known:
            stream.known = True
            stream.last = envelope.seq - 1
        if envelope.seq <= stream.last:
            self.duplicates += 1
            return
        if envelope.seq == stream.last + 1:
            self._apply(stream, envelope)
            self._drain(stream)
            return
        if envelope.seq in stream.pending:
            self.duplicates += 1
            return
        stream.pending[envelope.seq] = envelope
        if len(stream.pending) > PENDING_MAX:
            self._lose(stream, "too many events waiting behind a gap", (), stream.last)
            return
        self._fill_soon(stream, self.gap_grace_s)

    def _apply(self, stream: Stream, envelope: Envelope) -> None:
        stream.last = envelope.seq
        stream.last_id = envelope.id
        if stream.recent is None:
            stream.recent = deque(maxlen=RECENT)
        stream.recent.append(envelope)
        for hook in self._hooks:
            try:
                hook(envelope)
            except Exception:
                log.exception("event hook failed for %s", envelope.name)
        self._dispatch(stream, envelope)

    def _drain(self, stream: Stream) -> None:
        pending = stream.pending
        while pending:
            following = pending.pop(stream.last + 1, None)
            if following is None:
                for seq in [s for s in pending if s <= stream.last]:
                    del pending[seq]
                return
            self._apply(stream, following)

    def _listeners(self, stream: Stream, envelope: Envelope) -> list[GatewaySession]:
        """The sessions an event of this stream concerns: an event for every instance
        (revoked tokens) concerns only the sessions of the user its effect names."""
        if stream.topic == ALL_TOPIC:
            effect = envelope.effect
            if effect is None or effect.user_id is None:
                return []
            return list(self._by_user.get(effect.user_id, ()))
        effect = envelope.effect
        if effect is not None and effect.watched is not None:
            # A large server's presence: only those watching that member (routing decides
            # for each of them; this index only spares asking everyone else).
            return list((stream.watchers or {}).get(effect.watched, ()))
        return list(stream.listeners)

    def _dispatch(self, stream: Stream, envelope: Envelope) -> None:
        sessions = self._listeners(stream, envelope)
        if not sessions:
            return
        floors = stream.floors
        if floors and envelope.seq:
            for session in [s for s in sessions if s in floors]:
                if envelope.seq <= floors[session]:
                    sessions.remove(session)  # in what its READY / SERVER_CREATE showed
                else:
                    del floors[session]
            if not floors:
                stream.floors = None
        if envelope.effect is None:  # the common case: one loop, nothing per session
            if envelope.dispatched:
                for session in sessions:
                    session.dispatch(envelope.name, envelope.payload)
                self.delivered += len(sessions)
            return
        for session in sessions:
            self._dispatch_to(session, envelope)

    def _dispatch_to(self, session: GatewaySession, envelope: Envelope) -> None:
        if envelope.effect is None:
            if envelope.dispatched:
                session.dispatch(envelope.name, envelope.payload)
                self.delivered += 1
            return
        decision = route(
            Topic.parse(envelope.topic),
            envelope.effect,
            session.viewer(),
            dispatched=envelope.dispatched,
        )
        if decision.close:
            if session.link is not None:
                session.link.request_close(Close.AUTHENTICATION_FAILED, "token revoked")
            self.remove(session)
        if decision.deliver:
            session.dispatch(envelope.name, envelope.payload)
            self.delivered += 1
        if decision.join is not None:  # after the event itself: what it missed follows it
            joined = str(decision.join)
            if joined not in session.topics:
                session.topics.add(joined)
                self._attach(session, joined, envelope.join_seq)
        if decision.leave is not None:
            left = str(decision.leave)
            session.topics.discard(left)
            self._ignore(session, left)

    # --- joining and leaving topics -------------------------------------------------------

    def _attach(self, session: GatewaySession, topic: str, at: int | None) -> None:
        """Make `session` listen to `topic` from position `at` (None: from now on)."""
        stream = self._streams.get(topic)
        if stream is None:
            stream = self._streams[topic] = Stream(topic, at)
            stream.listeners.add(session)
            self._spawn(self._subscribe(stream))
            return
        stream.listeners.add(session)
        if at is None or at == stream.last:
            return
        if at > stream.last or not stream.known:  # the stream is behind: skip up to `at`
            if stream.floors is None:
                stream.floors = {}
            stream.floors[session] = at
            return
        # The stream is past the session's position: replay what it remembers.
        missed = [e for e in (stream.recent or ()) if e.seq > at]
        if not missed or missed[0].seq != at + 1:
            after = self._resync_point(stream.last_id)
            self.resync([session], f"joined {topic} too far behind", after)
            return
        for envelope in missed:
            if envelope.effect is None:
                if envelope.dispatched:
                    session.dispatch(envelope.name, envelope.payload)
            else:
                self._dispatch_to(session, envelope)

    def _ignore(self, session: GatewaySession, topic: str) -> None:
        if session.watching is not None and session.watching[0] == topic:
            self.unwatch(session)
        stream = self._streams.get(topic)
        if stream is None:
            return
        stream.listeners.discard(session)
        if stream.floors is not None:
            stream.floors.pop(session, None)
        if not stream.listeners and topic != ALL_TOPIC:
            del self._streams[topic]
            self._spawn(self._on_unsubscribe(topic))

    async def _subscribe(self, stream: Stream) -> None:
        """Subscribe on the bus, then read the outbox's head once: events committed between
        the session's position and the subscription becoming live came before it."""
        try:
            await self._on_subscribe(stream.topic)
        except Exception:
            log.exception("subscribing to %s failed", stream.topic)
        await self.check([stream.topic])

    # --- the outbox -----------------------------------------------------------------------

    async def check(self, topics: Sequence[str] | None = None) -> None:
        """The relay pass: read the heads of these topics (default: every stream) and fetch
        what this instance has not delivered. Never raises (a failure is retried by the
        next pass)."""
        if self.log is None:
            return
        wanted = list(self._streams) if topics is None else list(topics)
        if not wanted:
            return
        try:
            if not self._all_known:
                await self.start()
            heads = await self.log.heads(wanted)
        except Exception as exc:
            log.warning("reading the outbox heads failed: %s", exc)
            return
        fills = []
        for topic, head in heads.items():
            stream = self._streams.get(topic)
            if stream is not None and not stream.known:
                stream.known, stream.last = True, head
                continue
            if stream is not None and head > stream.last and not stream.filling:
                stream.filling = True
                fills.append(self._fill(stream, head))
        if fills:
            await asyncio.gather(*fills)

    def catch_up(self, why: str) -> None:
        """The bus may have missed events (a Redis outage, a failed publish somewhere): run a
        relay pass now."""
        log.warning("events may have been missed (%s): reading the outbox", why)
        self._spawn(self.check())

    def _fill_soon(self, stream: Stream, delay: float) -> None:
        if stream.filling:
            return
        stream.filling = True
        self._spawn(self._fill_later(stream, delay))

    async def _fill_later(self, stream: Stream, delay: float) -> None:
        await asyncio.sleep(delay)
        if not stream.pending:  # the missing events came meanwhile
            stream.filling = False
            return
        self.gaps += 1
        await self._fill(stream, max(stream.pending))

    async def _fill(self, stream: Stream, upto: int) -> None:
        """Read the stream's events after its position up to `upto` from the outbox and
        deliver them in order (with whatever came meanwhile). `stream.filling` is set."""
        failed = False
        try:
            while stream.last < upto and self._streams.get(stream.topic) is stream:
                if self.log is None:
                    return
                try:
                    found = await self.log.after(stream.topic, stream.last, FETCH)
                except Exception as exc:
                    log.warning("reading the outbox for %s failed: %s", stream.topic, exc)
                    failed = True
                    return  # the next relay pass tries again
                if self._streams.get(stream.topic) is not stream:
                    return
                if stream.last >= upto:  # the bus brought them while this read ran
                    break
                found = [e for e in found if e.seq > stream.last]
                if not found or found[0].seq != stream.last + 1:
                    self._lose(stream, "events are gone from the outbox", found, upto)
                    continue
                for envelope in found:
                    if envelope.seq == stream.last + 1:
                        if stream.pending.pop(envelope.seq, None) is None:
                            self.fetched += 1
                        self._apply(stream, envelope)
                self._drain(stream)
                if len(found) < FETCH:
                    break
        finally:
            stream.filling = False
            if stream.pending and not failed and self._streams.get(stream.topic) is stream:
                self._fill_soon(stream, self.gap_grace_s)

    def _lose(self, stream: Stream, why: str, found: Sequence[Envelope], upto: int) -> None:
        """Events of this topic cannot be delivered: its sessions resync; the stream carries
        on from the first event still there."""
        after = self._resync_point(stream.last_id)
        if stream.topic == ALL_TOPIC:
            self.invalidate_all(f"{ALL_TOPIC}: {why}", after)
        else:
            self.resync(stream.listeners, f"{stream.topic}: {why}", after)
        following = [found[0].seq] if found else []
        following += list(stream.pending)
        stream.last = max(stream.last, (min(following) - 1) if following else upto)
        self._drain(stream)

    @staticmethod
    def _resync_point(last_id: int) -> int:
        if last_id == 0:
            return lowest_snowflake_at(int(time.time() * 1000) - 3_600_000)
        return lowest_snowflake_at(max(0, _ms_of(last_id) - RESYNC_MARGIN_MS))

    def _spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
