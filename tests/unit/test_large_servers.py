"""Large servers: lazy presence. READY leaves their members' presence out, member-list
subscriptions (gateway op 14) show a part of the list with presence, and their
PRESENCE_UPDATEs reach only the sessions watching that member (routing)."""

from __future__ import annotations

from discord_core.errors import NotFound, ValidationFailed
from discord_core.events import Effect, PresenceUpdated, Topic
from discord_core.model import Presence, UserStatus
from discord_core.routing import SKIP, Route, Viewer, route

from .conftest import Crew, fails

# --- the core's decisions ---------------------------------------------------------------------


def large(crew: Crew, threshold: int = 5) -> None:
    """The crew's server (7 members) counts as large from here on."""
    crew.world.deps.large_server_members = threshold


async def test_ready_leaves_large_servers_presence_out(crew: Crew) -> None:
    w = crew.world
    large(crew)
    mine, _ = await w.server(crew.member, "small")
    await w.join(crew.member2, mine, crew.member)
    w.presence.set_online(crew.owner.user_id, crew.admin.user_id, crew.member2.user_id)

    ready = await w.gateway.ready(crew.member)

    by_id = {snap.server.id: snap for snap in ready.servers}
    assert by_id[crew.server_id].large and not by_id[mine].large
    assert ready.large == [crew.server_id]
    # member2 shares the small server too; owner and admin only the large one
    assert dict(ready.presences) == {
        crew.member.user_id: Presence.ONLINE,
        crew.member2.user_id: Presence.ONLINE,
    }


async def test_ready_of_small_servers_is_unchanged(crew: Crew) -> None:
    crew.world.presence.set_online(crew.owner.user_id)
    ready = await crew.world.gateway.ready(crew.member)
    assert not ready.servers[0].large
    assert ready.large == []
    assert crew.owner.user_id in dict(ready.presences)


async def test_presence_in_a_large_server_is_for_watchers(crew: Crew) -> None:
    w = crew.world
    large(crew)
    mine, _ = await w.server(crew.member, "small")
    w.events.clear()
    await w.gateway.session_started(crew.member.user_id, "gw1")
    assert w.events.events == [
        PresenceUpdated(crew.server_id, crew.member.user_id, Presence.ONLINE, large=True),
        PresenceUpdated(mine, crew.member.user_id, Presence.ONLINE),
    ]
    assert w.events.events[0].effect == Effect(watched=crew.member.user_id)
    assert w.events.events[1].effect is None


async def test_presence_from_the_ready_state_is_for_watchers_too(crew: Crew) -> None:
    w = crew.world
    large(crew)
    ready = await w.gateway.ready(crew.member)
    w.events.clear()
    await w.gateway.session_started(crew.member.user_id, "gw1", ready)
    assert w.events.events == [
        PresenceUpdated(crew.server_id, crew.member.user_id, Presence.ONLINE, large=True)
    ]


async def test_status_changes_and_joins_in_a_large_server_are_for_watchers(crew: Crew) -> None:
    w = crew.world
    large(crew)
    w.presence.set_online(crew.member.user_id)
    await w.users.update_me(crew.member, status=UserStatus.DND)
    changes = [e for e in w.events.events if isinstance(e, PresenceUpdated)]
    assert changes == [
        PresenceUpdated(crew.server_id, crew.member.user_id, Presence.DND, large=True)
    ]
    w.events.clear()
    await w.join(crew.outsider, crew.server_id, crew.owner)
    joined = [e for e in w.events.events if isinstance(e, PresenceUpdated)]
    assert joined == [
        PresenceUpdated(crew.server_id, crew.outsider.user_id, Presence.OFFLINE, large=True)
    ]


async def test_member_list_is_a_page_with_presence(crew: Crew) -> None:
    w = crew.world
    large(crew)
    await w.users.update_me(crew.admin, status=UserStatus.AWAY)
    await w.users.update_me(crew.mod, status=UserStatus.INVISIBLE)
    w.presence.set_online(crew.owner.user_id, crew.admin.user_id, crew.mod.user_id)
    everyone = sorted(
        [crew.owner, crew.admin, crew.admin2, crew.mod, crew.mod2, crew.member, crew.member2],
        key=lambda i: i.user_id,
    )
    start = len(w.fakes.uow.created)

    page = await w.gateway.member_list(crew.member, crew.server_id, limit=3)

    assert page.large and page.server_id == crew.server_id and page.after == 0
    assert [v.member.user_id for v, _ in page.members] == [i.user_id for i in everyone[:3]]
    assert page.watched == frozenset(i.user_id for i in everyone[:3])
    shown = {v.member.user_id: p for v, p in page.members}
    expected = {
        crew.owner.user_id: Presence.ONLINE,
        crew.admin.user_id: Presence.AWAY,
        crew.mod.user_id: Presence.OFFLINE,  # invisible looks offline
    }
    for user_id, presence in shown.items():
        assert presence == expected.get(user_id, Presence.OFFLINE)
    assert w.fakes.uow.read_only_flags[start:] == [True]

    rest = await w.gateway.member_list(crew.member, crew.server_id, after=everyone[2].user_id)
    assert [v.member.user_id for v, _ in rest.members] == [i.user_id for i in everyone[3:]]


async def test_member_list_of_a_small_server_says_so(crew: Crew) -> None:
    page = await crew.world.gateway.member_list(crew.member, crew.server_id)
    assert not page.large
    assert len(page.members) == 7


async def test_member_list_is_for_members_only(crew: Crew) -> None:
    w = crew.world
    await fails(w.gateway.member_list(crew.outsider, crew.server_id), NotFound, "unknown_server")
    await fails(w.gateway.member_list(crew.member, 987654321), NotFound, "unknown_server")
    await fails(
        w.gateway.member_list(crew.member, crew.server_id, limit=201),
        ValidationFailed,
        "validation_failed",
        field="limit",
    )
    await fails(
        w.gateway.member_list(crew.member, crew.server_id, after=-1),
        ValidationFailed,
        "validation_failed",
        field="after",
    )


# --- routing ----------------------------------------------------------------------------------

HERE = Topic.server(10)


def viewer(watching: dict[Topic, frozenset[int]] | None = None) -> Viewer:
    return Viewer(1, "s1", frozenset({Topic.user(1), HERE}), watching or {})


def test_a_watched_event_reaches_only_the_sessions_watching_that_member() -> None:
    effect = PresenceUpdated(10, 7, Presence.ONLINE, large=True).effect
    assert route(HERE, effect, viewer()) is SKIP
    assert route(HERE, effect, viewer({HERE: frozenset({8})})) is SKIP
    assert route(HERE, effect, viewer({Topic.server(11): frozenset({7})})) is SKIP
    assert route(HERE, effect, viewer({HERE: frozenset({7, 8})})) == Route(deliver=True)
    # not listening to the server at all: nothing, whatever it watches
    outside = Viewer(1, "s1", frozenset({Topic.user(1)}), {HERE: frozenset({7})})
    assert route(HERE, effect, outside) is SKIP


def test_small_servers_presence_reaches_everyone_listening() -> None:
    effect = PresenceUpdated(10, 7, Presence.ONLINE).effect
    assert route(HERE, effect, viewer()) == Route(deliver=True)
