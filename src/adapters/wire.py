"""What travels between instances: an event already encoded for the wire.

Adapters move envelopes (in process or over Redis) without knowing the domain events inside.
The encoder (domain event -> envelope) is the entrypoint's; the composition root passes it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from discord_core.events import Event


@dataclass(frozen=True, slots=True)
class Envelope:
    topic: str
    """"server:<id>" or "user:<id>"."""
    name: str
    """The dispatch name clients see, e.g. MESSAGE_CREATE."""
    payload: str
    """The JSON of the dispatch's `d`, encoded once for every recipient."""
    subject: int | None = None
    """The id routing acts on (discord_core.routing), e.g. the server of SERVER_CREATE."""
    sessions: tuple[str, ...] = ()
    """For SESSIONS_REVOKED: the revoked token sessions."""


EventEncoder = Callable[[Event], Envelope]
EnvelopeSink = Callable[[Envelope], None]
