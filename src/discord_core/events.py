"""Domain events: what a committed change means to the people who can see it.

Each event type knows its own wire name (`name`, the dispatch name clients see) and its
audience (`topic`): a server's (everyone in it), a user's (all their sessions), a private
channel's (its recipients: DMs and group DMs), or every instance. An event that changes who
listens where says so in its `effect` (see `Effect`); `routing` applies it, the same way for
every kind of topic.

Adding an event: define it here (name, topic, effect if any) and give it a wire payload in
`entrypoints/gateway/encode.py`. Nothing else spells event names.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from .model import (
    Channel,
    MemberView,
    MessageView,
    NotificationSetting,
    Presence,
    Server,
    ServerSnapshot,
    Snowflake,
    User,
)


class TopicKind(StrEnum):
    SERVER = "server"
    USER = "user"
    CHANNEL = "channel"
    """A private channel (DM or group DM): its recipients listen to it."""
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
    def channel(cls, channel_id: Snowflake) -> Topic:
        return cls(TopicKind.CHANNEL, channel_id)

    @classmethod
    def all(cls) -> Topic:
        return cls(TopicKind.ALL, 0)

    @classmethod
    def parse(cls, text: str) -> Topic:
        """The inverse of str(): "server:42" -> Topic.server(42). ValueError if malformed."""
        kind, sep, ident = text.partition(":")
        if not sep:
            raise ValueError(f"not a topic: {text!r}")
        return cls(TopicKind(kind), int(ident))

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


@dataclass(frozen=True, slots=True)
class Effect:
    """What an event does to the gateway sessions that receive it, besides delivering it.

    The effect concerns the sessions of `user_id` (None: every session that receives the
    event). Those sessions start listening to `join` before the event is delivered, stop
    listening to `leave` after it, do not get the dispatch itself when `silent`, and are closed
    when their token's session is in `close_sessions` (revoked tokens).

    With `watched`, the event reaches only the sessions listening to its topic that watch that
    user there (they subscribed to a part of the server's member list that holds them: a
    large server's presence, see `routing`).
    """

    user_id: Snowflake | None = None
    join: Topic | None = None
    leave: Topic | None = None
    silent: bool = False
    close_sessions: tuple[str, ...] = ()
    watched: Snowflake | None = None


@dataclass(frozen=True, slots=True)
class Event:
    name: ClassVar[str] = ""
    """The dispatch name clients see (`t`), e.g. MESSAGE_CREATE."""
    dispatched: ClassVar[bool] = True
    """False for events the gateway acts on but never sends to clients."""

    @property
    def topic(self) -> Topic:
        raise NotImplementedError

    @property
    def effect(self) -> Effect | None:
        """How this event changes who listens where (see `Effect`); None for most events."""
        return None

    @property
    def key(self) -> Snowflake | None:
        """An id the committed event can be found by again (a created message's id, so a
        nonce replay can make sure its event went out); None for most events."""
        return None


def event_types() -> list[type[Event]]:
    """Every concrete event type (those with a name), wherever in the core it is defined."""
    found: dict[str, type[Event]] = {}
    stack: list[type[Event]] = [Event]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            module = sys.modules.get(sub.__module__)
            # @dataclass(slots=True) replaces each class: keep the one the module holds.
            if sub.name and getattr(module, sub.__qualname__, None) is sub:
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
    return sorted(found.values(), key=lambda cls: (cls.name, cls.__qualname__))


def dispatch_names() -> frozenset[str]:
    """The `t` of every event that reaches clients."""
    return frozenset(cls.name for cls in event_types() if cls.dispatched)


@dataclass(frozen=True, slots=True)
class ServerEvent(Event):
    server_id: Snowflake

    @property
    def topic(self) -> Topic:
        return Topic.server(self.server_id)


@dataclass(frozen=True, slots=True)
class ChannelEvent(Event):
    """An event in one channel: a server channel's reaches the server (its members), a
    private channel's reaches its recipients (`server_id` None)."""

    server_id: Snowflake | None

    @property
    def in_channel(self) -> Snowflake:
        raise NotImplementedError

    @property
    def topic(self) -> Topic:
        return channel_topic(self.server_id, self.in_channel)


@dataclass(frozen=True, slots=True)
class InChannelEvent(ChannelEvent):
    """A channel event that names its channel (all but the two that carry a message)."""

    channel_id: Snowflake

    @property
    def in_channel(self) -> Snowflake:
        return self.channel_id


def channel_topic(server_id: Snowflake | None, channel_id: Snowflake) -> Topic:
    """Where a channel's events go (see `ChannelEvent`)."""
    return Topic.server(server_id) if server_id is not None else Topic.channel(channel_id)


@dataclass(frozen=True, slots=True)
class UserEvent(Event):
    user_id: Snowflake

    @property
    def topic(self) -> Topic:
        return Topic.user(self.user_id)


# --- messages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageCreated(ChannelEvent):
    name: ClassVar[str] = "MESSAGE_CREATE"
    message: MessageView

    @property
    def in_channel(self) -> Snowflake:
        return self.message.message.channel_id

    @property
    def key(self) -> Snowflake | None:
        return self.message.message.id


@dataclass(frozen=True, slots=True)
class MessageUpdated(ChannelEvent):
    name: ClassVar[str] = "MESSAGE_UPDATE"
    message: MessageView

    @property
    def in_channel(self) -> Snowflake:
        return self.message.message.channel_id


@dataclass(frozen=True, slots=True)
class MessageDeleted(InChannelEvent):
    name: ClassVar[str] = "MESSAGE_DELETE"
    message_id: Snowflake


@dataclass(frozen=True, slots=True)
class TypingStarted(InChannelEvent):
    name: ClassVar[str] = "TYPING_START"
    user_id: Snowflake
    username: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class ReactionAdded(InChannelEvent):
    name: ClassVar[str] = "MESSAGE_REACTION_ADD"
    message_id: Snowflake
    user_id: Snowflake
    emoji: str


@dataclass(frozen=True, slots=True)
class ReactionRemoved(InChannelEvent):
    name: ClassVar[str] = "MESSAGE_REACTION_REMOVE"
    message_id: Snowflake
    user_id: Snowflake
    emoji: str


@dataclass(frozen=True, slots=True)
class ReactionsCleared(InChannelEvent):
    name: ClassVar[str] = "MESSAGE_REACTION_REMOVE_ALL"
    message_id: Snowflake


@dataclass(frozen=True, slots=True)
class ReactionEmojiCleared(InChannelEvent):
    name: ClassVar[str] = "MESSAGE_REACTION_REMOVE_EMOJI"
    message_id: Snowflake
    emoji: str


@dataclass(frozen=True, slots=True)
class ChannelPinsUpdated(InChannelEvent):
    """A message was pinned or unpinned (MESSAGE_UPDATE with its `pinned` goes out too)."""

    name: ClassVar[str] = "CHANNEL_PINS_UPDATE"
    last_pin_timestamp: datetime | None


# --- read states (#15) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageAcked(UserEvent):
    """The user read a channel up to `message_id` (on one device: every session of theirs
    hears it). `mention_count` is what is left after it."""

    name: ClassVar[str] = "MESSAGE_ACK"
    channel_id: Snowflake
    message_id: Snowflake
    mention_count: int


@dataclass(frozen=True, slots=True)
class NotificationSettingsUpdated(UserEvent):
    """The user changed a notification setting (their own sessions only)."""

    name: ClassVar[str] = "NOTIFICATION_SETTINGS_UPDATE"
    setting: NotificationSetting


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


# --- private channels (DMs and group DMs) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrivateChannelAvailable(UserEvent):
    """A private channel appeared for one of its recipients: it was opened, created, or they
    were added. Their sessions start listening to it."""

    name: ClassVar[str] = "CHANNEL_CREATE"
    channel: Channel

    @property
    def effect(self) -> Effect | None:
        return Effect(user_id=self.user_id, join=Topic.channel(self.channel.id))


@dataclass(frozen=True, slots=True)
class PrivateChannelUnavailable(UserEvent):
    """A group DM went away for one person (they left or were removed): their sessions stop
    listening to it at once."""

    name: ClassVar[str] = "CHANNEL_DELETE"
    channel: Channel

    @property
    def effect(self) -> Effect | None:
        return Effect(user_id=self.user_id, leave=Topic.channel(self.channel.id))


@dataclass(frozen=True, slots=True)
class PrivateChannelUpdated(Event):
    """A group DM was renamed (for its recipients)."""

    name: ClassVar[str] = "CHANNEL_UPDATE"
    channel: Channel

    @property
    def topic(self) -> Topic:
        return Topic.channel(self.channel.id)


@dataclass(frozen=True, slots=True)
class RecipientAdded(Event):
    name: ClassVar[str] = "CHANNEL_RECIPIENT_ADD"
    channel_id: Snowflake
    user: User

    @property
    def topic(self) -> Topic:
        return Topic.channel(self.channel_id)


@dataclass(frozen=True, slots=True)
class RecipientRemoved(Event):
    """Someone left or was removed. The others hear this; the one who went does not (they
    stop listening at once, and hear CHANNEL_DELETE on their own topic instead)."""

    name: ClassVar[str] = "CHANNEL_RECIPIENT_REMOVE"
    channel_id: Snowflake
    user: User

    @property
    def topic(self) -> Topic:
        return Topic.channel(self.channel_id)

    @property
    def effect(self) -> Effect | None:
        return Effect(user_id=self.user.id, leave=self.topic, silent=True)


@dataclass(frozen=True, slots=True)
class UserBlocked(UserEvent):
    """The user blocked someone (their own sessions hear it)."""

    name: ClassVar[str] = "USER_BLOCK_ADD"
    blocked: User


@dataclass(frozen=True, slots=True)
class UserUnblocked(UserEvent):
    name: ClassVar[str] = "USER_BLOCK_REMOVE"
    blocked_id: Snowflake


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
    def effect(self) -> Effect | None:
        return Effect(leave=self.topic)


@dataclass(frozen=True, slots=True)
class ServerAvailable(UserEvent):
    """A server appeared for one user: they created or joined it."""

    name: ClassVar[str] = "SERVER_CREATE"
    snapshot: ServerSnapshot

    @property
    def effect(self) -> Effect | None:
        return Effect(user_id=self.user_id, join=Topic.server(self.snapshot.server.id))


@dataclass(frozen=True, slots=True)
class ServerUnavailable(UserEvent):
    """A server went away for one user: they left or were kicked."""

    name: ClassVar[str] = "SERVER_DELETE"
    server_id: Snowflake

    @property
    def effect(self) -> Effect | None:
        return Effect(user_id=self.user_id, leave=Topic.server(self.server_id))


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
    def effect(self) -> Effect | None:
        # The removed member stops listening at once and hears SERVER_DELETE on their own
        # topic instead (ServerUnavailable).
        return Effect(user_id=self.user_id, leave=self.topic, silent=True)


# --- users ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PresenceUpdated(ServerEvent):
    """Sent once per server the user is in, like Discord's PRESENCE_UPDATE. In a `large`
    server (limits.LARGE_SERVER_MEMBERS) only the sessions watching the user get it (they
    subscribed to a part of the member list holding them): a connect costs what the people
    looking at that member cost, not what everyone online costs."""

    name: ClassVar[str] = "PRESENCE_UPDATE"
    user_id: Snowflake
    presence: Presence
    large: bool = False

    @property
    def effect(self) -> Effect | None:
        return Effect(watched=self.user_id) if self.large else None


@dataclass(frozen=True, slots=True)
class PrivatePresenceUpdated(Event):
    """The same PRESENCE_UPDATE for the people of one of the user's DMs and group DMs (on the
    channel's topic, `server_id` null on the wire): people you talk to see you, whether or not
    you still share a server."""

    name: ClassVar[str] = "PRESENCE_UPDATE"
    channel_id: Snowflake
    user_id: Snowflake
    presence: Presence

    @property
    def topic(self) -> Topic:
        return Topic.channel(self.channel_id)


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
    dispatched: ClassVar[bool] = False
    session_ids: tuple[str, ...]

    @property
    def topic(self) -> Topic:
        return Topic.all()

    @property
    def effect(self) -> Effect | None:
        return Effect(user_id=self.user_id, close_sessions=self.session_ids)
