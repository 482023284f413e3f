"""Who gets which event: the gateway's routing rules, as pure functions.

A gateway session listens to its user's topic and to the topic of every server its user is in.
Membership changes take effect at once: a session starts listening to a server when
SERVER_CREATE reaches its user, and stops before the next event of a server it left, was kicked
from, or that was deleted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from .events import Topic, TopicKind
from .model import Snowflake

NOT_DISPATCHED = frozenset({"SESSIONS_REVOKED"})
"""Events the gateway acts on but never sends to clients."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """One gateway session, as routing sees it."""

    user_id: Snowflake
    auth_session_id: str
    server_ids: frozenset[Snowflake]


@dataclass(frozen=True, slots=True)
class Route:
    deliver: bool
    subscribe: Snowflake | None = None
    """A server whose topic the session must start listening to (before delivery)."""
    unsubscribe: Snowflake | None = None
    """A server whose topic the session must stop listening to."""
    close: bool = False
    """The session's token was revoked: close it (4004)."""


SKIP = Route(deliver=False)


def route(
    name: str,
    topic: Topic,
    subject: Snowflake | None,
    viewer: Viewer,
    revoked_sessions: Collection[str] = (),
) -> Route:
    """What a session does with an event published to `topic`."""
    if topic.kind is TopicKind.ALL:
        return _broadcast(name, subject, viewer, revoked_sessions)
    if topic.kind is TopicKind.USER:
        return _user_event(name, topic.id, subject, viewer, revoked_sessions)
    return _server_event(name, topic.id, subject, viewer)


def _user_event(
    name: str,
    user_id: Snowflake,
    subject: Snowflake | None,
    viewer: Viewer,
    revoked_sessions: Collection[str],
) -> Route:
    if user_id != viewer.user_id:
        return SKIP
    if name == "SERVER_CREATE" and subject is not None:
        return Route(deliver=True, subscribe=subject)
    if name == "SERVER_DELETE" and subject is not None:
        return Route(deliver=True, unsubscribe=subject)
    return Route(deliver=True)


def _broadcast(
    name: str, subject: Snowflake | None, viewer: Viewer, revoked_sessions: Collection[str]
) -> Route:
    """Events every instance hears; only revoked tokens concern sessions."""
    revoked = (
        name == "SESSIONS_REVOKED"
        and subject == viewer.user_id
        and viewer.auth_session_id in revoked_sessions
    )
    return Route(deliver=False, close=revoked)


def _server_event(
    name: str, server_id: Snowflake, subject: Snowflake | None, viewer: Viewer
) -> Route:
    if server_id not in viewer.server_ids:
        return SKIP
    if name == "SERVER_DELETE":
        return Route(deliver=True, unsubscribe=server_id)
    if name == "MEMBER_REMOVE" and subject == viewer.user_id:
        # The removed member hears SERVER_DELETE on their own topic instead.
        return Route(deliver=False, unsubscribe=server_id)
    return Route(deliver=True)
