"""The concurrency discipline: rules that read then write lock what they depend on, in one
order; conflicts are retried; a parent deleted meanwhile is a 404.

"Concurrent" requests run at an injection point of the first one (see fakes.py): injected
before the lock (at "servers.lock" / "users.lock"), the other request commits first and the
first one, once it holds the lock, sees the other's result, as PostgreSQL's row locks make it.
Real concurrency on both databases is in tests/integration/api/test_races.py.
"""

from __future__ import annotations

import asyncio

import pytest

from discord_core import limits
from discord_core.errors import (
    Conflict,
    Forbidden,
    LimitReached,
    NotFound,
    TransactionConflict,
)
from discord_core.model import Role

from .conftest import Crew, World, fails
from .fakes import SERVER_LOCK, USER_LOCK


async def roles(crew: Crew) -> dict[int, Role]:
    members = await crew.world.members.list_members(crew.owner, crew.server_id, limit=100)
    return {m.view.member.user_id: m.view.member.role for m in members}


async def test_a_transfer_waits_for_a_transfer_and_then_no_longer_owns(crew: Crew) -> None:
    w = crew.world

    async def first() -> None:
        await w.servers.transfer_ownership(crew.owner, crew.server_id, crew.admin.user_id)

    w.db.inject("servers.lock", first)
    await fails(
        w.servers.transfer_ownership(crew.owner, crew.server_id, crew.member.user_id),
        Forbidden,
        "missing_permission",
    )
    owners = [uid for uid, role in (await roles(crew)).items() if role is Role.OWNER]
    assert owners == [crew.admin.user_id]


async def test_a_leave_after_a_transfer_to_the_leaver_is_refused(crew: Crew) -> None:
    w = crew.world

    async def transfer() -> None:
        await w.servers.transfer_ownership(crew.owner, crew.server_id, crew.member.user_id)

    w.db.inject("servers.lock", transfer)
    await fails(w.members.leave(crew.member, crew.server_id), Conflict, "owner_cannot_leave")
    assert (await roles(crew))[crew.member.user_id] is Role.OWNER


async def test_a_transfer_after_the_target_left_is_404(crew: Crew) -> None:
    w = crew.world

    async def leave() -> None:
        await w.members.leave(crew.member, crew.server_id)

    w.db.inject("servers.lock", leave)
    await fails(
        w.servers.transfer_ownership(crew.owner, crew.server_id, crew.member.user_id),
        NotFound,
        "unknown_member",
    )
    assert (await roles(crew))[crew.owner.user_id] is Role.OWNER


async def test_concurrent_channel_creates_count_against_the_quota_one_after_another(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = crew.world
    monkeypatch.setattr(limits, "CHANNELS_PER_SERVER_MAX", 2)  # `general` + one

    async def other() -> None:
        await w.channels.create(crew.admin, crew.server_id, "first")

    w.db.inject("servers.lock", other)
    await fails(
        w.channels.create(crew.admin, crew.server_id, "second"), LimitReached, "too_many_channels"
    )
    channels = await w.channels.list_channels(crew.owner, crew.server_id)
    assert [(c.name, c.position) for c in channels] == [("general", 0), ("first", 1)]


async def test_concurrent_creates_of_one_user_count_against_the_server_quota(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = crew.world
    monkeypatch.setattr(limits, "SERVERS_PER_USER_MAX", 2)  # the crew's server + one

    async def other() -> None:
        await w.servers.create(crew.member, "one")

    w.db.inject("users.lock", other)
    await fails(w.servers.create(crew.member, "two"), LimitReached, "too_many_servers")
    invite = await w.invites.create(crew.owner, (await w.server(crew.owner, "x"))[0])
    await fails(w.invites.accept(crew.member, invite.code), LimitReached, "too_many_servers")
    assert len(await w.users.servers(crew.member)) == 2


async def test_a_move_after_a_concurrent_move_sees_its_positions(crew: Crew) -> None:
    w = crew.world
    a = await w.channels.create(crew.admin, crew.server_id, "a")
    b = await w.channels.create(crew.admin, crew.server_id, "b")

    async def other() -> None:
        await w.channels.update(crew.admin, b.id, position=0)

    w.db.inject("servers.lock", other)
    await w.channels.update(crew.admin, a.id, position=0)
    channels = await w.channels.list_channels(crew.owner, crew.server_id)
    assert [(c.name, c.position) for c in channels] == [("a", 0), ("b", 1), ("general", 2)]


async def test_a_rename_racing_a_move_keeps_the_move(crew: Crew) -> None:
    w = crew.world
    a = await w.channels.create(crew.admin, crew.server_id, "a")

    async def move() -> None:
        await w.channels.update(crew.admin, a.id, position=0)

    w.db.inject("servers.lock", move)
    renamed = await w.channels.update(crew.admin, a.id, name="renamed")
    assert (renamed.name, renamed.position) == ("renamed", 0)


async def test_deleting_a_channel_renumbers_the_rest(crew: Crew) -> None:
    w = crew.world
    a = await w.channels.create(crew.admin, crew.server_id, "a")
    await w.channels.create(crew.admin, crew.server_id, "b")
    w.events.clear()
    await w.channels.delete(crew.admin, a.id)
    channels = await w.channels.list_channels(crew.owner, crew.server_id)
    assert [(c.name, c.position) for c in channels] == [("general", 0), ("b", 1)]
    assert w.events.names() == ["CHANNEL_DELETE", "CHANNEL_UPDATE"]
    created = await w.channels.create(crew.admin, crew.server_id, "c")
    assert created.position == 2


async def test_a_post_racing_the_channel_delete_is_404(crew: Crew) -> None:
    w = crew.world

    async def delete() -> None:
        await w.channels.delete(crew.admin, crew.general_id)

    w.db.inject("messages.add", delete)
    w.events.clear()
    await fails(w.messages.post(crew.member, crew.general_id, "hi"), NotFound, "unknown_channel")
    assert w.events.names() == ["CHANNEL_DELETE"]


async def test_a_join_racing_the_server_delete_is_404(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.owner, crew.server_id)

    async def delete() -> None:
        await w.servers.delete(crew.owner, crew.server_id)

    w.db.inject("servers.lock", delete)
    await fails(w.invites.accept(crew.outsider, invite.code), NotFound, "unknown_invite")


async def test_a_conflict_runs_the_work_again_and_publishes_once(crew: Crew) -> None:
    w = crew.world
    w.events.clear()
    w.db.inject("commit", TransactionConflict())
    w.db.inject("servers.lock", TransactionConflict())
    channel = await w.channels.create(crew.admin, crew.server_id, "again")
    assert w.fakes.uow.conflicts == 2
    assert w.events.names() == ["CHANNEL_CREATE"]
    channels = await w.channels.list_channels(crew.owner, crew.server_id)
    assert [c.id for c in channels if c.name == "again"] == [channel.id]


async def test_endless_conflicts_end_in_a_409_not_a_crash(crew: Crew) -> None:
    w = crew.world
    for _ in range(w.fakes.uow.attempts):
        w.db.inject("commit", TransactionConflict())
    w.events.clear()
    await fails(w.messages.post(crew.member, crew.general_id, "hi"), Conflict, "conflict")
    assert w.events.events == []
    assert await w.messages.history(crew.member, crew.general_id) == []


async def test_locks_queue_real_concurrent_writers(world: World) -> None:
    """Two transactions at once: the second waits for the first's lock."""
    alice = await world.register("alice")
    server_id, _ = await world.server(alice)
    order: list[str] = []

    async def hold(name: str, delay: float) -> None:
        async def work(uow):  # type: ignore[no-untyped-def]
            await uow.servers.lock(server_id)
            order.append(f"{name} locked")
            await asyncio.sleep(delay)
            order.append(f"{name} done")

        await world.fakes.uow.run(work)

    await asyncio.gather(hold("first", 0.01), hold("second", 0))
    assert order == ["first locked", "first done", "second locked", "second done"]
    assert world.db.lock_waits == 1


async def test_locks_must_be_taken_in_the_documented_order(world: World) -> None:
    alice = await world.register("alice")
    server_id, _ = await world.server(alice)

    async def wrong_order(uow):  # type: ignore[no-untyped-def]
        await uow.servers.lock(server_id)
        await uow.users.lock(alice.user_id)

    with pytest.raises(AssertionError, match="lock order"):
        await world.fakes.uow.run(wrong_order)
    assert USER_LOCK < SERVER_LOCK
    assert world.db.locks == {}  # released with the unit of work
