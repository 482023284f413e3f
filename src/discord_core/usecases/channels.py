"""Channels: list, read, create, rename, change topic, reorder, delete."""

from __future__ import annotations

from .. import limits
from ..errors import LimitReached, ValidationFailed
from ..events import ChannelCreated, ChannelDeleted, ChannelUpdated, Event
from ..model import AuditAction, Channel, Snowflake
from ..permissions import Action, require
from ..ports import UnitOfWork
from .access import channel_access
from .auth import Identity
from .base import (
    UseCases,
    changed,
    locked_channel_as_member,
    locked_server_as_member,
    membership,
)
from .files import purge_quietly
from .private_channels import PrivateChannelUseCases


def _place(channels: list[Channel], moved: Channel, index: int) -> list[Channel]:
    """Put `moved` at `index` and number every channel 0..n-1; return those that changed
    (`moved` always: its other fields may have changed too)."""
    others = [c for c in channels if c.id != moved.id]
    index = min(index, len(others))
    ordered = [*others[:index], moved, *others[index:]]
    changed = []
    for position, channel in enumerate(ordered):
        if channel.position != position or channel is moved:
            channel.position = position
            changed.append(channel)
    return changed


def _renumber(ordered: list[Channel]) -> list[Channel]:
    """Number the channels 0..n-1 in this order; return those whose position changed."""
    changed = []
    for position, channel in enumerate(ordered):
        if channel.position != position:
            channel.position = position
            changed.append(channel)
    return changed


class ChannelUseCases(UseCases):
    async def list_channels(self, identity: Identity, server_id: Snowflake) -> list[Channel]:
        async with self.deps.uow(read_only=True) as uow:
            await membership(uow, server_id, identity.user_id)
            return await uow.channels.list_for_server(server_id)

    async def get(self, identity: Identity, channel_id: Snowflake) -> Channel:
        """Any channel the caller can read: a server's, or a DM or group DM they are in."""
        async with self.deps.uow(read_only=True) as uow:
            return (await channel_access(uow, channel_id, identity.user_id)).channel

    async def _private(self, identity: Identity, channel_id: Snowflake) -> bool:
        """Whether the channel is a private one the caller is in (a channel's kind never
        changes, so this read needs no lock)."""
        async with self.deps.uow(read_only=True) as uow:
            found = await uow.channels.get(channel_id)
            if found is None or not found.private:
                return False
            await channel_access(uow, channel_id, identity.user_id)  # else the 404
        return True

    async def create(
        self,
        identity: Identity,
        server_id: Snowflake,
        name: str,
        *,
        topic: str = "",
        position: int | None = None,
        reason: str | None = None,
    ) -> Channel:
        """Appended at the end unless a position is given."""
        reason = limits.audit_reason(reason)
        name = limits.channel_name(name)
        topic = limits.channel_topic(topic)
        position = limits.position(position) if position is not None else None
        channel_id = self.deps.ids.next_id()
        created_at = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> Channel:
            # Locked: the quota and the positions are read, then written.
            _, member = await locked_server_as_member(uow, server_id, identity.user_id)
            require(member.role, Action.MANAGE_CHANNELS)
            existing = await uow.channels.list_for_server(server_id)
            if len(existing) >= limits.CHANNELS_PER_SERVER_MAX:
                raise LimitReached(
                    f"A server can have at most {limits.CHANNELS_PER_SERVER_MAX} channels.",
                    code="too_many_channels",
                )
            channel = Channel(channel_id, server_id, name, topic, len(existing), created_at)
            await uow.channels.add(channel)
            events: list[Event] = [ChannelCreated(server_id, channel)]
            if position is not None and position < len(existing):
                moved = _place(existing, channel, position)
                events += await self._save_moves(uow, moved, skip=channel)
            await self._audit(
                uow,
                server_id,
                AuditAction.CHANNEL_CREATE,
                identity.user_id,
                channel.id,
                [changed("name", None, channel.name), changed("topic", None, channel.topic)],
                reason,
            )
            uow.record(events)
            return channel

        return await self.deps.uow.run(work)

    async def update(
        self,
        identity: Identity,
        channel_id: Snowflake,
        *,
        name: str | None = None,
        topic: str | None = None,
        position: int | None = None,
        reason: str | None = None,
    ) -> Channel:
        """A server channel's settings; a group DM's name (its only setting)."""
        if await self._private(identity, channel_id):
            if name is None or topic is not None or position is not None:
                raise ValidationFailed(
                    "A group DM has only a name to change.", code="not_server_channel"
                )
            return await PrivateChannelUseCases(self.deps).rename(identity, channel_id, name)
        reason = limits.audit_reason(reason)
        name = limits.channel_name(name) if name is not None else None
        topic = limits.channel_topic(topic) if topic is not None else None
        position = limits.position(position) if position is not None else None

        async def work(uow: UnitOfWork) -> Channel:
            # Locked: the row is written back whole (a concurrent move would be undone) and a
            # move renumbers its siblings.
            channel, member = await locked_channel_as_member(uow, channel_id, identity.user_id)
            require(member.member.role, Action.MANAGE_CHANNELS)
            server_id = member.member.server_id
            before = (channel.name, channel.topic, channel.position)
            if name is not None:
                channel.name = name
            if topic is not None:
                channel.topic = topic
            events: list[Event]
            if position is not None:
                siblings = await uow.channels.list_for_server(server_id)
                moved = _place(siblings, channel, position)
                events = await self._save_moves(uow, moved)
            else:
                await uow.channels.update(channel)
                events = [ChannelUpdated(server_id, channel)]
            after = (channel.name, channel.topic, channel.position)
            changes = [
                changed(key, old, new)
                for key, old, new in zip(("name", "topic", "position"), before, after, strict=True)
                if old != new
            ]
            if changes:
                await self._audit(
                    uow,
                    server_id,
                    AuditAction.CHANNEL_UPDATE,
                    identity.user_id,
                    channel.id,
                    changes,
                    reason,
                )
            uow.record(events)
            return channel

        return await self.deps.uow.run(work)

    async def delete(
        self, identity: Identity, channel_id: Snowflake, *, reason: str | None = None
    ) -> None:
        """The channels after it move up one: positions stay 0..n-1. On a group DM: leave it
        (a DM cannot be deleted: it stays, like Discord's, to be opened again)."""
        if await self._private(identity, channel_id):
            await PrivateChannelUseCases(self.deps).leave(identity, channel_id)
            return
        reason = limits.audit_reason(reason)

        async def work(uow: UnitOfWork) -> None:
            channel, member = await locked_channel_as_member(uow, channel_id, identity.user_id)
            require(member.member.role, Action.MANAGE_CHANNELS)
            server_id = member.member.server_id
            await uow.file_deletions.schedule_channel(channel_id, self.deps.clock.now())
            await uow.channels.delete(channel_id)
            await self._audit(
                uow,
                server_id,
                AuditAction.CHANNEL_DELETE,
                identity.user_id,
                channel_id,
                [changed("name", channel.name, None)],
                reason,
            )
            events: list[Event] = [ChannelDeleted(server_id, channel)]
            rest = await uow.channels.list_for_server(server_id)
            events += await self._save_moves(uow, _renumber(rest))
            uow.record(events)

        await self.deps.uow.run(work)
        await purge_quietly(self.deps)  # the channel's files, after the commit

    @staticmethod
    async def _save_moves(
        uow: UnitOfWork, moved: list[Channel], skip: Channel | None = None
    ) -> list[Event]:
        events: list[Event] = []
        for channel in moved:
            await uow.channels.update(channel)
            if channel is not skip and channel.server_id is not None:
                events.append(ChannelUpdated(channel.server_id, channel))
        return events
