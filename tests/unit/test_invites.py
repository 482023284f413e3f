"""Invites: create (expiry, max uses), list, preview, accept, revoke."""

from __future__ import annotations

from datetime import timedelta

import pytest

from discord_core import limits
from discord_core.errors import Conflict, Forbidden, LimitReached, NotFound, ValidationFailed
from discord_core.events import MemberJoined, PresenceUpdated, ServerAvailable
from discord_core.model import Invite, Presence, Role

from .conftest import Crew, fails


async def uses(crew: Crew, code: str) -> int:
    invites = await crew.world.invites.list_invites(crew.owner, crew.server_id)
    return next(i.uses for i in invites if i.code == code)


async def test_create_defaults_to_one_day_and_unlimited_uses(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.admin, crew.server_id)
    assert invite.server_id == crew.server_id
    assert invite.inviter_id == crew.admin.user_id
    assert invite.created_at == w.clock.now()
    assert invite.expires_at == w.clock.now() + timedelta(days=1)
    assert (invite.max_uses, invite.uses) == (0, 0)
    assert invite.code.startswith("inv")
    assert await w.invites.list_invites(crew.admin, crew.server_id) == [invite]
    assert w.events.events == []  # invites are not announced


async def test_create_with_bounds(crew: Crew) -> None:
    w = crew.world
    forever = await w.invites.create(crew.owner, crew.server_id, max_age=0, max_uses=0)
    assert forever.expires_at is None
    week = await w.invites.create(crew.owner, crew.server_id, max_age=604_800, max_uses=100)
    assert week.expires_at == w.clock.now() + timedelta(days=7)
    assert week.max_uses == 100
    one = await w.invites.create(crew.owner, crew.server_id, max_age=1, max_uses=1)
    assert one.expires_at == w.clock.now() + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("max_age", "max_uses", "field"),
    [(-1, 0, "max_age"), (604_801, 0, "max_age"), (60, -1, "max_uses"), (60, 101, "max_uses")],
)
async def test_create_out_of_bounds(crew: Crew, max_age: int, max_uses: int, field: str) -> None:
    w = crew.world
    await fails(
        w.invites.create(crew.owner, crew.server_id, max_age=max_age, max_uses=max_uses),
        ValidationFailed,
        "validation_failed",
        field=field,
    )
    assert await w.invites.list_invites(crew.owner, crew.server_id) == []


async def test_a_server_may_have_at_most_1000_invites(crew: Crew) -> None:
    w = crew.world
    now = w.clock.now()
    w.db.seed(
        *(
            Invite(f"seed{i}", crew.server_id, crew.owner.user_id, now, None, 0)
            for i in range(limits.INVITES_PER_SERVER_MAX - 1)
        )
    )
    await w.invites.create(crew.admin, crew.server_id)  # the 1000th
    await fails(w.invites.create(crew.admin, crew.server_id), LimitReached, "too_many_invites")
    assert len(await w.invites.list_invites(crew.admin, crew.server_id)) == 1000
    await w.invites.revoke(crew.admin, "seed0")
    await w.invites.create(crew.admin, crew.server_id)


async def test_expired_and_used_up_invites_do_not_count_against_the_quota(crew: Crew) -> None:
    w = crew.world
    now = w.clock.now()
    half = limits.INVITES_PER_SERVER_MAX // 2
    w.db.seed(
        *(Invite(f"old{i}", crew.server_id, crew.owner.user_id, now, now, 0) for i in range(half)),
        *(
            Invite(f"spent{i}", crew.server_id, crew.owner.user_id, now, None, 1, uses=1)
            for i in range(limits.INVITES_PER_SERVER_MAX - half)
        ),
    )
    fresh = await w.invites.create(crew.admin, crew.server_id)
    assert [i.code for i in await w.invites.list_invites(crew.admin, crew.server_id)] == [
        fresh.code
    ]


async def test_a_code_already_taken_is_replaced_by_a_fresh_one(crew: Crew) -> None:
    w = crew.world
    now = w.clock.now()
    taken = w.fakes.invite_codes.count + 1  # the next code the generator will give
    w.db.seed(Invite(f"inv{taken:04d}", crew.server_id, crew.owner.user_id, now, None, 0))
    invite = await w.invites.create(crew.admin, crew.server_id)
    assert invite.code == f"inv{taken + 1:04d}"
    codes = {i.code for i in await w.invites.list_invites(crew.admin, crew.server_id)}
    assert codes == {f"inv{taken:04d}", invite.code}


async def test_three_taken_codes_in_a_row_are_a_conflict_and_write_nothing(crew: Crew) -> None:
    w = crew.world
    now = w.clock.now()
    first = w.fakes.invite_codes.count + 1
    w.db.seed(
        *(
            Invite(f"inv{n:04d}", crew.server_id, crew.owner.user_id, now, None, 0)
            for n in range(first, first + 3)
        )
    )
    await fails(w.invites.create(crew.admin, crew.server_id), Conflict, "conflict")
    assert len(await w.invites.list_invites(crew.admin, crew.server_id)) == 3


async def test_list_is_for_admins_only(crew: Crew) -> None:
    w = crew.world
    first = await w.invites.create(crew.owner, crew.server_id)
    w.clock.advance(seconds=1)
    second = await w.invites.create(crew.admin, crew.server_id)
    assert await w.invites.list_invites(crew.admin, crew.server_id) == [first, second]
    await fails(w.invites.list_invites(crew.mod, crew.server_id), Forbidden, "missing_permission")
    await fails(w.invites.list_invites(crew.outsider, crew.server_id), NotFound, "unknown_server")


async def test_preview_for_anyone(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.owner, crew.server_id)
    preview = await w.invites.preview(crew.outsider, invite.code)
    assert preview.invite == invite
    assert preview.server.id == crew.server_id
    assert preview.member_count == 7


async def test_expired_used_up_and_unknown_invites_look_alike(crew: Crew) -> None:
    w = crew.world
    expiring = await w.invites.create(crew.owner, crew.server_id, max_age=60)
    single = await w.invites.create(crew.owner, crew.server_id, max_age=0, max_uses=1)
    await w.invites.accept(crew.outsider, single.code)
    newcomer = await w.register("newcomer")
    w.clock.advance(seconds=59, microseconds=999_999)
    assert (await w.invites.preview(newcomer, expiring.code)).invite.code == expiring.code
    w.clock.advance(microseconds=1)  # exactly at expires_at: expired
    errors = [
        await fails(w.invites.preview(newcomer, expiring.code), NotFound, "unknown_invite"),
        await fails(w.invites.preview(newcomer, single.code), NotFound, "unknown_invite"),
        await fails(w.invites.preview(newcomer, "nosuchcode"), NotFound, "unknown_invite"),
        await fails(w.invites.accept(newcomer, expiring.code), NotFound, "unknown_invite"),
        await fails(w.invites.accept(newcomer, single.code), NotFound, "unknown_invite"),
        await fails(w.invites.accept(newcomer, "nosuchcode"), NotFound, "unknown_invite"),
    ]
    assert len({e.message for e in errors}) == 1
    assert await w.users.servers(newcomer) == []
    assert await uses(crew, single.code) == 1


async def test_accept_joins_and_announces(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.admin, crew.server_id, max_uses=5)
    w.presence.set_online(crew.outsider.user_id)
    w.events.clear()
    snap = await w.invites.accept(crew.outsider, invite.code)
    assert snap.server.id == crew.server_id
    assert [c.id for c in snap.channels] == [crew.general_id]
    assert (snap.member.user_id, snap.member.role) == (crew.outsider.user_id, Role.MEMBER)
    assert snap.member.joined_at == w.clock.now()
    assert snap.member_count == 8
    view = (await w.members.get(crew.owner, crew.server_id, crew.outsider.user_id)).view
    assert w.events.events == [
        ServerAvailable(crew.outsider.user_id, snap),
        MemberJoined(crew.server_id, view),
        PresenceUpdated(crew.server_id, crew.outsider.user_id, Presence.ONLINE),
    ]
    assert w.events.routed() == [
        ("SERVER_CREATE", f"user:{crew.outsider.user_id}"),
        ("MEMBER_ADD", f"server:{crew.server_id}"),
        ("PRESENCE_UPDATE", f"server:{crew.server_id}"),
    ]
    assert await uses(crew, invite.code) == 1
    await w.messages.post(crew.outsider, crew.general_id, "hello all")


async def test_accept_while_offline_shows_offline(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.admin, crew.server_id)
    await w.invites.accept(crew.outsider, invite.code)
    presence = w.events.events[-1]
    assert presence == PresenceUpdated(crew.server_id, crew.outsider.user_id, Presence.OFFLINE)


async def test_accept_is_idempotent_for_members(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.admin, crew.server_id, max_age=60, max_uses=1)
    snap = await w.invites.accept(crew.member, invite.code)
    assert (snap.server.id, snap.member.user_id, snap.member.role) == (
        crew.server_id,
        crew.member.user_id,
        Role.MEMBER,
    )
    assert snap.member_count == 7
    owner_snap = await w.invites.accept(crew.owner, invite.code)
    assert owner_snap.member.role is Role.OWNER  # the role is kept, not reset
    assert await uses(crew, invite.code) == 0
    assert w.events.events == []
    # a member can "accept" even an expired invite of their own server: nothing happens
    w.clock.advance(minutes=2)
    assert (await w.invites.accept(crew.member, invite.code)).server.id == crew.server_id


async def test_max_uses_is_enforced(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.admin, crew.server_id, max_uses=2)
    second = await w.register("second")
    third = await w.register("third")
    await w.invites.accept(crew.outsider, invite.code)
    await w.invites.accept(second, invite.code)
    w.events.clear()
    await fails(w.invites.accept(third, invite.code), NotFound, "unknown_invite")
    assert await uses(crew, invite.code) == 2
    assert await w.users.servers(third) == []
    assert w.events.events == []


async def test_accept_respects_the_server_quota_without_using_the_invite(crew: Crew) -> None:
    w = crew.world
    for i in range(limits.SERVERS_PER_USER_MAX):
        await w.servers.create(crew.outsider, f"s{i}")
    invite = await w.invites.create(crew.admin, crew.server_id, max_uses=1)
    w.events.clear()
    await fails(w.invites.accept(crew.outsider, invite.code), LimitReached, "too_many_servers")
    assert await uses(crew, invite.code) == 0
    assert w.events.events == []


async def test_accept_race_with_the_same_user_joins_once(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.admin, crew.server_id, max_uses=10)
    winner = []

    async def concurrent_accept() -> None:
        winner.append(await w.invites.accept(crew.outsider, invite.code))

    # The other accept gets the user's lock first; this one waits, then sees the membership.
    w.db.inject("users.lock", concurrent_accept)
    w.events.clear()
    snap = await w.invites.accept(crew.outsider, invite.code)
    assert snap == winner[0]
    assert snap.member.user_id == crew.outsider.user_id
    assert await uses(crew, invite.code) == 1  # the second accept used nothing
    assert w.events.names() == ["SERVER_CREATE", "MEMBER_ADD", "PRESENCE_UPDATE"]


async def test_revoke(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.owner, crew.server_id)
    await fails(w.invites.revoke(crew.mod, invite.code), Forbidden, "missing_permission")
    outsider = await fails(w.invites.revoke(crew.outsider, invite.code), NotFound, "unknown_invite")
    unknown = await fails(w.invites.revoke(crew.admin, "nosuchcode"), NotFound, "unknown_invite")
    assert outsider.message == unknown.message
    assert (await w.invites.preview(crew.outsider, invite.code)).invite.code == invite.code
    await w.invites.revoke(crew.admin, invite.code)
    await fails(w.invites.preview(crew.outsider, invite.code), NotFound, "unknown_invite")
    await fails(w.invites.accept(crew.outsider, invite.code), NotFound, "unknown_invite")
    assert await w.invites.list_invites(crew.owner, crew.server_id) == []
    assert w.events.events == []


async def test_invites_of_a_deleted_server_are_gone(crew: Crew) -> None:
    w = crew.world
    invite = await w.invites.create(crew.owner, crew.server_id, max_age=0)
    await w.servers.delete(crew.owner, crew.server_id)
    await fails(w.invites.accept(crew.outsider, invite.code), NotFound, "unknown_invite")
