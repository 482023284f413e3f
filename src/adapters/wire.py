"""What travels between instances: an event already encoded for the wire.

Adapters move envelopes (in process or over Redis) without knowing the domain events inside.
The encoder (domain event -> envelope) is the entrypoint's; the composition root passes it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from discord_core.events import Effect, Event, Topic


@dataclass(frozen=True, slots=True)
class Envelope:
    topic: str
    """str(Topic): "server:<id>", "user:<id>", "channel:<id>" or "all:0"."""
    name: str
    """The dispatch name clients see, e.g. MESSAGE_CREATE."""
    payload: str
    """The JSON of the dispatch's `d`, encoded once for every recipient."""
    effect: Effect | None = None
    """How the event changes who listens where (discord_core.routing)."""
    dispatched: bool = True
    """False for events the gateway acts on but never sends to clients."""
    id: int = 0
    """The event's snowflake, from the outbox (0: an event that is not stored)."""
    seq: int = 0
    """Its place in its topic: 1, 2, 3 ... in commit order, no gaps (0: not stored, so not
    sequenced: typing, presence of connections)."""
    join_seq: int = 0
    """For an effect that joins a topic: that topic's sequence at this event (the joining
    sessions get that topic's events after it)."""


EventEncoder = Callable[[Event], Envelope]
EnvelopeSink = Callable[[Envelope], None]


class EventLookup(Protocol):
    """Finds a committed event in the outbox by its id (adapters.sql.outbox.SqlEventLog)."""

    async def get(self, event_id: int) -> Envelope | None: ...


_FIELD = ";"
_LIST = ","


def pack_effect(effect: Effect | None) -> str:
    """A compact text form of an effect ("" for none); ids, topics and token session ids
    never contain the separators."""
    if effect is None:
        return ""
    return _FIELD.join(
        (
            "" if effect.user_id is None else str(effect.user_id),
            "" if effect.join is None else str(effect.join),
            "" if effect.leave is None else str(effect.leave),
            "1" if effect.silent else "",
            _LIST.join(effect.close_sessions),
            "" if effect.watched is None else str(effect.watched),
        )
    )


def unpack_effect(text: str) -> Effect | None:
    if not text:
        return None
    fields = text.split(_FIELD)
    if len(fields) == 5:  # written before effects had `watched` (an outbox row, a peer)
        fields.append("")
    user_id, join, leave, silent, sessions, watched = fields
    return Effect(
        user_id=int(user_id) if user_id else None,
        join=Topic.parse(join) if join else None,
        leave=Topic.parse(leave) if leave else None,
        silent=bool(silent),
        close_sessions=tuple(sessions.split(_LIST)) if sessions else (),
        watched=int(watched) if watched else None,
    )
