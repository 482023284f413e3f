"""The event bus over Redis pub/sub: one PUBLISH per event, and each instance subscribes only
to the topics its own sessions need (plus "all:0", which every instance hears). The publishing
instance hands each event to its own sessions at once, not through Redis, and ignores its own
echo.

Redis pub/sub is fire-and-forget: what is published while a subscriber's connection is down
(a Redis restart, a network cut) is lost without a trace. Redis is only the fast path: every
stored event is in the outbox with its topic sequence, and the gateway hub reads what it
missed from there (entrypoints/gateway/hub.py). So that it does not wait for its next relay
pass, every instance publishes a tick on its own channel twice a second and checks that its
subscriber sees every tick. A missing tick, a silent subscription or a failed publish marks the
bus as degraded; when ticks flow again, `on_gap` is called once and the hub reads the outbox
at once. A failed publish also lost the event for the other instances, so the publisher then
asks every instance to do the same (a message on the control channel).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from discord_core.events import Event
from discord_core.model import Snowflake

from ..wire import Envelope, EnvelopeSink, EventEncoder, EventLookup, pack_effect, unpack_effect
from .client import UNAVAILABLE

log = logging.getLogger(__name__)

RESYNC_MARGIN_S = 5.0
"""Slack for clock skew between instances (snowflakes carry the publisher's clock)."""
SEP = "\x1f"  # JSON escapes control characters, so it never occurs inside the payload
ALL_TOPIC = "all:0"


def pack(origin: str, envelope: Envelope) -> str:
    dispatched = "" if envelope.dispatched else "0"
    effect = pack_effect(envelope.effect)
    sequence = f"{envelope.id},{envelope.seq},{envelope.join_seq}"
    return SEP.join((origin, envelope.name, dispatched, effect, sequence, envelope.payload))


def unpack(topic: str, data: str) -> tuple[str, Envelope]:
    origin, name, dispatched, effect, sequence, payload = data.split(SEP, 5)
    event_id, seq, join_seq = sequence.split(",")
    envelope = Envelope(
        topic=topic,
        name=name,
        payload=payload,
        effect=unpack_effect(effect),
        dispatched=dispatched != "0",
        id=int(event_id),
        seq=int(seq),
        join_seq=int(join_seq),
    )
    return origin, envelope


class RedisEventBus:
    def __init__(
        self,
        client: aioredis.Redis,
        encode: EventEncoder,
        *,
        prefix: str,
        instance: str,
        tick_s: float = 0.5,
    ) -> None:
        self._client = client
        self._encode = encode
        self._instance = instance
        self._channel_prefix = f"{prefix}ev:"
        self._tick_channel = f"{prefix}tick:{instance}"
        self._control_channel = f"{prefix}ctl"
        self._tick_s = tick_s
        self._sinks: list[EnvelopeSink] = []
        self._pubsub: PubSub | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Future[None]] = set()
        self._ticks_sent = 0
        self._ticks_seen = 0
        self._last_tick_at = 0.0
        self._degraded: str | None = None
        self._lost_publishes = False
        self._publish_down = False
        """A publish found Redis unreachable: later ones fail at once (no retries on the
        request path) until a tick gets through again."""
        self._last_good = time.time()
        self.log: EventLookup | None = None
        """Where `republish` finds committed events (the composition root sets it)."""
        self.on_gap: Callable[[str, float], None] | None = None
        """Called when events may have been missed, once events flow again: (why, since)
        where `since` is a Unix time before which nothing was lost."""
        self.published = 0
        self.publish_failures = 0
        self.gaps = 0

    # --- EventPublisher ---------------------------------------------------------------------

    async def publish(self, events: Sequence[Event]) -> None:
        """Events that are not stored (typing, presence of connections)."""
        await self.send([self._encode(event) for event in events])

    async def republish(self, key: Snowflake) -> None:
        envelope = await self.log.get(key) if self.log is not None else None
        if envelope is not None:
            await self.send([envelope])

    async def send(self, envelopes: Sequence[Envelope]) -> None:
        """Hand envelopes to this instance's sinks at once and PUBLISH them for the others
        (one pipeline). Never raises: a failed publish is repaired from the outbox."""
        for envelope in envelopes:
            self._deliver(envelope)
        if self._publish_down:
            self._lost(len(envelopes), None)
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for envelope in envelopes:
                    channel = self._channel_prefix + envelope.topic
                    pipe.publish(channel, pack(self._instance, envelope))
                await pipe.execute()
        except UNAVAILABLE as exc:
            self._publish_down = True
            self._lost(len(envelopes), exc)
            return
        self.published += len(envelopes)

    def _lost(self, count: int, exc: BaseException | None) -> None:
        """Committed data is safe; every instance resyncs its clients when Redis is back."""
        self.publish_failures += count
        self._lost_publishes = True
        if exc is not None:
            log.warning(
                "could not publish %d event(s): %s; later ones are not tried until Redis "
                "answers again",
                count,
                exc,
            )
        self._degrade("a publish failed")

    # --- the hub's side ---------------------------------------------------------------------

    def attach(self, sink: EnvelopeSink) -> Callable[[], None]:
        self._sinks.append(sink)
        return lambda: self._sinks.remove(sink)

    async def subscribe(self, topic: str) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(*UNAVAILABLE):
                await self._pubsub.subscribe(self._channel_prefix + topic)

    async def unsubscribe(self, topic: str) -> None:
        if self._pubsub is not None and topic != ALL_TOPIC:
            with contextlib.suppress(*UNAVAILABLE):
                await self._pubsub.unsubscribe(self._channel_prefix + topic)

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(
            self._tick_channel, self._control_channel, self._channel_prefix + ALL_TOPIC
        )
        self._last_tick_at = asyncio.get_running_loop().time()
        self._tasks = [
            asyncio.create_task(self._read_forever()),
            asyncio.create_task(self._tick_forever()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read_forever(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except UNAVAILABLE as exc:
                log.warning("event subscription interrupted: %s", exc)
                self._degrade("the subscription was interrupted")
                await asyncio.sleep(0.5)
                continue
            if message is not None and message.get("type") == "message":
                self._handle(message["channel"], message["data"])

    def _handle(self, channel: str, data: str) -> None:
        if channel == self._tick_channel:
            self._on_tick(int(data))
        elif channel == self._control_channel:
            self._on_control(data)
        else:
            origin, envelope = unpack(channel.removeprefix(self._channel_prefix), data)
            if origin != self._instance:  # our own events were delivered when published
                self._deliver(envelope)

    def _deliver(self, envelope: Envelope) -> None:
        for sink in self._sinks:
            try:
                sink(envelope)
            except Exception:
                log.exception("event sink failed for %s", envelope.name)

    # --- gap detection ----------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._tick_s)
            tick = self._ticks_sent + 1
            try:
                await self._client.publish(self._tick_channel, tick)
            except UNAVAILABLE:
                pass  # a tick never sent is not expected back (a dead Redis shows below)
            else:
                self._ticks_sent = tick
                self._publish_down = False  # Redis takes publishes again
            if loop.time() - self._last_tick_at > self._tick_s * 6:
                self._degrade("no tick came back from Redis")

    def _on_tick(self, tick: int) -> None:
        self._last_tick_at = asyncio.get_running_loop().time()
        if tick <= self._ticks_seen:
            return  # sent although its publish reported an error: it is sent again
        expected = self._ticks_seen + 1
        self._ticks_seen = tick
        if tick != expected:
            self._degrade(f"ticks {expected}..{tick - 1} never arrived")
        if self._degraded is None:
            self._last_good = time.time()
            return
        why, self._degraded = self._degraded, None
        since = self._last_good - RESYNC_MARGIN_S
        self._last_good = time.time()
        if self._lost_publishes:
            self._lost_publishes = False
            # Our lost events are missing everywhere: every instance must resync.
            task = asyncio.ensure_future(self._broadcast_resync(why, since))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        self._gap(why, since)

    async def _broadcast_resync(self, why: str, since: float) -> None:
        with contextlib.suppress(*UNAVAILABLE):
            await self._client.publish(
                self._control_channel, f"resync{SEP}{self._instance}{SEP}{since}{SEP}{why}"
            )

    def _on_control(self, data: str) -> None:
        kind, origin, since, why = data.split(SEP, 3)
        if kind == "resync" and origin != self._instance:
            self._gap(f"{origin}: {why}", float(since))

    def _gap(self, why: str, since: float) -> None:
        self.gaps += 1
        log.warning("events may have been missed (%s): local sessions must resync", why)
        if self.on_gap is not None:
            self.on_gap(why, since)

    def _degrade(self, why: str) -> None:
        if self._degraded is None:
            log.warning("event bus degraded: %s", why)
            self._degraded = why
