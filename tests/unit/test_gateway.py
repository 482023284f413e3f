"""What the gateway asks of the core: READY, presence on connect and disconnect, and the
routing rules that decide which session gets which event."""

from __future__ import annotations

from dataclasses import dataclass, field

from discord_core.errors import Unauthorized
from discord_core.events import Event, PresenceUpdated, Topic
from discord_core.model import Presence, Role, UserStatus
from discord_core.routing import NOT_DISPATCHED, SKIP, Route, Viewer, route
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

ME, OTHER, SERVER, ELSEWHERE = 1, 2, 10, 20
VIEWER = Viewer(user_id=ME, auth_session_id="s1", server_ids=frozenset({SERVER}))


def test_user_topics() -> None:
    mine, theirs = Topic.user(ME), Topic.user(OTHER)
    assert route("USER_UPDATE", theirs, None, VIEWER) == SKIP
    assert route("USER_UPDATE", mine, None, VIEWER) == Route(deliver=True)
    assert route("SERVER_CREATE", mine, ELSEWHERE, VIEWER) == Route(True, subscribe=ELSEWHERE)
    assert route("SERVER_DELETE", mine, SERVER, VIEWER) == Route(True, unsubscribe=SERVER)
    assert "SESSIONS_REVOKED" in NOT_DISPATCHED


def test_revoked_tokens_are_heard_by_every_instance_and_close_only_their_sessions() -> None:
    everyone = Topic.all()
    revoked = route("SESSIONS_REVOKED", everyone, ME, VIEWER, ["s1", "s2"])
    assert revoked == Route(False, close=True)
    assert route("SESSIONS_REVOKED", everyone, ME, VIEWER, ["s2"]) == Route(False, close=False)
    assert route("SESSIONS_REVOKED", everyone, OTHER, VIEWER, ["s1"]) == Route(False, close=False)
    assert route("MESSAGE_CREATE", everyone, ME, VIEWER) == Route(False, close=False)


def test_server_topics() -> None:
    here, there = Topic.server(SERVER), Topic.server(ELSEWHERE)
    assert route("MESSAGE_CREATE", there, None, VIEWER) == SKIP
    assert route("MESSAGE_CREATE", here, None, VIEWER) == Route(deliver=True)
    assert route("SERVER_DELETE", here, SERVER, VIEWER) == Route(True, unsubscribe=SERVER)
    assert route("MEMBER_REMOVE", here, ME, VIEWER) == Route(False, unsubscribe=SERVER)
    assert route("MEMBER_REMOVE", here, OTHER, VIEWER) == Route(deliver=True)


@dataclass
class Session:
    """A gateway session applying the routing rules to published events, in order."""

    viewer: Viewer
    received: list[str] = field(default_factory=list)
    closed: bool = False

    def feed(self, events: list[Event]) -> None:
        for event in events:
            revoked = getattr(event, "session_ids", ())
            decision = route(event.name, event.topic, event.subject, self.viewer, revoked)
            servers = set(self.viewer.server_ids)
            if decision.subscribe is not None:
                servers.add(decision.subscribe)
            if decision.unsubscribe is not None:
                servers.discard(decision.unsubscribe)
            self.viewer = Viewer(
                self.viewer.user_id, self.viewer.auth_session_id, frozenset(servers)
            )
            self.closed = self.closed or decision.close
            if decision.deliver:
                self.received.append(event.name)


async def test_a_session_follows_membership_as_events_arrive(crew: Crew) -> None:
    w = crew.world
    outsider = Session(Viewer(crew.outsider.user_id, crew.outsider.session_id, frozenset()))
    member = Session(
        Viewer(crew.member.user_id, crew.member.session_id, frozenset({crew.server_id}))
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
    assert member.viewer.server_ids == frozenset()


async def test_logout_closes_only_the_revoked_sessions(world: World) -> None:
    alice = await world.register("alice")
    other = await world.login("alice")
    first = Session(Viewer(alice.user_id, alice.session_id, frozenset()))
    second = Session(Viewer(alice.user_id, other.session_id, frozenset()))
    world.events.clear()
    await world.auth.logout(alice)
    for session in (first, second):
        session.feed(world.events.events)
    assert (first.closed, second.closed) == (True, False)
    assert first.received == second.received == []
