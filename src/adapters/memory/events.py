"""The in-process event bus: committed events go straight to this instance's gateway hub.

The same path as between instances: the outbox's envelopes (with their topic sequence) right
after COMMIT (`send`), events that are not stored as they happen (`publish`), and a committed
event again from the outbox on request (`republish`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from discord_core.events import Event
from discord_core.model import Snowflake

from ..wire import Envelope, EnvelopeSink, EventEncoder, EventLookup

log = logging.getLogger(__name__)


class InProcessEventBus:
    """EventPublisher for one process. Encodes each event once and hands it to the sink.

    The sink (the gateway hub) only queues frames, so publishing never waits on a socket.
    """

    def __init__(self, encode: EventEncoder) -> None:
        self._encode = encode
        self._sinks: list[EnvelopeSink] = []
        self.published = 0
        self.log: EventLookup | None = None
        """Where `republish` finds committed events (the composition root sets it)."""

    def attach(self, sink: EnvelopeSink) -> Callable[[], None]:
        self._sinks.append(sink)
        return lambda: self._sinks.remove(sink)

    async def publish(self, events: Sequence[Event]) -> None:
        await self.send([self._encode(event) for event in events])

    async def send(self, envelopes: Sequence[Envelope]) -> None:
        self.published += len(envelopes)
        for envelope in envelopes:
            for sink in self._sinks:
                self._deliver(sink, envelope)

    async def republish(self, key: Snowflake) -> None:
        envelope = await self.log.get(key) if self.log is not None else None
        if envelope is not None:
            await self.send([envelope])

    async def subscribe(self, topic: str) -> None:
        """Every topic reaches this process already; nothing to do."""

    async def unsubscribe(self, topic: str) -> None:
        """See subscribe."""

    @staticmethod
    def _deliver(sink: EnvelopeSink, envelope: Envelope) -> None:
        try:
            sink(envelope)
        except Exception:  # one broken sink must not lose the event for the others
            log.exception("event sink failed for %s", envelope.name)
