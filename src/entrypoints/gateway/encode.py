"""Domain event -> wire envelope, encoded once for every recipient.

Each event type has one payload function, registered with `@payload(EventType, ...)`. A new
event needs one here (tests/unit/test_wire.py checks that every event type has one); its name,
topic and effect come from the event type itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from adapters.wire import Envelope
from discord_core import events as ev

from .. import read_schemas as rs
from .. import schemas as s

_encoder = msgspec.json.Encoder()

Payload = Callable[..., msgspec.Struct]
F = TypeVar("F", bound=Payload)
PAYLOADS: dict[type[ev.Event], Payload] = {}
LINKED: set[type[ev.Event]] = set()
"""Event types whose payload also takes the attachment link signer (messages with files)."""


def payload(*types: type[ev.Event], links: bool = False) -> Callable[[F], F]:
    """Register the wire payload (`d`) of these event types. With `links`, the function is
    called as fn(event, link): signed attachment URLs are made when the event is encoded,
    once for every recipient."""

    def register(fn: F) -> F:
        for event_type in types:
            if event_type in PAYLOADS:
                raise TypeError(f"{event_type.__name__} already has a payload")
            PAYLOADS[event_type] = fn
            if links:
                LINKED.add(event_type)
        return fn

    return register


class MessageDeleteOut(s.Out):
    id: s.Id
    channel_id: s.Id
    server_id: s.Id | None


class ServerDeleteOut(s.Out):
    id: s.Id


class MemberRemoveOut(s.Out):
    server_id: s.Id
    user_id: s.Id
    kicked: bool


class PresenceOut(s.Out):
    server_id: s.Id | None
    user_id: s.Id
    status: s.PresenceName


class TypingOut(s.Out):
    server_id: s.Id | None
    channel_id: s.Id
    user_id: s.Id
    username: str
    timestamp: datetime


class ReactionOut(s.Out):
    server_id: s.Id | None
    channel_id: s.Id
    message_id: s.Id
    user_id: s.Id
    emoji: str


class ReactionsClearedOut(s.Out):
    server_id: s.Id | None
    channel_id: s.Id
    message_id: s.Id


class ReactionEmojiClearedOut(s.Out):
    server_id: s.Id | None
    channel_id: s.Id
    message_id: s.Id
    emoji: str


class PinsUpdateOut(s.Out):
    server_id: s.Id | None
    channel_id: s.Id
    last_pin_timestamp: datetime | None


class RecipientOut(s.Out):
    channel_id: s.Id
    user: s.UserOut


class BlockAddOut(s.Out):
    user: s.UserOut


class BlockRemoveOut(s.Out):
    user_id: s.Id


class SessionsRevokedOut(s.Out):
    user_id: s.Id
    session_ids: list[str]


@payload(ev.MessageCreated, ev.MessageUpdated, links=True)
def _message(
    event: ev.MessageCreated | ev.MessageUpdated, link: s.LinkAttachment
) -> msgspec.Struct:
    return s.message_out(event.message, link, with_reactions=False)


@payload(ev.MessageDeleted)
def _message_deleted(event: ev.MessageDeleted) -> msgspec.Struct:
    return MessageDeleteOut(
        id=str(event.message_id),
        channel_id=str(event.channel_id),
        server_id=s.opt_id(event.server_id),
    )


@payload(ev.ReactionAdded, ev.ReactionRemoved)
def _reaction(event: ev.ReactionAdded | ev.ReactionRemoved) -> msgspec.Struct:
    return ReactionOut(
        server_id=s.opt_id(event.server_id),
        channel_id=str(event.channel_id),
        message_id=str(event.message_id),
        user_id=str(event.user_id),
        emoji=event.emoji,
    )


@payload(ev.ReactionsCleared)
def _reactions_cleared(event: ev.ReactionsCleared) -> msgspec.Struct:
    return ReactionsClearedOut(
        server_id=s.opt_id(event.server_id),
        channel_id=str(event.channel_id),
        message_id=str(event.message_id),
    )


@payload(ev.ReactionEmojiCleared)
def _reaction_emoji_cleared(event: ev.ReactionEmojiCleared) -> msgspec.Struct:
    return ReactionEmojiClearedOut(
        server_id=s.opt_id(event.server_id),
        channel_id=str(event.channel_id),
        message_id=str(event.message_id),
        emoji=event.emoji,
    )


@payload(ev.ChannelPinsUpdated)
def _pins_update(event: ev.ChannelPinsUpdated) -> msgspec.Struct:
    return PinsUpdateOut(
        server_id=s.opt_id(event.server_id),
        channel_id=str(event.channel_id),
        last_pin_timestamp=event.last_pin_timestamp,
    )


@payload(ev.MessageAcked)
def _message_ack(event: ev.MessageAcked) -> msgspec.Struct:
    return rs.MessageAckOut(
        channel_id=str(event.channel_id),
        message_id=str(event.message_id),
        mention_count=event.mention_count,
    )


@payload(ev.NotificationSettingsUpdated)
def _notification_settings(event: ev.NotificationSettingsUpdated) -> msgspec.Struct:
    return rs.notification_out(event.setting)


@payload(ev.ChannelCreated, ev.ChannelUpdated, ev.ChannelDeleted)
def _channel(event: ev.ChannelCreated | ev.ChannelUpdated | ev.ChannelDeleted) -> msgspec.Struct:
    return s.channel_out(event.channel)


@payload(ev.PrivateChannelAvailable, ev.PrivateChannelUnavailable, ev.PrivateChannelUpdated)
def _private_channel(
    event: ev.PrivateChannelAvailable | ev.PrivateChannelUnavailable | ev.PrivateChannelUpdated,
) -> msgspec.Struct:
    return s.channel_out(event.channel)


@payload(ev.RecipientAdded, ev.RecipientRemoved)
def _recipient(event: ev.RecipientAdded | ev.RecipientRemoved) -> msgspec.Struct:
    return RecipientOut(channel_id=str(event.channel_id), user=s.user_out(event.user))


@payload(ev.UserBlocked)
def _blocked(event: ev.UserBlocked) -> msgspec.Struct:
    return BlockAddOut(user=s.user_out(event.blocked))


@payload(ev.UserUnblocked)
def _unblocked(event: ev.UserUnblocked) -> msgspec.Struct:
    return BlockRemoveOut(user_id=str(event.blocked_id))


@payload(ev.ServerUpdated)
def _server(event: ev.ServerUpdated) -> msgspec.Struct:
    return s.server_out(event.server)


@payload(ev.ServerDeleted, ev.ServerUnavailable)
def _server_gone(event: ev.ServerDeleted | ev.ServerUnavailable) -> msgspec.Struct:
    return ServerDeleteOut(id=str(event.server_id))


@payload(ev.ServerAvailable)
def _server_available(event: ev.ServerAvailable) -> msgspec.Struct:
    return s.server_detail_out(event.snapshot)


@payload(ev.MemberJoined, ev.MemberUpdated)
def _member(event: ev.MemberJoined | ev.MemberUpdated) -> msgspec.Struct:
    return s.member_out(event.member)


@payload(ev.MemberRemoved)
def _member_removed(event: ev.MemberRemoved) -> msgspec.Struct:
    return MemberRemoveOut(
        server_id=str(event.server_id), user_id=str(event.user_id), kicked=event.kicked
    )


@payload(ev.PresenceUpdated)
def _presence(event: ev.PresenceUpdated) -> msgspec.Struct:
    return PresenceOut(
        server_id=str(event.server_id), user_id=str(event.user_id), status=event.presence.value
    )


@payload(ev.PrivatePresenceUpdated)
def _private_presence(event: ev.PrivatePresenceUpdated) -> msgspec.Struct:
    return PresenceOut(server_id=None, user_id=str(event.user_id), status=event.presence.value)


@payload(ev.TypingStarted)
def _typing(event: ev.TypingStarted) -> msgspec.Struct:
    return TypingOut(
        server_id=s.opt_id(event.server_id),
        channel_id=str(event.channel_id),
        user_id=str(event.user_id),
        username=event.username,
        timestamp=event.timestamp,
    )


@payload(ev.UserUpdated)
def _user(event: ev.UserUpdated) -> msgspec.Struct:
    return s.me_out(event.user)


@payload(ev.SessionsRevoked)
def _sessions_revoked(event: ev.SessionsRevoked) -> msgspec.Struct:
    return SessionsRevokedOut(user_id=str(event.user_id), session_ids=list(event.session_ids))


class EventEncoder:
    """Domain event -> Envelope (the buses' encoder). It holds what payloads need beyond the
    event: the signer of attachment links."""

    def __init__(self, link: s.LinkAttachment) -> None:
        self._link = link

    def __call__(self, event: ev.Event) -> Envelope:
        kind = type(event)
        fn = PAYLOADS.get(kind)
        if fn is None:
            raise TypeError(f"no wire form for {kind.__name__}")
        data = fn(event, self._link) if kind in LINKED else fn(event)
        return Envelope(
            topic=str(event.topic),
            name=event.name,
            payload=_encoder.encode(data).decode(),
            effect=event.effect,
            dispatched=event.dispatched,
        )


def _unsigned(attachment: Any, variant: Any) -> Any:
    raise TypeError("attachment links need an EventEncoder built with the signer")


encode_event = EventEncoder(_unsigned)
"""An encoder without a link signer: for events that carry no attachments (tests, tools)."""
