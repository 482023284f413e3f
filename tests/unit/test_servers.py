"""Servers: create (with `general`), read, update, delete, transfer ownership."""

from __future__ import annotations

import pytest

from discord_core import limits
from discord_core.errors import (
    Conflict,
    Forbidden,
    LimitReached,
    NotFound,
    ValidationFailed,
)
from discord_core.events import MemberUpdated, ServerAvailable, ServerDeleted, ServerUpdated
from discord_core.model import Role

from .conftest import Crew, World, fails


async def test_create_makes_the_owner_and_general_in_one_transaction(world: World) -> None:
    alice = await world.register("alice")
    commits, uows = world.db.commits, len(world.fakes.uow.created)
    snap = await world.servers.create(alice, "  My Server ", "About\nus")
    assert (snap.server.name, snap.server.description) == ("My Server", "About\nus")
    assert snap.server.owner_id == alice.user_id
    assert snap.server.created_at == world.clock.now()
    assert (snap.member.user_id, snap.member.role) == (alice.user_id, Role.OWNER)
    assert [(c.name, c.position, c.topic) for c in snap.channels] == [("general", 0, "")]
    assert snap.member_count == 1
    assert world.db.commits == commits + 1
    assert world.fakes.uow.read_only_flags[uows:] == [False]
    assert world.events.events == [ServerAvailable(alice.user_id, snap)]
    assert world.events.routed() == [("SERVER_CREATE", f"user:{alice.user_id}")]
    assert await world.servers.get(alice, snap.server.id) == snap
    assert [s.id for s, _ in await world.users.servers(alice)] == [snap.server.id]


async def test_create_is_all_or_nothing(world: World) -> None:
    alice = await world.register("alice")
    world.events.clear()
    world.db.inject("channels.add", RuntimeError("lost the connection"))
    with pytest.raises(RuntimeError):
        await world.servers.create(alice, "Half")
    assert await world.users.servers(alice) == []
    assert world.db.tables.servers == {}
    assert world.db.tables.members == {}
    assert world.events.events == []


@pytest.mark.parametrize(
    ("name", "description"),
    [("", ""), ("   ", ""), ("x" * 101, ""), ("ok", "x" * 1001), ("a\nb", "")],
)
async def test_create_validates(world: World, name: str, description: str) -> None:
    alice = await world.register("alice")
    field = "description" if name == "ok" else "name"
    await fails(
        world.servers.create(alice, name, description),
        ValidationFailed,
        "validation_failed",
        field=field,
    )
    assert await world.users.servers(alice) == []


async def test_a_user_may_be_in_at_most_100_servers(world: World) -> None:
    alice = await world.register("alice")
    for i in range(limits.SERVERS_PER_USER_MAX):
        await world.servers.create(alice, f"s{i}")
    world.events.clear()
    await fails(world.servers.create(alice, "one too many"), LimitReached, "too_many_servers")
    assert len(await world.users.servers(alice)) == 100
    assert world.events.events == []
    # leaving room (here by deleting one) makes creation possible again
    first = (await world.users.servers(alice))[0][0].id
    await world.servers.delete(alice, first)
    await world.servers.create(alice, "fits again")


async def test_get_shows_channels_in_order_and_the_member_count(crew: Crew) -> None:
    w = crew.world
    snap = await w.servers.get(crew.member, crew.server_id)
    assert snap.member_count == 7
    assert snap.member.role is Role.MEMBER
    assert snap.member.user_id == crew.member.user_id
    first = await w.channels.create(crew.admin, crew.server_id, "first", position=0)
    snap = await w.servers.get(crew.member, crew.server_id)
    assert [c.id for c in snap.channels] == [first.id, crew.general_id]


async def test_non_members_cannot_tell_a_server_exists(crew: Crew) -> None:
    w = crew.world
    existing = await fails(w.servers.get(crew.outsider, crew.server_id), NotFound, "unknown_server")
    missing = await fails(w.servers.get(crew.outsider, 424242), NotFound, "unknown_server")
    assert existing.message == missing.message


async def test_update_changes_settings_and_announces_them(crew: Crew) -> None:
    w = crew.world
    server = await w.servers.update(crew.admin, crew.server_id, name=" New name ")
    assert (server.name, server.description) == ("New name", "")
    server = await w.servers.update(crew.admin, crew.server_id, description="Hello\tthere")
    assert (server.name, server.description) == ("New name", "Hello\tthere")
    assert w.events.routed() == [("SERVER_UPDATE", f"server:{crew.server_id}")] * 2
    assert w.events.events[-1] == ServerUpdated(crew.server_id, server)
    assert (await w.servers.get(crew.member, crew.server_id)).server == server


async def test_update_by_a_moderator_is_forbidden_and_changes_nothing(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.servers.update(crew.mod, crew.server_id, name="Mine"), Forbidden, "missing_permission"
    )
    await fails(
        w.servers.update(crew.admin, crew.server_id, name=""),
        ValidationFailed,
        "validation_failed",
        field="name",
    )
    assert (await w.servers.get(crew.member, crew.server_id)).server.name == "Crew"
    assert w.events.events == []


async def test_delete_removes_everything_and_tells_the_server(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.owner, crew.server_id)
    posted = await w.messages.post(crew.member, crew.general_id, "hi")
    w.events.clear()
    await w.servers.delete(crew.owner, crew.server_id)
    assert w.events.events == [ServerDeleted(crew.server_id)]
    assert w.events.routed() == [("SERVER_DELETE", f"server:{crew.server_id}")]
    for who in (crew.owner, crew.member):
        await fails(w.servers.get(who, crew.server_id), NotFound, "unknown_server")
        assert await w.users.servers(who) == []
    await fails(w.channels.get(crew.owner, crew.general_id), NotFound, "unknown_channel")
    await fails(w.invites.preview(crew.outsider, invite.code), NotFound, "unknown_invite")
    assert posted.message.message.id not in w.db.tables.messages


@pytest.mark.parametrize("who", ["admin", "mod", "member"])
async def test_only_the_owner_deletes(crew: Crew, who: str) -> None:
    w = crew.world
    await fails(
        w.servers.delete(getattr(crew, who), crew.server_id), Forbidden, "missing_permission"
    )
    assert (await w.servers.get(crew.owner, crew.server_id)).member_count == 7
    assert w.events.events == []


async def test_transfer_ownership(crew: Crew) -> None:
    w = crew.world
    server = await w.servers.transfer_ownership(crew.owner, crew.server_id, crew.member.user_id)
    assert server.owner_id == crew.member.user_id
    new_owner = await w.members.get(crew.owner, crew.server_id, crew.member.user_id)
    old_owner = await w.members.get(crew.owner, crew.server_id, crew.owner.user_id)
    assert new_owner.view.member.role is Role.OWNER
    assert old_owner.view.member.role is Role.ADMIN
    assert w.events.events == [
        ServerUpdated(crew.server_id, server),
        MemberUpdated(crew.server_id, new_owner.view),
        MemberUpdated(crew.server_id, old_owner.view),
    ]
    # the new owner has the owner's powers, the old one no longer does
    await fails(w.servers.delete(crew.owner, crew.server_id), Forbidden, "missing_permission")
    await fails(w.members.leave(crew.member, crew.server_id), Conflict, "owner_cannot_leave")
    await w.members.leave(crew.owner, crew.server_id)
    await w.servers.delete(crew.member, crew.server_id)


async def test_transfer_refusals(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.servers.transfer_ownership(crew.owner, crew.server_id, crew.owner.user_id),
        ValidationFailed,
        "validation_failed",
        field="user_id",
    )
    await fails(
        w.servers.transfer_ownership(crew.owner, crew.server_id, crew.outsider.user_id),
        NotFound,
        "unknown_member",
    )
    await fails(
        w.servers.transfer_ownership(crew.admin, crew.server_id, crew.admin.user_id),
        Forbidden,
        "missing_permission",
    )
    await fails(
        w.servers.transfer_ownership(crew.outsider, crew.server_id, crew.owner.user_id),
        NotFound,
        "unknown_server",
    )
    assert (await w.servers.get(crew.owner, crew.server_id)).server.owner_id == crew.owner.user_id
    assert w.events.events == []
