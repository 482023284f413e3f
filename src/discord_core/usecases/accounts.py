"""What an account's deletion and a data export are, shared by the user's own requests
(`DELETE /users/@me`, `GET /users/@me/export`, `GET /servers/{id}/export`) and the operator's
commands (`concord user delete`, `concord export server`): one anonymisation, one export
format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from ..errors import Conflict, NotFound
from ..events import MemberRemoved, ServerUnavailable, SessionsRevoked
from ..files import FileKind, FileRef
from ..model import (
    Channel,
    ChannelType,
    Member,
    MemberView,
    MessageView,
    Role,
    Server,
    Snowflake,
    User,
    UserStatus,
    deleted_username,
)
from ..ports import UnitOfWork
from .base import SERVER_NOT_FOUND, Deps
from .private_channels import depart

PAGE = 100


async def delete_account(deps: Deps, uow: UnitOfWork, user: User) -> list[FileRef]:
    """Delete `user`'s account (locked by the caller, in this unit of work): `anonymise`,
    then sign it out everywhere (a bot's token too). Returns the files to delete after the
    commit (the avatar's)."""
    now = deps.clock.now()
    refs = await anonymise(uow, user, now)
    revoked = await uow.sessions.revoke_all(user.id, now)
    bot = await uow.bots.get(user.id) if user.bot else None
    if bot is not None:  # a bot's token: its gateway sessions close too
        revoked.append(bot.token_id)
    if revoked:
        uow.record([SessionsRevoked(user.id, tuple(revoked))])
    return refs


async def anonymise(uow: UnitOfWork, user: User, now: datetime) -> list[FileRef]:
    """Delete an account the way that keeps its messages (the user row is locked by the
    caller): it leaves every server (locked in order, after the user), its username and email
    are freed, its avatar goes, it can never sign in again; its messages stay and show
    "Deleted user". Refused (409 `owner_cannot_leave`) while it owns a server. The caller
    signs it out. Returns the files to delete after the commit (the avatar's)."""
    # Lock order: the user (held), then their servers and group DMs ascending
    # (ports.UnitOfWork).
    memberships = await uow.servers.list_for_user(user.id)
    groups = [
        c.id for c in await uow.channels.private_for_user(user.id) if c.type is ChannelType.GROUP_DM
    ]
    server_ids = {server.id for server, _ in memberships}
    for lock_id in sorted(server_ids | set(groups)):
        if lock_id in server_ids:
            await uow.servers.lock(lock_id)
        else:
            await uow.channels.lock_private(lock_id)
    memberships = await uow.servers.list_for_user(user.id)  # as it is now
    owned = [server for server, member in memberships if member.role is Role.OWNER]
    if owned:
        names = ", ".join(f"{s.name} ({s.id})" for s in owned[:5])
        raise Conflict(
            f"{user.username} owns {len(owned)} server(s): {names}; transfer "
            "ownership or delete them first.",
            code="owner_cannot_leave",
        )
    for server, _member in memberships:
        await uow.members.remove(server.id, user.id)
        uow.record(
            [MemberRemoved(server.id, user.id, False), ServerUnavailable(user.id, server.id)]
        )
    # Group DMs are left (their people see them go); 1:1 DMs stay, showing "Deleted user".
    for channel in await uow.channels.private_for_user(user.id):
        if channel.type is ChannelType.GROUP_DM:
            await depart(uow, channel, user.id, now)
    refs: list[FileRef] = []
    if user.avatar is not None:
        refs = [FileRef(FileKind.AVATAR, user.id, user.avatar)]
        await uow.file_deletions.schedule(refs, now)
    user.username = deleted_username(user.id)
    user.email = f"{deleted_username(user.id)}@deleted.invalid"
    user.password_hash = "!deleted"  # no password verifies against it
    user.status = UserStatus.INVISIBLE
    user.avatar = None
    user.deleted_at = now
    user.disabled_at = user.disabled_at or now
    user.updated_at = now
    await uow.users.update(user)
    return refs


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One piece of a server's export, in order: the server, then each channel followed by
    its messages (oldest first), then the members."""

    server: Server | None = None
    channel_count: int = 0
    """With the server: how many channels follow."""
    channel: Channel | None = None
    message: MessageView | None = None
    member: MemberView | None = None


async def export_server(deps: Deps, server_id: Snowflake) -> AsyncIterator[ExportItem]:
    """The server, its channels with their messages (oldest first), and its members, a page
    at a time (constant memory, one short read transaction per page). Who may is the
    caller's matter."""
    async with deps.uow(read_only=True) as uow:
        server = await uow.servers.get(server_id)
        if server is None:
            raise NotFound(SERVER_NOT_FOUND, code="unknown_server")
        channels = await uow.channels.list_for_server(server_id)
    yield ExportItem(server=server, channel_count=len(channels))
    for channel in channels:
        yield ExportItem(channel=channel)
        after: Snowflake = 0
        while True:
            async with deps.uow(read_only=True) as uow:
                page = await uow.messages.list_after(channel.id, after, PAGE)
                await _with_attachments(uow, page)
            for view in page:
                yield ExportItem(message=view)
            if len(page) < PAGE:
                break
            after = page[-1].message.id
    after = 0
    while True:
        async with deps.uow(read_only=True) as uow:
            members = await uow.members.list_page(server_id, after_user_id=after, limit=PAGE)
        for member in members:
            yield ExportItem(member=member)
        if len(members) < PAGE:
            break
        after = members[-1].member.user_id


@dataclass(frozen=True, slots=True)
class UserExportItem:
    """One piece of a user's export, in order: the user with their servers, then each of
    their own messages (oldest first, every server)."""

    user: User | None = None
    servers: tuple[tuple[Server, Member], ...] = ()
    message: MessageView | None = None


async def export_user(deps: Deps, user_id: Snowflake) -> AsyncIterator[UserExportItem]:
    async with deps.uow(read_only=True) as uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("Unknown user.", code="unknown_user")
        servers = await uow.servers.list_for_user(user_id)
    yield UserExportItem(user=user, servers=tuple(servers))
    after: Snowflake = 0
    while True:
        async with deps.uow(read_only=True) as uow:
            page = await uow.messages.list_by_author(user_id, after, PAGE)
            await _with_attachments(uow, page)
        for view in page:
            yield UserExportItem(message=view)
        if len(page) < PAGE:
            break
        after = page[-1].message.id


async def _with_attachments(uow: UnitOfWork, views: list[MessageView]) -> None:
    wanted = [v.message.id for v in views if v.message.attachment_count]
    if not wanted:
        return
    found = await uow.attachments.for_messages(wanted)
    for view in views:
        view.attachments = found.get(view.message.id, [])
