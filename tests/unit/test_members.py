"""Members: list (paged, with presence), read, set role, kick, leave."""

from __future__ import annotations

import pytest

from discord_core import limits
from discord_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from discord_core.events import MemberRemoved, MemberUpdated, ServerUnavailable
from discord_core.model import Member, Presence, Role, User, UserStatus

from .conftest import Crew, World, fails


def seed_members(world: World, server_id: int, count: int) -> list[int]:
    now = world.clock.now()
    ids = []
    for i in range(count):
        uid = 500_000 + i
        world.db.seed(
            User(
                uid, f"seeded{i}", f"seeded{i}@example.com", "hashed:x", UserStatus.ONLINE, now, now
            ),
            Member(server_id, uid, Role.MEMBER, now),
        )
        ids.append(uid)
    return ids


async def test_list_pages_ascending_by_user_id(crew: Crew) -> None:
    w = crew.world
    everyone = sorted(
        p.user_id
        for p in (
            crew.owner,
            crew.admin,
            crew.admin2,
            crew.mod,
            crew.mod2,
            crew.member,
            crew.member2,
        )
    )
    first = await w.members.list_members(crew.member, crew.server_id, limit=3)
    assert [m.view.member.user_id for m in first] == everyone[:3]
    after = first[-1].view.member.user_id
    second = await w.members.list_members(crew.member, crew.server_id, after=after, limit=3)
    assert [m.view.member.user_id for m in second] == everyone[3:6]
    rest = await w.members.list_members(
        crew.member, crew.server_id, after=second[-1].view.member.user_id, limit=3
    )
    assert [m.view.member.user_id for m in rest] == everyone[6:]
    assert await w.members.list_members(crew.member, crew.server_id, after=everyone[-1]) == []
    usernames = {m.view.member.user_id: m.view.username for m in first}
    assert usernames[crew.owner.user_id] == "owner"


async def test_list_default_page_is_100(crew: Crew) -> None:
    w = crew.world
    seed_members(w, crew.server_id, 150)
    page = await w.members.list_members(crew.member, crew.server_id)
    assert len(page) == limits.MEMBER_PAGE_DEFAULT == 100
    rest = await w.members.list_members(
        crew.member, crew.server_id, after=page[-1].view.member.user_id
    )
    assert len(rest) == 157 - 100
    assert len(await w.members.list_members(crew.member, crew.server_id, limit=1000)) == 157


@pytest.mark.parametrize("limit", [0, -1, limits.MEMBER_PAGE_MAX + 1])
async def test_list_limit_bounds(crew: Crew, limit: int) -> None:
    await fails(
        crew.world.members.list_members(crew.member, crew.server_id, limit=limit),
        ValidationFailed,
        "validation_failed",
        field="limit",
    )


async def test_list_limit_edges_accepted(crew: Crew) -> None:
    w = crew.world
    assert len(await w.members.list_members(crew.member, crew.server_id, limit=1)) == 1
    assert len(await w.members.list_members(crew.member, crew.server_id, limit=1000)) == 7


async def test_list_shows_presence_and_invisible_looks_offline(crew: Crew) -> None:
    w = crew.world
    await w.users.update_me(crew.admin, status=UserStatus.AWAY)
    await w.users.update_me(crew.mod, status=UserStatus.INVISIBLE)
    await w.users.update_me(crew.mod2, status=UserStatus.DND)
    w.presence.set_online(
        crew.owner.user_id, crew.admin.user_id, crew.mod.user_id, crew.mod2.user_id
    )
    shown = {
        m.view.member.user_id: m.presence
        for m in await w.members.list_members(crew.member, crew.server_id)
    }
    assert shown == {
        crew.owner.user_id: Presence.ONLINE,
        crew.admin.user_id: Presence.AWAY,
        crew.admin2.user_id: Presence.OFFLINE,  # no live session
        crew.mod.user_id: Presence.OFFLINE,  # invisible
        crew.mod2.user_id: Presence.DND,
        crew.member.user_id: Presence.OFFLINE,
        crew.member2.user_id: Presence.OFFLINE,
    }
    one = await w.members.get(crew.member, crew.server_id, crew.mod.user_id)
    assert one.presence is Presence.OFFLINE
    assert one.view.status is UserStatus.INVISIBLE  # the member sees the role, not the trick
    assert one.view.member.role is Role.MODERATOR


async def test_get_refusals(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.members.get(crew.member, crew.server_id, crew.outsider.user_id),
        NotFound,
        "unknown_member",
    )
    await fails(
        w.members.get(crew.outsider, crew.server_id, crew.owner.user_id), NotFound, "unknown_server"
    )
    await fails(w.members.list_members(crew.outsider, crew.server_id), NotFound, "unknown_server")


async def test_set_role_changes_it_and_announces_it(crew: Crew) -> None:
    w = crew.world
    view = await w.members.set_role(crew.admin, crew.server_id, crew.member.user_id, Role.MODERATOR)
    assert (view.member.user_id, view.member.role, view.username) == (
        crew.member.user_id,
        Role.MODERATOR,
        "member",
    )
    assert w.events.events == [MemberUpdated(crew.server_id, view)]
    assert w.events.routed() == [("MEMBER_UPDATE", f"server:{crew.server_id}")]
    got = await w.members.get(crew.owner, crew.server_id, crew.member.user_id)
    assert got.view.member.role is Role.MODERATOR
    # the new moderator can now delete others' messages
    posted = await w.messages.post(crew.member2, crew.general_id, "hi")
    await w.messages.delete(crew.member, crew.general_id, posted.message.message.id)


async def test_set_role_to_the_same_role_announces_nothing(crew: Crew) -> None:
    w = crew.world
    view = await w.members.set_role(crew.admin, crew.server_id, crew.mod.user_id, Role.MODERATOR)
    assert view.member.role is Role.MODERATOR
    assert w.events.events == []


async def test_set_role_of_a_non_member(crew: Crew) -> None:
    await fails(
        crew.world.members.set_role(crew.owner, crew.server_id, crew.outsider.user_id, Role.ADMIN),
        NotFound,
        "unknown_member",
    )


async def test_kick_removes_the_member_and_tells_both_sides(crew: Crew) -> None:
    w = crew.world
    await w.members.kick(crew.mod, crew.server_id, crew.member.user_id)
    assert w.events.events == [
        MemberRemoved(crew.server_id, crew.member.user_id, kicked=True),
        ServerUnavailable(crew.member.user_id, crew.server_id),
    ]
    assert w.events.routed() == [
        ("MEMBER_REMOVE", f"server:{crew.server_id}"),
        ("SERVER_DELETE", f"user:{crew.member.user_id}"),
    ]
    await fails(w.servers.get(crew.member, crew.server_id), NotFound, "unknown_server")
    await fails(w.messages.post(crew.member, crew.general_id, "back?"), NotFound, "unknown_channel")
    assert crew.member.user_id not in await w.user_ids(crew.server_id, crew.owner)
    assert (await w.servers.get(crew.owner, crew.server_id)).member_count == 6
    # a kick is not a ban: an invite brings them back, as a plain member
    await w.join(crew.member, crew.server_id, crew.admin)
    assert crew.member.user_id in await w.user_ids(crew.server_id, crew.owner)


async def test_kick_a_non_member(crew: Crew) -> None:
    await fails(
        crew.world.members.kick(crew.owner, crew.server_id, crew.outsider.user_id),
        NotFound,
        "unknown_member",
    )


async def test_kick_refused_changes_nothing(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.members.kick(crew.mod, crew.server_id, crew.mod2.user_id), Forbidden, "role_hierarchy"
    )
    await fails(
        w.members.kick(crew.member, crew.server_id, crew.member2.user_id),
        Forbidden,
        "missing_permission",
    )
    assert len(await w.user_ids(crew.server_id, crew.owner)) == 7
    assert w.events.events == []


async def test_leave(crew: Crew) -> None:
    w = crew.world
    await w.members.leave(crew.admin, crew.server_id)
    assert w.events.events == [
        MemberRemoved(crew.server_id, crew.admin.user_id, kicked=False),
        ServerUnavailable(crew.admin.user_id, crew.server_id),
    ]
    assert await w.users.servers(crew.admin) == []
    await fails(w.members.leave(crew.admin, crew.server_id), NotFound, "unknown_server")


async def test_owner_cannot_leave(crew: Crew) -> None:
    w = crew.world
    await fails(w.members.leave(crew.owner, crew.server_id), Conflict, "owner_cannot_leave")
    assert crew.owner.user_id in await w.user_ids(crew.server_id, crew.member)
    assert w.events.events == []


async def test_leave_of_an_unknown_server(world: World) -> None:
    alice = await world.register("alice")
    await fails(world.members.leave(alice, 123), NotFound, "unknown_server")


async def test_nobody_changes_their_own_role_or_kicks_themselves(crew: Crew) -> None:
    w = crew.world
    for who in (crew.owner, crew.admin):
        await fails(
            w.members.set_role(who, crew.server_id, who.user_id, Role.MEMBER),
            Forbidden,
            "role_hierarchy",
        )
        await fails(w.members.kick(who, crew.server_id, who.user_id), Forbidden, "role_hierarchy")
    await fails(
        w.members.kick(crew.mod, crew.server_id, crew.mod.user_id), Forbidden, "role_hierarchy"
    )
    assert (
        await w.members.get(crew.owner, crew.server_id, crew.admin.user_id)
    ).view.member.role is Role.ADMIN
    assert w.events.events == []


async def test_a_demoted_admin_loses_admin_powers_at_once(crew: Crew) -> None:
    w = crew.world
    await w.members.set_role(crew.owner, crew.server_id, crew.admin.user_id, Role.MEMBER)
    await fails(w.channels.create(crew.admin, crew.server_id, "x"), Forbidden, "missing_permission")
    await fails(w.invites.create(crew.admin, crew.server_id), Forbidden, "missing_permission")
