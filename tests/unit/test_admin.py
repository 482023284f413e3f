"""The operator's use cases: accounts (create, list, reset, disable, enable, delete), servers
(list, delete), exports."""

from __future__ import annotations

import pytest

from discord_core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from discord_core.events import MemberRemoved, ServerDeleted, SessionsRevoked
from discord_core.model import DELETED_USER, shown_username

from .conftest import PASSWORD, World, fails

INVALID = "invalid_token"


async def test_create_user_follows_registration_rules_and_signs_nobody_in(world: World) -> None:
    user = await world.admin.create_user(" Carol ", "Carol@Example.com", PASSWORD)
    assert (user.username, user.email) == ("carol", "carol@example.com")
    assert world.db.tables.sessions == {}
    await fails(
        world.admin.create_user("carol", "x@example.com", PASSWORD), Conflict, "username_taken"
    )
    with pytest.raises(ValidationFailed):
        await world.admin.create_user("dave", "dave@example.com", "short")
    assert (await world.login("carol")).user_id == user.id


async def test_list_users_pages_by_id(world: World) -> None:
    for name in ("u1", "u2", "u3"):
        await world.register(name)
    first = await world.admin.list_users(limit=2)
    rest = await world.admin.list_users(after=first[-1].id, limit=2)
    assert [u.username for u in first + rest] == ["u1", "u2", "u3"]


async def test_reset_password_signs_out_everywhere(world: World) -> None:
    alice = await world.register("alice")
    temporary = await world.admin.reset_password("alice")
    assert len(temporary) >= 12
    await fails(
        world.auth.authenticate(world.tokens_of[alice.user_id]), Unauthorized, "invalid_token"
    )
    revoked = [e for e in world.events.events if isinstance(e, SessionsRevoked)]
    assert revoked and alice.session_id in revoked[-1].session_ids
    await fails(world.auth.login("alice", PASSWORD), Unauthorized, "invalid_credentials")
    await world.login("alice", temporary)
    chosen = "Another-Good-pw-7"
    assert await world.admin.reset_password(str(alice.user_id), chosen) == chosen
    await world.login("alice", chosen)


async def test_disabled_users_cannot_sign_in_until_enabled(world: World) -> None:
    alice = await world.register("alice")
    await world.admin.disable_user("ALICE")
    await fails(
        world.auth.authenticate(world.tokens_of[alice.user_id]), Unauthorized, "invalid_token"
    )
    assert any(isinstance(e, SessionsRevoked) for e in world.events.events)
    await fails(world.auth.login("alice", PASSWORD), Unauthorized, "account_disabled")
    # a wrong password still says only that
    await fails(world.auth.login("alice", "not-the-pw-1"), Unauthorized, "invalid_credentials")
    await world.admin.enable_user("alice")
    await world.login("alice")


async def test_delete_user_anonymises_and_keeps_messages(world: World) -> None:
    owner = await world.register("owner")
    alice = await world.register("alice")
    server_id, general = await world.server(owner)
    await world.join(alice, server_id, owner)
    posted = await world.messages.post(alice, general, "hello", None)
    await fails(world.admin.delete_user("owner"), Conflict, "owner_cannot_leave")
    deleted = await world.admin.delete_user("alice")
    assert shown_username(deleted.username) == DELETED_USER
    assert deleted.deleted_at is not None and not deleted.can_sign_in
    assert any(
        isinstance(e, MemberRemoved) and e.user_id == alice.user_id for e in world.events.events
    )
    await fails(
        world.auth.authenticate(world.tokens_of[alice.user_id]), Unauthorized, "invalid_token"
    )
    await fails(world.auth.login("alice", PASSWORD), Unauthorized, "invalid_credentials")
    # the name and the email are free again; the message stays, shown as a deleted user
    await world.auth.register("alice", "alice@example.com", PASSWORD)
    history = await world.messages.history(owner, general, limit=10)
    view = next(v for v in history if v.message.id == posted.message.message.id)
    assert shown_username(view.author_username) == DELETED_USER
    await fails(world.admin.enable_user(str(alice.user_id)), Conflict, "user_deleted")
    with pytest.raises(ValidationFailed):
        await world.auth.register("deleted_1", "d@example.com", PASSWORD)


async def test_unknown_user(world: World) -> None:
    await fails(world.admin.disable_user("nobody"), NotFound, "unknown_user")


async def test_servers_list_delete_and_export(world: World) -> None:
    owner = await world.register("owner")
    alice = await world.register("alice")
    server_id, general = await world.server(owner, "Friends")
    await world.join(alice, server_id, owner)
    for i in range(250):
        await world.messages.post(owner, general, f"m{i}", None)
    [summary] = await world.admin.list_servers()
    assert (summary.server.name, summary.owner_username, summary.members) == ("Friends", "owner", 2)
    items = [item async for item in world.admin.export_server(server_id)]
    assert items[0].server is not None and items[0].server.id == server_id
    texts = [i.message.message.content for i in items if i.message is not None]
    assert texts == [f"m{i}" for i in range(250)]  # oldest first, across pages
    assert sum(1 for i in items if i.member is not None) == 2
    await world.admin.delete_server(server_id)
    assert any(isinstance(e, ServerDeleted) for e in world.events.events)
    await fails(world.admin.delete_server(server_id), NotFound, "unknown_server")
    with pytest.raises(NotFound):
        [item async for item in world.admin.export_server(server_id)]
