"""Domain event -> wire envelope, encoded once for every recipient."""

from __future__ import annotations

from datetime import datetime

import msgspec

from adapters.wire import Envelope
from discord_core import events as ev

from .. import schemas as s

_encoder = msgspec.json.Encoder()


class MessageDeleteOut(s.Out):
    id: s.Id
    channel_id: s.Id
    server_id: s.Id


class ServerDeleteOut(s.Out):
    id: s.Id


class MemberRemoveOut(s.Out):
    server_id: s.Id
    user_id: s.Id
    kicked: bool


class PresenceOut(s.Out):
    server_id: s.Id
    user_id: s.Id
    status: s.PresenceName


class TypingOut(s.Out):
    server_id: s.Id
    channel_id: s.Id
    user_id: s.Id
    username: str
    timestamp: datetime


class SessionsRevokedOut(s.Out):
    user_id: s.Id
    session_ids: list[str]


def _payload(event: ev.Event) -> msgspec.Struct:
    match event:
        case ev.MessageCreated(message=view) | ev.MessageUpdated(message=view):
            return s.message_out(view)
        case ev.MessageDeleted():
            return MessageDeleteOut(
                id=str(event.message_id),
                channel_id=str(event.channel_id),
                server_id=str(event.server_id),
            )
        case (
            ev.ChannelCreated(channel=c)
            | ev.ChannelUpdated(channel=c)
            | ev.ChannelDeleted(channel=c)
        ):
            return s.channel_out(c)
        case ev.ServerUpdated(server=server):
            return s.server_out(server)
        case ev.ServerDeleted():
            return ServerDeleteOut(id=str(event.server_id))
        case ev.ServerAvailable(snapshot=snap):
            return s.server_detail_out(snap)
        case ev.ServerUnavailable():
            return ServerDeleteOut(id=str(event.server_id))
        case ev.MemberJoined(member=view) | ev.MemberUpdated(member=view):
            return s.member_out(view)
        case ev.MemberRemoved():
            return MemberRemoveOut(
                server_id=str(event.server_id), user_id=str(event.user_id), kicked=event.kicked
            )
        case ev.PresenceUpdated():
            return PresenceOut(
                server_id=str(event.server_id),
                user_id=str(event.user_id),
                status=event.presence.value,
            )
        case ev.TypingStarted():
            return TypingOut(
                server_id=str(event.server_id),
                channel_id=str(event.channel_id),
                user_id=str(event.user_id),
                username=event.username,
                timestamp=event.timestamp,
            )
        case ev.UserUpdated(user=user):
            return s.me_out(user)
        case ev.SessionsRevoked():
            return SessionsRevokedOut(
                user_id=str(event.user_id), session_ids=list(event.session_ids)
            )
    raise TypeError(f"no wire form for {type(event).__name__}")


def encode_event(event: ev.Event) -> Envelope:
    sessions = event.session_ids if isinstance(event, ev.SessionsRevoked) else ()
    return Envelope(
        topic=str(event.topic),
        name=event.name,
        payload=_encoder.encode(_payload(event)).decode(),
        subject=event.subject,
        sessions=sessions,
    )
