"""Bot accounts: create, list, reset the token, delete; admins add the bots they own."""

from __future__ import annotations

import asyncio

from discord_core import bots, limits
from discord_core.errors import Conflict, Forbidden, LimitReached, NotFound, Unauthorized
from discord_core.events import MemberJoined, ServerAvailable, SessionsRevoked
from discord_core.model import Role
from discord_core.usecases import Identity

from .conftest import Crew, World, fails


async def test_token_shape_round_trips_and_rejects_user_tokens() -> None:
    token = bots.make_token(1234567890123, "abcdefghijklmnop", "s" * 43)
    assert bots.parse_token(token) == (1234567890123, "abcdefghijklmnop")
    assert bots.token_matches(token, bots.hash_token(token))
    assert not bots.token_matches(token + "x", bots.hash_token(token))
    for other in ["tok:1:sess:99", "eyJhbGciOi.eyJzdWIi.c2ln", "", "a.b", "MTIz.short.x"]:
        assert bots.parse_token(other) is None
    # a first part that does not decode to a snowflake is not a bot token
    assert bots.parse_token("YWJj.abcdefghijklmnop." + "s" * 43) is None


async def test_create_returns_the_token_once_and_stores_only_its_hash(world: World) -> None:
    alice = await world.register("alice")
    issued = await world.bots.create(alice, "Helper")
    assert issued.user.username == "helper" and issued.user.bot
    assert issued.bot.owner_id == alice.user_id
    assert issued.token not in repr(world.db.tables.bots)
    assert world.db.tables.bots[issued.user.id].token_hash == bots.hash_token(issued.token)
    identity = await world.auth.authenticate(issued.token)
    assert identity == Identity(issued.user.id, issued.bot.token_id, bot=True)
    assert identity.expires_at is None
    listed = await world.bots.list_bots(alice)
    assert [b.user.id for b in listed] == [issued.user.id]
    assert await world.bots.list_bots(await world.register("bob")) == []


async def test_bots_cannot_sign_in_with_a_password_or_own_bots(world: World) -> None:
    alice = await world.register("alice")
    issued = await world.bots.create(alice, "helper")
    await fails(world.auth.login("helper", "!bot"), Unauthorized, "invalid_credentials")
    bot = await world.auth.authenticate(issued.token)
    await fails(world.bots.create(bot, "minion"), Forbidden, "missing_permission")
    await fails(world.auth.refresh(bot), Forbidden, "missing_permission")


async def test_usernames_are_shared_with_people(world: World) -> None:
    alice = await world.register("alice")
    await fails(world.bots.create(alice, "alice"), Conflict, "username_taken", field="username")


async def test_quota_holds_under_concurrent_creates(world: World) -> None:
    alice = await world.register("alice")
    limit = limits.BOTS_PER_USER_MAX
    results = await asyncio.gather(
        *(world.bots.create(alice, f"bot{i}") for i in range(limit + 3)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert len(refused) == 3 and all(r.code == "too_many_bots" for r in refused)
    assert len(await world.bots.list_bots(alice)) == limit


async def test_reset_token_revokes_the_old_one(world: World) -> None:
    alice = await world.register("alice")
    first = await world.bots.create(alice, "helper")
    world.events.clear()
    second = await world.bots.reset_token(alice, first.user.id)
    assert second.token != first.token
    await fails(world.auth.authenticate(first.token), Unauthorized, "invalid_token")
    assert (await world.auth.authenticate(second.token)).user_id == first.user.id
    revoked = [e for e in world.events.events if isinstance(e, SessionsRevoked)]
    assert revoked == [SessionsRevoked(first.user.id, (first.bot.token_id,))]


async def test_only_the_owner_manages_a_bot(world: World) -> None:
    alice, bob = await world.register("alice"), await world.register("bob")
    issued = await world.bots.create(alice, "helper")
    await fails(world.bots.reset_token(bob, issued.user.id), NotFound, "unknown_bot")
    await fails(world.bots.delete(bob, issued.user.id), NotFound, "unknown_bot")
    await fails(world.bots.reset_token(alice, bob.user_id), NotFound, "unknown_bot")


async def test_delete_signs_the_bot_out_and_it_leaves_its_servers(crew: Crew) -> None:
    w = crew.world
    issued = await w.bots.create(crew.admin, "helper")
    await w.bots.add_to_server(crew.admin, crew.server_id, issued.user.id)
    await w.bots.delete(crew.admin, issued.user.id)
    await fails(w.auth.authenticate(issued.token), Unauthorized, "invalid_token")
    assert issued.user.id not in await w.user_ids(crew.server_id, crew.owner)
    assert await w.bots.list_bots(crew.admin) == []
    await fails(w.bots.delete(crew.admin, issued.user.id), NotFound, "unknown_bot")


async def test_an_admin_adds_a_bot_they_own(crew: Crew) -> None:
    w = crew.world
    issued = await w.bots.create(crew.admin, "helper")
    w.events.clear()
    added = await w.bots.add_to_server(crew.admin, crew.server_id, issued.user.id)
    assert added.created and added.view.bot and added.view.member.role is Role.MEMBER
    kinds = [type(e) for e in w.events.events]
    assert kinds[:2] == [ServerAvailable, MemberJoined]
    again = await w.bots.add_to_server(crew.admin, crew.server_id, issued.user.id)
    assert not again.created
    bot = await w.auth.authenticate(issued.token)
    assert [s.id for s, _ in await w.users.servers(bot)] == [crew.server_id]


async def test_who_may_add_which_bot(crew: Crew) -> None:
    w = crew.world
    mods_bot = await w.bots.create(crew.mod, "modbot")
    admins_bot = await w.bots.create(crew.admin, "adminbot")
    await fails(
        w.bots.add_to_server(crew.mod, crew.server_id, mods_bot.user.id),
        Forbidden,
        "missing_permission",
    )
    # someone else's bot, or a person
    for user_id in (admins_bot.user.id, crew.outsider.user_id):
        await fails(
            w.bots.add_to_server(crew.owner, crew.server_id, user_id),
            Forbidden,
            "missing_permission",
        )
    outsiders_bot = await w.bots.create(crew.outsider, "outbot")
    await fails(
        w.bots.add_to_server(crew.outsider, crew.server_id, outsiders_bot.user.id),
        NotFound,
        "unknown_server",
    )
    await fails(
        w.bots.add_to_server(crew.admin, 999_999, admins_bot.user.id), NotFound, "unknown_server"
    )


async def test_a_disabled_bot_cannot_authenticate(world: World) -> None:
    alice = await world.register("alice")
    issued = await world.bots.create(alice, "helper")
    world.events.clear()
    await world.admin.disable_user("helper")
    await fails(world.auth.authenticate(issued.token), Unauthorized, "invalid_token")
    revoked = [e for e in world.events.events if isinstance(e, SessionsRevoked)]
    assert revoked and issued.bot.token_id in revoked[0].session_ids
