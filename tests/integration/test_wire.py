"""Every domain event has a wire form, and an envelope survives the trip between instances."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.redis.events import pack, unpack
from adapters.wire import Envelope, pack_effect, unpack_effect
from discord_core import events as ev
from discord_core.model import (
    Channel,
    ChannelType,
    Member,
    MemberView,
    Message,
    MessageView,
    NotificationLevel,
    NotificationSetting,
    Presence,
    Role,
    Server,
    ServerSnapshot,
    User,
    UserStatus,
)
from entrypoints.gateway import protocol
from entrypoints.gateway.encode import PAYLOADS, encode_event

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SERVER = Server(10, "s", "", 1, NOW)
CHANNEL = Channel(20, 10, "general", "", 0, NOW)
MEMBER = MemberView(Member(10, 1, Role.OWNER, NOW), "alice", UserStatus.ONLINE)
MESSAGE = MessageView(Message(30, 20, 10, 1, "hi", NOW, nonce="n"), "alice")
USER = User(1, "alice", "a@example.com", "hash", UserStatus.ONLINE, NOW, NOW)
DM = Channel(40, None, "", "", 0, NOW, type=ChannelType.DM, recipients=[USER])
DM_MESSAGE = MessageView(Message(31, 40, None, 1, "psst", NOW), "alice")

SAMPLES: list[ev.Event] = [
    ev.MessageCreated(10, MESSAGE),
    ev.MessageUpdated(10, MESSAGE),
    ev.MessageDeleted(10, 20, 30),
    ev.ReactionAdded(10, 20, 30, 1, "👍"),
    ev.ReactionRemoved(10, 20, 30, 1, "👍"),
    ev.ReactionsCleared(10, 20, 30),
    ev.ReactionEmojiCleared(10, 20, 30, "👍"),
    ev.ChannelPinsUpdated(10, 20, NOW),
    ev.TypingStarted(10, 20, 1, "alice", NOW),
    ev.ChannelCreated(10, CHANNEL),
    ev.ChannelUpdated(10, CHANNEL),
    ev.ChannelDeleted(10, CHANNEL),
    ev.ServerUpdated(10, SERVER),
    ev.ServerDeleted(10),
    ev.ServerAvailable(1, ServerSnapshot(SERVER, [CHANNEL], MEMBER.member, 1)),
    ev.ServerUnavailable(1, 10),
    ev.MemberJoined(10, MEMBER),
    ev.MemberUpdated(10, MEMBER),
    ev.MemberRemoved(10, 1, kicked=True),
    ev.PresenceUpdated(10, 1, Presence.AWAY),
    ev.PresenceUpdated(10, 2, Presence.ONLINE, large=True),
    ev.UserUpdated(1, USER),
    ev.SessionsRevoked(1, ("a", "b")),
    ev.PrivateChannelAvailable(1, DM),
    ev.PrivateChannelUnavailable(1, DM),
    ev.PrivateChannelUpdated(DM),
    ev.RecipientAdded(40, USER),
    ev.RecipientRemoved(40, USER),
    ev.UserBlocked(1, USER),
    ev.UserUnblocked(1, 2),
    ev.PrivatePresenceUpdated(40, 1, Presence.ONLINE),
    ev.MessageCreated(None, DM_MESSAGE),
    ev.MessageAcked(1, 20, 30, 2),
    ev.NotificationSettingsUpdated(1, NotificationSetting(10, None, NotificationLevel.MENTIONS)),
    ev.NotificationSettingsUpdated(1, NotificationSetting(10, 20, None, NOW)),
]


def test_every_event_type_has_a_wire_payload() -> None:
    assert set(ev.event_types()) == set(PAYLOADS)
    assert {type(event) for event in SAMPLES} == set(ev.event_types())


def test_dispatch_names_come_from_the_event_types() -> None:
    names = {cls.name for cls in ev.event_types() if cls.dispatched}
    assert names | {"READY", "RESUMED", "RESYNC", "MEMBER_LIST"} == protocol.DISPATCH_EVENTS
    assert "SESSIONS_REVOKED" not in protocol.DISPATCH_EVENTS


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_envelopes_carry_name_topic_effect_and_survive_redis(event: ev.Event) -> None:
    envelope = encode_event(event)
    assert (envelope.name, envelope.topic) == (event.name, str(event.topic))
    assert envelope.effect == event.effect
    assert envelope.dispatched is event.dispatched
    assert isinstance(json.loads(envelope.payload), dict)
    assert "password_hash" not in envelope.payload
    origin, back = unpack(envelope.topic, pack("instance-1", envelope))
    assert (origin, back) == ("instance-1", envelope)


@pytest.mark.parametrize(
    "effect",
    [
        None,
        ev.Effect(),
        ev.Effect(user_id=5, join=ev.Topic.channel(9)),
        ev.Effect(leave=ev.Topic.server(3), silent=True),
        ev.Effect(user_id=1, close_sessions=("x-_1", "y")),
        ev.Effect(watched=77),
    ],
)
def test_effects_round_trip(effect: ev.Effect | None) -> None:
    assert unpack_effect(pack_effect(effect)) == effect


def test_effects_written_before_watched_still_read() -> None:
    """Outbox rows (and peers) from before `watched` existed have five fields."""
    assert unpack_effect("5;server:3;;1;") == ev.Effect(
        user_id=5, join=ev.Topic.server(3), silent=True
    )


def test_an_unknown_event_type_has_no_wire_form() -> None:
    class Stray(ev.ServerEvent):
        name = "STRAY"

    with pytest.raises(TypeError, match="no wire form"):
        encode_event(Stray(1))
    assert Envelope("server:1", "X", "{}").effect is None
