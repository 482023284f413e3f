"""Domain events: what a committed change means to the people who can see it.

Each event goes to exactly one topic: a server's (everyone in it) or a user's (all their
sessions). Use cases record events; the composition root's publisher delivers them after commit.
The gateway turns them into wire frames; `name` is the dispatch name clients see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from .model import (
    Channel,
    MemberView,
    MessageView,
    Presence,
    Server,
    ServerSnapshot,
    Snowflake,
    User,
)


class TopicKind(StrEnum):
    SERVER = "server"
    USER = "user"
    ALL = "all"
    """Every instance: for what each of them must act on (revoked tokens)."""


@dataclass(frozen=True, slots=True)
class Topic:
    kind: TopicKind
    id: Snowflake

    @classmethod
    def server(cls, server_id: Snowflake) -> Topic:
        return cls(TopicKind.SERVER, server_id)

    @classmethod
    def user(cls, user_id: Snowflake) -> Topic:
        return cls(TopicKind.USER, user_id)

    @classmethod
    def all(cls) -> Topic:
        return cls(TopicKind.ALL, 0)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class Event:
    name: ClassVar[str] = ""

    @property
    def topic(self) -> Topic:
        raise NotImplementedError

    @property
    def subject(self) -> Snowflake | None:
        """The id the gateway's routing rules act on (see `routing`), if any."""
        return None


@dataclass(frozen=True, slots=True)
class ServerEvent(Event):
    server_id: Snowflake

    @property
    def topic(self) -> Topic:
        return Topic.server(self.server_id)


@dataclass(frozen=True, slots=True)
class UserEvent(Event):
    user_id: Snowflake

    @property
    def topic(self) -> Topic:
        return Topic.user(self.user_id)


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageCreated(ServerEvent):
    name: ClassVar[str] = "MESSAGE_CREATE"
    message: MessageView


@dataclass(frozen=True, slots=True)
class MessageUpdated(ServerEvent):
    name: ClassVar[str] = "MESSAGE_UPDATE"
    message: MessageView


@dataclass(frozen=True, slots=True)
class MessageDeleted(ServerEvent):
    name: ClassVar[str] = "MESSAGE_DELETE"
    channel_id: Snowflake
    message_id: Snowflake


@dataclass(frozen=True, slots=True)
class TypingStarted(ServerEvent):
    name: ClassVar[str] = "TYPING_START"
    channel_id: Snowflake
    user_id: Snowflake
    username: str
    timestamp: datetime


# --- channels -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelCreated(ServerEvent):
    name: ClassVar[str] = "CHANNEL_CREATE"
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelUpdated(ServerEvent):
    name: ClassVar[str] = "CHANNEL_UPDATE"
    channel: Channel


@dataclass(frozen=True, slots=True)
class ChannelDeleted(ServerEvent):
    name: ClassVar[str] = "CHANNEL_DELETE"
    channel: Channel


# --- servers and members --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerUpdated(ServerEvent):
    name: ClassVar[str] = "SERVER_UPDATE"
    server: Server


@dataclass(frozen=True, slots=True)
class ServerDeleted(ServerEvent):
    """The server is gone, for everyone in it."""

    name: ClassVar[str] = "SERVER_DELETE"

    @property
    def subject(self) -> Snowflake | None:
        return self.server_id


@dataclass(frozen=True, slots=True)
class ServerAvailable(UserEvent):
    """A server appeared for one user: they created or joined it."""

    name: ClassVar[str] = "SERVER_CREATE"
    snapshot: ServerSnapshot

    @property
    def subject(self) -> Snowflake | None:
        return self.snapshot.server.id


@dataclass(frozen=True, slots=True)
class ServerUnavailable(UserEvent):
    """A server went away for one user: they left or were kicked."""

    name: ClassVar[str] = "SERVER_DELETE"
    server_id: Snowflake

    @property
    def subject(self) -> Snowflake | None:
        return self.server_id


@dataclass(frozen=True, slots=True)
class MemberJoined(ServerEvent):
    name: ClassVar[str] = "MEMBER_ADD"
    member: MemberView


@dataclass(frozen=True, slots=True)
class MemberUpdated(ServerEvent):
    name: ClassVar[str] = "MEMBER_UPDATE"
    member: MemberView


@dataclass(frozen=True, slots=True)
class MemberRemoved(ServerEvent):
    name: ClassVar[str] = "MEMBER_REMOVE"
    user_id: Snowflake
    kicked: bool

    @property
    def subject(self) -> Snowflake | None:
        return self.user_id


# --- users ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PresenceUpdated(ServerEvent):
    """Sent once per server the user is in, like Discord's PRESENCE_UPDATE."""

    name: ClassVar[str] = "PRESENCE_UPDATE"
    user_id: Snowflake
    presence: Presence


@dataclass(frozen=True, slots=True)
class UserUpdated(UserEvent):
    """The user's own profile changed (private: only their own sessions get it)."""

    name: ClassVar[str] = "USER_UPDATE"
    user: User


@dataclass(frozen=True, slots=True)
class SessionsRevoked(UserEvent):
    """Tokens were revoked. Every instance hears it: the gateway closes the sessions opened
    with them and token caches forget them. Not dispatched to clients."""

    name: ClassVar[str] = "SESSIONS_REVOKED"
    session_ids: tuple[str, ...]

    @property
    def topic(self) -> Topic:
        return Topic.all()

    @property
    def subject(self) -> Snowflake | None:
        return self.user_id
