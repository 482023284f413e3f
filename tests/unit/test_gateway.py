"""What the gateway asks of the core: READY, presence on connect and disconnect, and the
routing rules that decide which session gets which event."""

from __future__ import annotations

from dataclasses import dataclass, field

from discord_core.errors import Unauthorized
from discord_core.events import (
    Effect,
    Event,
    PresenceUpdated,
    ServerAvailable,
    ServerDeleted,
    ServerUnavailable,
    SessionsRevoked,
    Topic,
    dispatch_names,
    event_types,
)
from discord_core.model import Presence, Role, UserStatus
from discord_core.routing import SKIP, Route, Viewer, route
from discord_core.usecases import Identity

from .conftest import Crew, World, fails

# --- READY ----------------------------------------------------------------------------------


async def test_ready_has_the_user_servers_channels_and_presences(crew: Crew) -> None:
    w = crew.world
    second = await w.channels.create(crew.admin, crew.server_id, "second", position=0)
    w.clock.advance(seconds=1)
    own_server, own_general = await w.server(crew.member, "Mine")
    await w.users.update_me(crew.admin, status=UserStatus.AWAY)
    await w.users.update_me(crew.mod, status=UserStatus.INVISIBLE)
    await w.users.update_me(crew.member, status=UserStatus.DND)
    w.presence.set_online(
        crew.owner.user_id, crew.admin.user_id, crew.mod.user_id, crew.outsider.user_id
    )
    w.events.clear()
    start = len(w.fakes.uow.created)

    ready = await w.gateway.ready(crew.member)

    assert ready.user.id == crew.member.user_id
    assert ready.user.email == "member@example.com"  # the user's own, private view
    assert [s.server.id for s in ready.servers] == [crew.server_id, own_server]  # join order
    crew_snap, own_snap = ready.servers
    assert [c.id for c in crew_snap.channels] == [second.id, crew.general_id]
    assert (crew_snap.member.role, crew_snap.member_count) == (Role.MEMBER, 7)
    assert [c.id for c in own_snap.channels] == [own_general]
    assert (own_snap.member.role, own_snap.member_count) == (Role.OWNER, 1)
    # Contacts who are not offline, and the connecting user (online by connecting).
    assert dict(ready.presences) == {
        crew.owner.user_id: Presence.ONLINE,
        crew.admin.user_id: Presence.AWAY,
        crew.member.user_id: Presence.DND,
    }
    assert len(ready.presences) == 3
    assert w.fakes.uow.read_only_flags[start:] == [True]
    assert w.events.events == []


async def test_ready_for_an_invisible_user_leaves_them_out(world: World) -> None:
    alice = await world.register("alice")
    await world.users.update_me(alice, status=UserStatus.INVISIBLE)
    ready = await world.gateway.ready(alice)
    assert ready.servers == []
    assert ready.presences == []


async def test_ready_for_a_vanished_account(world: World) -> None:
    await fails(world.gateway.ready(Identity(424242, "sess")), Unauthorized, "invalid_token")


# --- presence on connect / disconnect -----------------------------------------------------------


async def two_servers(world: World) -> tuple[Identity, list[int]]:
    alice = await world.register("alice")
    first, _ = await world.server(alice, "one")
    world.clock.advance(seconds=1)
    second, _ = await world.server(alice, "two")
    world.events.clear()
    return alice, [first, second]


async def test_first_session_announces_online_in_every_server(world: World) -> None:
    alice, servers = await two_servers(world)
    await world.users.update_me(alice, status=UserStatus.DND)
    world.events.clear()
    await world.gateway.session_started(alice.user_id, "gw1")
    assert world.events.events == [
        PresenceUpdated(servers[0], alice.user_id, Presence.DND),
        PresenceUpdated(servers[1], alice.user_id, Presence.DND),
    ]
    assert await world.presence.online([alice.user_id]) == {alice.user_id}
    world.events.clear()
    await world.gateway.session_started(alice.user_id, "gw2")  # already online
    assert world.events.events == []


async def test_a_session_started_after_ready_announces_from_that_state(world: World) -> None:
    """IDENTIFY passes READY's state: the same events, without reading the user again."""
    alice, servers = await two_servers(world)
    await world.users.update_me(alice, status=UserStatus.AWAY)
    ready = await world.gateway.ready(alice)
    world.events.clear()
    start = len(world.fakes.uow.created)
    await world.gateway.session_started(alice.user_id, "gw1", ready)
    assert world.events.events == [
        PresenceUpdated(servers[0], alice.user_id, Presence.AWAY),
        PresenceUpdated(servers[1], alice.user_id, Presence.AWAY),
    ]
    assert len(world.fakes.uow.created) == start  # no unit of work
    world.events.clear()
    await world.gateway.session_started(alice.user_id, "gw2", ready)  # already online
    assert world.events.events == []
    await world.users.update_me(alice, status=UserStatus.INVISIBLE)
    hidden = await world.gateway.ready(alice)
    await world.gateway.session_ended(alice.user_id, "gw1")
    await world.gateway.session_ended(alice.user_id, "gw2")
    world.events.clear()
    await world.gateway.session_started(alice.user_id, "gw3", hidden)
    assert world.events.events == []


async def test_last_session_ending_announces_offline(world: World) -> None:
    alice, servers = await two_servers(world)
    await world.gateway.session_started(alice.user_id, "gw1")
    await world.gateway.session_started(alice.user_id, "gw2")
    world.events.clear()
    await world.gateway.session_ended(alice.user_id, "gw1")
    assert world.events.events == []
    await world.gateway.session_ended(alice.user_id, "unknown")
    assert world.events.events == []
    await world.gateway.session_ended(alice.user_id, "gw2")
    assert world.events.events == [
        PresenceUpdated(servers[0], alice.user_id, Presence.OFFLINE),
        PresenceUpdated(servers[1], alice.user_id, Presence.OFFLINE),
    ]
    assert await world.presence.online([alice.user_id]) == set()


async def test_invisible_users_come_and_go_silently(world: World) -> None:
    alice, _ = await two_servers(world)
    await world.users.update_me(alice, status=UserStatus.INVISIBLE)
    world.events.clear()
    await world.gateway.session_started(alice.user_id, "gw1")
    await world.gateway.session_ended(alice.user_id, "gw1")
    await world.gateway.announce_offline(alice.user_id)
    assert world.events.events == []


async def test_announce_offline_after_an_instance_died(world: World) -> None:
    alice, servers = await two_servers(world)
    await world.gateway.announce_offline(alice.user_id)
    assert world.events.routed() == [
        ("PRESENCE_UPDATE", f"server:{servers[0]}"),
        ("PRESENCE_UPDATE", f"server:{servers[1]}"),
    ]
    assert {e.presence for e in world.events.events if isinstance(e, PresenceUpdated)} == {
        Presence.OFFLINE
    }


async def test_presence_of_a_user_in_no_server_reaches_nobody(world: World) -> None:
    alice = await world.register("alice")
    await world.gateway.session_started(alice.user_id, "gw1")
    assert world.events.events == []


# --- routing rules --------------------------------------------------------------------------

ME, OTHER, SERVER, ELSEWHERE, DM = 1, 2, 10, 20, 30
HERE, THERE = Topic.server(SERVER), Topic.server(ELSEWHERE)
VIEWER = Viewer(user_id=ME, auth_session_id="s1", topics=frozenset({Topic.user(ME), HERE}))


def test_user_topics() -> None:
    mine, theirs = Topic.user(ME), Topic.user(OTHER)
    assert route(theirs, None, VIEWER) == SKIP
    assert route(mine, None, VIEWER) == Route(deliver=True)
    joined = Effect(user_id=ME, join=THERE)
    assert route(mine, joined, VIEWER) == Route(True, join=THERE)
    assert route(mine, Effect(user_id=ME, leave=HERE), VIEWER) == Route(True, leave=HERE)
    assert "SESSIONS_REVOKED" not in dispatch_names()


def test_revoked_tokens_are_heard_by_every_instance_and_close_only_their_sessions() -> None:
    everyone = Topic.all()
    revoked = Effect(user_id=ME, close_sessions=("s1", "s2"))
    assert route(everyone, revoked, VIEWER, dispatched=False) == Route(False, close=True)
    other_token = Effect(user_id=ME, close_sessions=("s2",))
    assert route(everyone, other_token, VIEWER, dispatched=False) == Route(False)
    other_user = Effect(user_id=OTHER, close_sessions=("s1",))
    assert route(everyone, other_user, VIEWER, dispatched=False) == SKIP
    assert route(everyone, None, VIEWER) == SKIP


def test_server_topics() -> None:
    assert route(THERE, None, VIEWER) == SKIP
    assert route(HERE, None, VIEWER) == Route(deliver=True)
    assert route(HERE, Effect(leave=HERE), VIEWER) == Route(True, leave=HERE)
    removed = Effect(user_id=ME, leave=HERE, silent=True)
    assert route(HERE, removed, VIEWER) == Route(False, leave=HERE)
    assert route(HERE, Effect(user_id=OTHER, leave=HERE, silent=True), VIEWER) == Route(True)


def test_channel_topics_route_like_any_other() -> None:
    dm = Topic.channel(DM)
    assert route(dm, None, VIEWER) == SKIP
    added = Effect(user_id=ME, join=dm)
    assert route(Topic.user(ME), added, VIEWER) == Route(True, join=dm)
    inside = Viewer(ME, "s1", VIEWER.topics | {dm})
    assert route(dm, None, inside) == Route(deliver=True)
    assert route(dm, Effect(user_id=ME, leave=dm, silent=True), inside) == Route(False, leave=dm)


def test_events_name_their_effects() -> None:
    assert ServerDeleted(SERVER).effect == Effect(leave=HERE)
    assert ServerUnavailable(ME, SERVER).effect == Effect(user_id=ME, leave=HERE)
    assert SessionsRevoked(ME, ("a",)).effect == Effect(user_id=ME, close_sessions=("a",))
    assert SessionsRevoked.dispatched is False
    assert ServerAvailable.name == "SERVER_CREATE"
    assert {cls.name for cls in event_types()} >= {"MESSAGE_CREATE", "SERVER_CREATE"}
    assert len(set(event_types())) == len(event_types())


def test_topics_print_and_parse() -> None:
    for topic in (HERE, Topic.user(ME), Topic.channel(DM), Topic.all()):
        assert Topic.parse(str(topic)) == topic
    assert str(Topic.channel(DM)) == "channel:30"


@dataclass
class Session:
    """A gateway session applying the routing rules to published events, in order."""

    viewer: Viewer
    received: list[str] = field(default_factory=list)
    closed: bool = False

    def feed(self, events: list[Event]) -> None:
        for event in events:
            decision = route(event.topic, event.effect, self.viewer, dispatched=event.dispatched)
            topics = set(self.viewer.topics)
            if decision.join is not None:
                topics.add(decision.join)
            if decision.leave is not None:
                topics.discard(decision.leave)
            viewer = self.viewer
            self.viewer = Viewer(viewer.user_id, viewer.auth_session_id, frozenset(topics))
            self.closed = self.closed or decision.close
            if decision.deliver:
                self.received.append(event.name)


async def test_a_session_follows_membership_as_events_arrive(crew: Crew) -> None:
    w = crew.world
    outsider = Session(
        Viewer(
            crew.outsider.user_id,
            crew.outsider.session_id,
            frozenset({Topic.user(crew.outsider.user_id)}),
        )
    )
    member = Session(
        Viewer(
            crew.member.user_id,
            crew.member.session_id,
            frozenset({Topic.user(crew.member.user_id), Topic.server(crew.server_id)}),
        )
    )
    await w.messages.post(crew.owner, crew.general_id, "before")
    await w.join(crew.outsider, crew.server_id, crew.admin)
    await w.messages.post(crew.owner, crew.general_id, "welcome")
    await w.members.kick(crew.mod, crew.server_id, crew.member.user_id)
    await w.messages.post(crew.owner, crew.general_id, "after the kick")
    for session in (outsider, member):
        session.feed(w.events.events)
    assert outsider.received == [
        "SERVER_CREATE",
        "MEMBER_ADD",
        "PRESENCE_UPDATE",
        "MESSAGE_CREATE",
        "MEMBER_REMOVE",
        "MESSAGE_CREATE",
    ]
    assert member.received == [
        "MESSAGE_CREATE",
        "MEMBER_ADD",
        "PRESENCE_UPDATE",
        "MESSAGE_CREATE",
        "SERVER_DELETE",
    ]
    assert member.viewer.topics == frozenset({Topic.user(crew.member.user_id)})


async def test_logout_closes_only_the_revoked_sessions(world: World) -> None:
    alice = await world.register("alice")
    other = await world.login("alice")
    mine = frozenset({Topic.user(alice.user_id)})
    first = Session(Viewer(alice.user_id, alice.session_id, mine))
    second = Session(Viewer(alice.user_id, other.session_id, mine))
    world.events.clear()
    await world.auth.logout(alice)
    for session in (first, second):
        session.feed(world.events.events)
    assert (first.closed, second.closed) == (True, False)
    assert first.received == second.received == []
