"""Servers: create (with its `general` channel), read, change settings, delete, transfer."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .. import limits
from ..errors import LimitReached, NotFound, ValidationFailed
from ..events import MemberUpdated, ServerAvailable, ServerDeleted, ServerUpdated
from ..files import FileKind, FileRef
from ..model import AuditAction, Channel, Member, Role, Server, ServerSnapshot, Snowflake
from ..permissions import Action, require
from ..ports import UnitOfWork
from .accounts import ExportItem, export_server
from .auth import Identity
from .base import (
    MEMBER_NOT_FOUND,
    USER_NOT_FOUND,
    UseCases,
    changed,
    locked_server_as_member,
    server_as_member,
)
from .files import discard_files, purge_quietly, store_pictures
from .uploads import prepare_picture

DEFAULT_CHANNEL_NAME = "general"


async def snapshot(uow: UnitOfWork, server: Server, member: Member) -> ServerSnapshot:
    channels = await uow.channels.list_for_server(server.id)
    count = await uow.members.count(server.id)
    return ServerSnapshot(server, channels, member, count)


async def check_server_quota(uow: UnitOfWork, user_id: Snowflake) -> None:
    """Servers per user. Lock the user first (`uow.users.lock`): concurrent creates and joins
    of one user then count one after the other."""
    if await uow.members.count_for_user(user_id) >= limits.SERVERS_PER_USER_MAX:
        raise LimitReached(
            f"You can be in at most {limits.SERVERS_PER_USER_MAX} servers.",
            code="too_many_servers",
        )


class ServerUseCases(UseCases):
    async def create(self, identity: Identity, name: str, description: str = "") -> ServerSnapshot:
        """The creator becomes the owner; `general` is created in the same transaction."""
        name = limits.server_name(name)
        description = limits.server_description(description)
        now = self.deps.clock.now()
        server = Server(self.deps.ids.next_id(), name, description, identity.user_id, now)
        owner = Member(server.id, identity.user_id, Role.OWNER, now)
        general = Channel(self.deps.ids.next_id(), server.id, DEFAULT_CHANNEL_NAME, "", 0, now)

        async def work(uow: UnitOfWork) -> ServerSnapshot:
            if await uow.users.lock(identity.user_id) is None:
                raise NotFound(USER_NOT_FOUND, code="unknown_user")
            await check_server_quota(uow, identity.user_id)
            await uow.servers.add(server)
            await uow.members.add(owner)
            await uow.channels.add(general)
            snap = ServerSnapshot(server, [general], owner, 1)
            uow.record([ServerAvailable(identity.user_id, snap)])
            return snap

        return await self.deps.uow.run(work)

    async def get(self, identity: Identity, server_id: Snowflake) -> ServerSnapshot:
        async with self.deps.uow(read_only=True) as uow:
            server, member = await server_as_member(uow, server_id, identity.user_id)
            return await snapshot(uow, server, member)

    async def update(
        self,
        identity: Identity,
        server_id: Snowflake,
        *,
        name: str | None = None,
        description: str | None = None,
        icon: bytes | None = None,
        remove_icon: bool = False,
        reason: str | None = None,
    ) -> Server:
        """Change the settings. `icon` is an image (resized to `files.AVATAR_SIZES` squares,
        stored before the change commits); `remove_icon` goes back to none. The files of a
        replaced icon are deleted after the commit."""
        reason = limits.audit_reason(reason)
        name = limits.server_name(name) if name is not None else None
        description = limits.server_description(description) if description is not None else None
        new_icon = None
        current = None
        if icon is not None:
            async with self.deps.uow(read_only=True) as uow:  # before any work on the image
                server, member = await server_as_member(uow, server_id, identity.user_id)
                require(member.role, Action.MANAGE_SERVER)
            current = server.icon
            images = await prepare_picture(self.deps, icon, "icon")
            new_icon = await store_pictures(self.deps, FileKind.ICON, server_id, images)
        now = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> tuple[Server, list[FileRef]]:
            # Locked: the row is written back whole, owner included (a transfer racing this
            # would otherwise be undone).
            server, member = await locked_server_as_member(uow, server_id, identity.user_id)
            require(member.role, Action.MANAGE_SERVER)
            old_icon = server.icon
            before = (server.name, server.description, server.icon)
            if name is not None:
                server.name = name
            if description is not None:
                server.description = description
            if new_icon is not None:
                server.icon = new_icon.version
                await uow.file_deletions.cancel([new_icon])
            elif remove_icon:
                server.icon = None
            replaced: list[FileRef] = []
            if old_icon is not None and old_icon != server.icon:
                replaced = [FileRef(FileKind.ICON, server_id, old_icon)]
                await uow.file_deletions.schedule(replaced, now)
            await uow.servers.update(server)
            after = (server.name, server.description, server.icon)
            changes = [
                changed(key, old, new)
                for key, old, new in zip(
                    ("name", "description", "icon"), before, after, strict=True
                )
                if old != new
            ]
            if changes:
                await self._audit(
                    uow,
                    server_id,
                    AuditAction.SERVER_UPDATE,
                    identity.user_id,
                    server_id,
                    changes,
                    reason,
                )
            uow.record([ServerUpdated(server.id, server)])
            return server, replaced

        try:
            saved, replaced = await self.deps.uow.run(work)
        except BaseException:
            if new_icon is not None and new_icon.version != current:
                await discard_files(self.deps, [new_icon])
            raise
        await discard_files(self.deps, replaced)
        return saved

    async def delete(self, identity: Identity, server_id: Snowflake) -> None:
        async def work(uow: UnitOfWork) -> None:
            _, member = await locked_server_as_member(uow, server_id, identity.user_id)
            require(member.role, Action.DELETE_SERVER)
            await uow.file_deletions.schedule_server(server_id, self.deps.clock.now())
            await uow.servers.delete(server_id)
            uow.record([ServerDeleted(server_id)])

        await self.deps.uow.run(work)
        await purge_quietly(self.deps)  # its files, after the commit (what is left: the sweep)

    async def export(self, identity: Identity, server_id: Snowflake) -> AsyncIterator[ExportItem]:
        """The owner's copy: channels with their messages, members, in the operator's export
        format (`accounts.export_server`)."""
        async with self.deps.uow(read_only=True) as uow:
            _, member = await server_as_member(uow, server_id, identity.user_id)
            require(member.role, Action.EXPORT_SERVER)
        async for item in export_server(self.deps, server_id):
            yield item

    async def transfer_ownership(
        self,
        identity: Identity,
        server_id: Snowflake,
        new_owner_id: Snowflake,
        *,
        reason: str | None = None,
    ) -> Server:
        """The new owner must be a member; the old owner steps down to admin."""
        reason = limits.audit_reason(reason)

        async def work(uow: UnitOfWork) -> Server:
            server, member = await locked_server_as_member(uow, server_id, identity.user_id)
            require(member.role, Action.TRANSFER_OWNERSHIP)
            if new_owner_id == identity.user_id:
                raise ValidationFailed("You already own this server.", field="user_id")
            target = await uow.members.get_view(server_id, new_owner_id)
            if target is None:
                raise NotFound(MEMBER_NOT_FOUND, code="unknown_member")
            await uow.members.set_role(server_id, identity.user_id, Role.ADMIN)
            await uow.members.set_role(server_id, new_owner_id, Role.OWNER)
            server.owner_id = new_owner_id
            await uow.servers.update(server)
            await self._audit(
                uow,
                server_id,
                AuditAction.OWNER_TRANSFER,
                identity.user_id,
                new_owner_id,
                [changed("owner_id", identity.user_id, new_owner_id)],
                reason,
            )
            old = await uow.members.get_view(server_id, identity.user_id)
            target.member.role = Role.OWNER
            events = [ServerUpdated(server_id, server), MemberUpdated(server_id, target)]
            if old is not None:
                events.append(MemberUpdated(server_id, old))
            uow.record(events)
            return server

        return await self.deps.uow.run(work)
