"""Who gets which event: the gateway's routing rule, as one pure function.

A gateway session listens to a set of topics: its user's, each of its servers', and each
private channel it is a recipient of (`usecases.gateway.ReadyState.topics`). An event published
to a topic reaches every session listening to it. Events whose type declares an `Effect` also
change who listens where, at once and the same way for every kind of topic: a session starts
listening to a server when SERVER_CREATE reaches its user, and stops before the next event of a
server it left, was kicked from, or that was deleted.

Large servers' presence is lazy: a session watches only the members of the part of a server's
member list it subscribed to (gateway op 14; `Viewer.watching`), and an event whose effect
names a `watched` user reaches only the sessions watching that user in the event's topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .events import Effect, Topic, TopicKind
from .model import Snowflake


@dataclass(frozen=True, slots=True)
class Viewer:
    """One gateway session, as routing sees it."""

    user_id: Snowflake
    auth_session_id: str
    topics: frozenset[Topic]
    """The topics the session listens to."""
    watching: Mapping[Topic, frozenset[Snowflake]] = field(default_factory=dict)
    """Per server topic, the members whose presence the session follows there (the members
    of the part of the member list it subscribed to)."""


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
    if topic not in viewer.topics:
        return False
    if effect is not None and effect.watched is not None:
        return effect.watched in viewer.watching.get(topic, frozenset())
    return True


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
