"""Deleting your own account and exporting your data (shared with the operator's commands)."""

from __future__ import annotations

from discord_core.errors import Conflict, Forbidden, NotFound, Unauthorized
from discord_core.events import MemberRemoved, ServerUnavailable, SessionsRevoked
from discord_core.model import DELETED_USER, Role, shown_username

from .conftest import PASSWORD, Crew, World, fails


async def test_delete_me_anonymises_signs_out_and_frees_the_names(crew: Crew) -> None:
    w = crew.world
    posted = await w.messages.post(crew.member, crew.general_id, "I was here")
    other = await w.login("member")
    w.events.clear()
    await w.users.delete_me(crew.member, PASSWORD)
    kinds = [type(e) for e in w.events.events]
    assert MemberRemoved in kinds and ServerUnavailable in kinds and SessionsRevoked in kinds
    revoked = next(e for e in w.events.events if isinstance(e, SessionsRevoked))
    assert {crew.member.session_id, other.session_id} <= set(revoked.session_ids)
    for token in (w.tokens_of[crew.member.user_id],):
        await fails(w.auth.authenticate(token), Unauthorized, "invalid_token")
    await fails(w.auth.login("member", PASSWORD), Unauthorized, "invalid_credentials")
    assert crew.member.user_id not in await w.user_ids(crew.server_id, crew.owner)
    history = await w.messages.history(crew.owner, crew.general_id)
    mine = next(m for m in history if m.message.id == posted.message.message.id)
    assert shown_username(mine.author_username) == DELETED_USER
    again = await w.register("member")  # the username and email are free again
    assert again.user_id != crew.member.user_id


async def test_delete_me_needs_the_password_and_refuses_owners(crew: Crew) -> None:
    w = crew.world
    await fails(
        w.users.delete_me(crew.member, "wrong password"), Unauthorized, "invalid_credentials"
    )
    await fails(w.users.delete_me(crew.owner, PASSWORD), Conflict, "owner_cannot_leave")
    assert crew.member.user_id in await w.user_ids(crew.server_id, crew.owner)
    await w.servers.transfer_ownership(crew.owner, crew.server_id, crew.admin.user_id)
    await w.users.delete_me(crew.owner, PASSWORD)
    assert crew.owner.user_id not in await w.user_ids(crew.server_id, crew.admin)


async def test_the_cli_delete_is_the_same_deletion(world: World) -> None:
    alice = await world.register("alice")
    await world.admin.delete_user("alice")
    user = world.db.tables.users[alice.user_id]
    assert user.deleted_at is not None and user.avatar is None
    await world.register("alice")


async def test_export_me_has_profile_servers_and_every_own_message(crew: Crew) -> None:
    w = crew.world
    other_server, other_channel = await w.server(crew.member, "Mine")
    for i in range(150):
        await w.messages.post(crew.member, crew.general_id, f"m{i}")
    await w.messages.post(crew.member, other_channel, "over here")
    await w.messages.post(crew.member2, crew.general_id, "not mine")
    items = [item async for item in w.users.export_me(crew.member)]
    assert items[0].user is not None and items[0].user.username == "member"
    assert {s.id for s, _ in items[0].servers} == {crew.server_id, other_server}
    messages = [i.message for i in items[1:] if i.message is not None]
    assert len(messages) == 151
    assert all(m.message.author_id == crew.member.user_id for m in messages)
    assert [m.message.id for m in messages] == sorted(m.message.id for m in messages)


async def test_server_export_is_for_the_owner(crew: Crew) -> None:
    w = crew.world
    await w.messages.post(crew.member, crew.general_id, "hello")
    items = [item async for item in w.servers.export(crew.owner, crew.server_id)]
    assert items[0].server is not None and items[0].server.id == crew.server_id
    assert sum(1 for i in items if i.message is not None) == 1
    assert sum(1 for i in items if i.member is not None) == 7
    for who in (crew.admin, crew.mod, crew.member):
        await fails(
            anext(aiter(w.servers.export(who, crew.server_id))), Forbidden, "missing_permission"
        )
    await fails(
        anext(aiter(w.servers.export(crew.outsider, crew.server_id))), NotFound, "unknown_server"
    )
    assert (
        await w.members.get(crew.owner, crew.server_id, crew.owner.user_id)
    ).view.member.role is Role.OWNER
