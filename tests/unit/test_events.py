"""Events follow commits: a change that is not committed is never announced.

The RecordingPublisher also refuses, in every test, a publish while a transaction holds
uncommitted writes; here every writing use case meets a failing commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from discord_core.model import Role, UserStatus

from .conftest import PASSWORD, Crew

Write = Callable[[Crew], Awaitable[object]]


class CommitFailed(Exception):
    pass


async def _post(c: Crew) -> int:
    posted = await c.world.messages.post(c.member, c.general_id, "text")
    return posted.message.message.id


async def _invite(c: Crew) -> str:
    return (await c.world.invites.create(c.owner, c.server_id)).code


PREPARE: dict[str, Callable[[Crew], Awaitable[object]]] = {
    "edit message": _post,
    "delete message": _post,
    "accept invite": _invite,
    "revoke invite": _invite,
}

WRITES: dict[str, Callable[[Crew, object], Awaitable[object]]] = {
    "register": lambda c, _: c.world.auth.register("newbie", "n@example.com", PASSWORD),
    "login": lambda c, _: c.world.auth.login("member", PASSWORD),
    "refresh": lambda c, _: c.world.auth.refresh(c.member),
    "logout": lambda c, _: c.world.auth.logout(c.member),
    "logout everywhere": lambda c, _: c.world.auth.logout(c.member, everywhere=True),
    "rename user": lambda c, _: c.world.users.update_me(c.member, username="renamed"),
    "change status": lambda c, _: c.world.users.update_me(c.member, status=UserStatus.AWAY),
    "change password": lambda c, _: c.world.users.update_me(
        c.member, password="another password", current_password=PASSWORD
    ),
    "create server": lambda c, _: c.world.servers.create(c.member, "New"),
    "update server": lambda c, _: c.world.servers.update(c.admin, c.server_id, name="New"),
    "delete server": lambda c, _: c.world.servers.delete(c.owner, c.server_id),
    "transfer ownership": lambda c, _: c.world.servers.transfer_ownership(
        c.owner, c.server_id, c.member.user_id
    ),
    "set role": lambda c, _: c.world.members.set_role(
        c.admin, c.server_id, c.member.user_id, Role.MODERATOR
    ),
    "kick": lambda c, _: c.world.members.kick(c.mod, c.server_id, c.member.user_id),
    "leave": lambda c, _: c.world.members.leave(c.member, c.server_id),
    "create invite": lambda c, _: c.world.invites.create(c.admin, c.server_id),
    "accept invite": lambda c, code: c.world.invites.accept(c.outsider, str(code)),
    "revoke invite": lambda c, code: c.world.invites.revoke(c.admin, str(code)),
    "create channel": lambda c, _: c.world.channels.create(c.admin, c.server_id, "x"),
    "create channel first": lambda c, _: c.world.channels.create(
        c.admin, c.server_id, "x", position=0
    ),
    "update channel": lambda c, _: c.world.channels.update(c.admin, c.general_id, topic="t"),
    "delete channel": lambda c, _: c.world.channels.delete(c.admin, c.general_id),
    "post": lambda c, _: c.world.messages.post(c.member, c.general_id, "hello", nonce="n"),
    "edit message": lambda c, mid: c.world.messages.edit(c.member, c.general_id, int(mid), "x"),
    "delete message": lambda c, mid: c.world.messages.delete(c.mod, c.general_id, int(mid)),
}


@pytest.mark.parametrize("name", list(WRITES))
async def test_a_failed_commit_leaves_no_trace_and_no_event(crew: Crew, name: str) -> None:
    w = crew.world
    w.presence.set_online(crew.member.user_id, crew.outsider.user_id)
    prepared = await PREPARE[name](crew) if name in PREPARE else None
    w.events.clear()
    before = w.db.tables.copy()
    w.db.inject("commit", CommitFailed())
    with pytest.raises(CommitFailed):
        await WRITES[name](crew, prepared)
    assert w.db.pending_hooks() == [], "the use case never committed"
    assert w.events.events == []
    assert w.db.tables == before
    assert w.db.open_uows == []


@pytest.mark.parametrize("name", list(WRITES))
async def test_a_successful_write_commits_once_then_announces(crew: Crew, name: str) -> None:
    w = crew.world
    prepared = await PREPARE[name](crew) if name in PREPARE else None
    w.events.clear()
    commits = w.db.commits
    await WRITES[name](crew, prepared)
    assert w.db.commits == commits + 1
    # every publish came after that commit
    assert all(seen == commits + 1 for seen in w.events.commits_seen)


READS: dict[str, Callable[[Crew], Awaitable[object]]] = {
    "me": lambda c: c.world.users.me(c.member),
    "get user": lambda c: c.world.users.get(c.member, c.owner.user_id),
    "my servers": lambda c: c.world.users.servers(c.member),
    "get server": lambda c: c.world.servers.get(c.member, c.server_id),
    "list members": lambda c: c.world.members.list_members(c.member, c.server_id),
    "get member": lambda c: c.world.members.get(c.member, c.server_id, c.owner.user_id),
    "list invites": lambda c: c.world.invites.list_invites(c.admin, c.server_id),
    "preview invite": lambda c: c.world.invites.preview(c.outsider, "inv0002"),
    "list channels": lambda c: c.world.channels.list_channels(c.member, c.server_id),
    "get channel": lambda c: c.world.channels.get(c.member, c.general_id),
    "history": lambda c: c.world.messages.history(c.member, c.general_id, around=1),
    "typing": lambda c: c.world.messages.typing(c.member, c.general_id),
    "ready": lambda c: c.world.gateway.ready(c.member),
    "authenticate": lambda c: c.world.auth.authenticate(c.world.tokens_of[c.member.user_id]),
}


@pytest.mark.parametrize("name", list(READS))
async def test_reads_use_read_only_units_of_work_and_commit_nothing(crew: Crew, name: str) -> None:
    w = crew.world
    assert (await _invite(crew)) == "inv0002"  # for the preview
    w.fakes.uow.created.clear()
    commits = w.db.commits
    await READS[name](crew)
    assert w.fakes.uow.read_only_flags, "no unit of work was used"
    assert all(w.fakes.uow.read_only_flags)
    assert w.db.commits == commits
