"""Who gets which event: the gateway's routing rule, as one pure function.

A gateway session listens to a set of topics: its user's, each of its servers', and each
private channel it is a recipient of (`usecases.gateway.ReadyState.topics`). An event published
to a topic reaches every session listening to it. Events whose type declares an `Effect` also
change who listens where, at once and the same way for every kind of topic: a session starts
listening to a server when SERVER_CREATE reaches its user, and stops before the next event of a
server it left, was kicked from, or that was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from .events import Effect, Topic, TopicKind
from .model import Snowflake


@dataclass(frozen=True, slots=True)
class Viewer:
    """One gateway session, as routing sees it."""

    user_id: Snowflake
    auth_session_id: str
    topics: frozenset[Topic]
    """The topics the session listens to."""


@dataclass(frozen=True, slots=True)
class Route:
    deliver: bool
    join: Topic | None = None
    """A topic the session must start listening to (before delivery)."""
    leave: Topic | None = None
    """A topic the session must stop listening to (after delivery)."""
    close: bool = False
    """The session's token was revoked: close it (4004)."""


SKIP = Route(deliver=False)


def listens(topic: Topic, effect: Effect | None, viewer: Viewer) -> bool:
    """Whether an event on `topic` concerns the session at all. Events for every instance
    concern only the sessions of the user their effect names."""
    if topic.kind is TopicKind.ALL:
        return effect is not None and effect.user_id == viewer.user_id
    return topic in viewer.topics


def route(topic: Topic, effect: Effect | None, viewer: Viewer, *, dispatched: bool = True) -> Route:
    """What a session does with an event published to `topic` (`dispatched`: whether the
    event's type is ever sent to clients)."""
    if not listens(topic, effect, viewer):
        return SKIP
    if effect is None or (effect.user_id is not None and effect.user_id != viewer.user_id):
        return Route(deliver=dispatched)
    close = viewer.auth_session_id in effect.close_sessions
    return Route(
        deliver=dispatched and not effect.silent and not close,
        join=effect.join,
        leave=effect.leave,
        close=close,
    )
