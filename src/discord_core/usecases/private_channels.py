"""Direct messages and group DMs: open, create, list, add and remove people, leave, rename.

Who may be reached: someone the caller shares a server with, or already has a DM with (a DM
outlives the servers that introduced them). Nobody else learns whether a user exists: the
same 404. Blocks are checked both ways (`blocks`). Messages, typing, reactions and pins in
private channels are the ordinary message use cases, through the access rule (`access`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .. import limits
from ..errors import DuplicateKey, Forbidden, LimitReached, NotFound, ValidationFailed
from ..events import (
    Event,
    PrivateChannelAvailable,
    PrivateChannelUnavailable,
    PrivateChannelUpdated,
    RecipientAdded,
    RecipientRemoved,
)
from ..model import Channel, ChannelType, Snowflake, User
from ..ports import UnitOfWork
from .access import blocked, channel_access, unknown_channel
from .auth import Identity
from .base import UseCases, unknown_user
from .files import purge_quietly


def dm_key(a: Snowflake, b: Snowflake) -> str:
    """Names the pair of a DM (the same whichever of them opens it)."""
    low, high = sorted((a, b))
    return f"{low}:{high}"


@dataclass(frozen=True, slots=True)
class Opened:
    channel: Channel
    created: bool
    """False when the DM already existed (the same channel comes back every time)."""


class PrivateChannelUseCases(UseCases):
    async def list(self, identity: Identity) -> list[Channel]:
        """The caller's DMs and group DMs, most recently active first."""
        async with self.deps.uow(read_only=True) as uow:
            return await uow.channels.private_for_user(identity.user_id)

    async def open_dm(
        self,
        identity: Identity,
        recipient_id: Snowflake,
        *,
        admit: Callable[[], Awaitable[None]] | None = None,
    ) -> Opened:
        """The DM with `recipient_id`, opened if needed. `admit` (the entrypoint's budget for
        new DMs; it may raise RateLimited) is awaited only when one is about to be created."""
        me = identity.user_id
        other = limits.snowflake(recipient_id, "recipient_id")
        if other == me:
            raise ValidationFailed(
                "You cannot open a DM with yourself.", code="self_dm", field="recipient_id"
            )
        key = dm_key(me, other)
        async with self.deps.uow(read_only=True) as uow:
            existing = await uow.channels.find_dm(key)
        if existing is not None:
            return Opened(existing, created=False)
        if admit is not None:
            await admit()
        channel_id = self.deps.ids.next_id()

        async def work(uow: UnitOfWork) -> Channel:
            # Both users locked (ascending): a block or a concurrent open waits for this.
            users = {u.id: u for u in await locked_users(uow, sorted((me, other)))}
            found = await uow.channels.find_dm(key)
            if found is not None:
                return found
            target = await _reachable(uow, me, users.get(other))
            channel = Channel(
                channel_id,
                None,
                "",
                "",
                0,
                self.deps.clock.now(),
                type=ChannelType.DM,
                recipients=[users[me], target],
            )
            await uow.channels.add_private(channel, key)
            uow.record([PrivateChannelAvailable(uid, channel) for uid in (me, other)])
            return channel

        try:
            channel = await self.deps.uow.run(work)
        except DuplicateKey:  # a concurrent open of the same DM won: that one is the DM
            async with self.deps.uow(read_only=True) as uow:
                winner = await uow.channels.find_dm(key)
            if winner is None:
                raise
            return Opened(winner, created=False)
        return Opened(channel, created=channel.id == channel_id)

    async def create_group(
        self,
        identity: Identity,
        recipient_ids: Sequence[Snowflake],
        name: str | None = None,
        *,
        admit: Callable[[], Awaitable[None]] | None = None,
    ) -> Channel:
        """A new group DM of the caller and 1 to 9 others, each someone they share a server
        with (and neither blocked the other)."""
        me = identity.user_id
        others = list(dict.fromkeys(limits.snowflake(i, "recipient_ids") for i in recipient_ids))
        others = [uid for uid in others if uid != me]
        _check_group_size(len(others) + 1, field="recipient_ids")
        if not others:
            raise ValidationFailed(
                "A group DM needs at least one other person.", field="recipient_ids"
            )
        title = limits.group_dm_name(name or "")
        if admit is not None:
            await admit()
        channel_id = self.deps.ids.next_id()

        async def work(uow: UnitOfWork) -> Channel:
            users = {u.id: u for u in await locked_users(uow, sorted([me, *others]))}
            people = [users[me]]
            for uid in others:
                people.append(await _reachable(uow, me, users.get(uid)))
            channel = Channel(
                channel_id,
                None,
                title,
                "",
                0,
                self.deps.clock.now(),
                type=ChannelType.GROUP_DM,
                owner_id=me,
                recipients=people,
            )
            await uow.channels.add_private(channel, None)
            uow.record([PrivateChannelAvailable(user.id, channel) for user in people])
            return channel

        return await self.deps.uow.run(work)

    async def add_recipient(
        self, identity: Identity, channel_id: Snowflake, user_id: Snowflake
    ) -> None:
        """The group's creator adds someone they share a server with (idempotent)."""
        user_id = limits.snowflake(user_id, "user_id")

        async def work(uow: UnitOfWork) -> None:
            channel = await _locked_group(uow, channel_id, identity.user_id)
            _require_owner(channel, identity.user_id)
            if user_id in channel.recipient_ids:
                return
            _check_group_size(len(channel.recipients) + 1, field="user_id")
            user = await _reachable(uow, identity.user_id, await uow.users.get(user_id))
            await uow.channels.add_recipient(channel_id, user_id, self.deps.clock.now())
            channel.recipients.append(user)
            uow.record(
                [RecipientAdded(channel_id, user), PrivateChannelAvailable(user_id, channel)]
            )

        await self.deps.uow.run(work)

    async def remove_recipient(
        self, identity: Identity, channel_id: Snowflake, user_id: Snowflake
    ) -> None:
        """The group's creator removes someone; anyone removing themselves leaves."""
        user_id = limits.snowflake(user_id, "user_id")
        if user_id == identity.user_id:
            await self.leave(identity, channel_id)
            return

        async def work(uow: UnitOfWork) -> None:
            channel = await _locked_group(uow, channel_id, identity.user_id)
            _require_owner(channel, identity.user_id)
            gone = next((u for u in channel.recipients if u.id == user_id), None)
            if gone is None:
                raise NotFound("They are not in this group.", code="unknown_recipient")
            await uow.channels.remove_recipient(channel_id, user_id)
            channel.recipients.remove(gone)
            uow.record(
                [RecipientRemoved(channel_id, gone), PrivateChannelUnavailable(user_id, channel)]
            )

        await self.deps.uow.run(work)

    async def leave(self, identity: Identity, channel_id: Snowflake) -> None:
        """Leave a group DM. The creator's role passes to the longest-standing member; the
        last one out deletes the group and its messages."""
        me = identity.user_id

        async def work(uow: UnitOfWork) -> bool:
            channel = await _locked_group(uow, channel_id, me)
            return await depart(uow, channel, me, self.deps.clock.now())

        if await self.deps.uow.run(work):
            await purge_quietly(self.deps)  # the group's files, after the commit

    async def rename(self, identity: Identity, channel_id: Snowflake, name: str) -> Channel:
        """Anyone in a group DM renames it ("" clears the name)."""
        title = limits.group_dm_name(name)

        async def work(uow: UnitOfWork) -> Channel:
            channel = await _locked_group(uow, channel_id, identity.user_id)
            if channel.name != title:
                channel.name = title
                await uow.channels.update(channel)
                uow.record([PrivateChannelUpdated(channel)])
            return channel

        return await self.deps.uow.run(work)


async def depart(uow: UnitOfWork, channel: Channel, user_id: Snowflake, now: datetime) -> bool:
    """`user_id` leaves the group DM (locked, with its recipients): the others hear
    CHANNEL_RECIPIENT_REMOVE, they CHANNEL_DELETE. The creator's role passes to the
    longest-standing member. True when they were the last: the group and its messages are
    deleted (files: schedule_channel; purge after the commit)."""
    gone = next(u for u in channel.recipients if u.id == user_id)
    channel.recipients.remove(gone)
    events: list[Event] = [PrivateChannelUnavailable(user_id, channel)]
    if not channel.recipients:
        await uow.file_deletions.schedule_channel(channel.id, now)
        await uow.channels.delete(channel.id)
        uow.record(events)
        return True
    await uow.channels.remove_recipient(channel.id, user_id)
    events.insert(0, RecipientRemoved(channel.id, gone))
    if channel.owner_id == user_id:
        channel.owner_id = channel.recipients[0].id
        await uow.channels.set_owner(channel.id, channel.owner_id)
        events.append(PrivateChannelUpdated(channel))
    uow.record(events)
    return False


async def locked_users(uow: UnitOfWork, user_ids: Sequence[Snowflake]) -> list[User]:
    """Lock these users' rows in ascending order (the lock order); the ones that exist."""
    found = []
    for uid in sorted(user_ids):
        user = await uow.users.lock(uid)
        if user is not None:
            found.append(user)
    return found


async def _reachable(uow: UnitOfWork, me: Snowflake, user: User | None) -> User:
    """A user the caller may bring into a private channel: an active account they share a
    server with, and neither blocked the other."""
    if user is None or not user.can_sign_in:
        raise unknown_user()
    if not await uow.members.share_a_server(me, user.id):
        raise unknown_user()
    if await uow.blocks.either_way(me, user.id):
        raise blocked()
    return user


async def _locked_group(uow: UnitOfWork, channel_id: Snowflake, user_id: Snowflake) -> Channel:
    """A group DM the caller is in, locked, with its recipients as they are now."""
    access = await channel_access(uow, channel_id, user_id)
    if access.channel.type is not ChannelType.GROUP_DM:
        raise ValidationFailed(
            "Only a group DM has people to add or remove, a name, or a way out.",
            code="not_group_dm",
        )
    if await uow.channels.lock_private(channel_id) is None:
        raise unknown_channel()
    return (await channel_access(uow, channel_id, user_id)).channel


def _require_owner(channel: Channel, user_id: Snowflake) -> None:
    if channel.owner_id != user_id:
        raise Forbidden("Only the group's creator adds and removes people.", code="not_group_owner")


def _check_group_size(size: int, *, field: str) -> None:
    if size > limits.GROUP_DM_MAX_RECIPIENTS:
        raise LimitReached(
            f"A group DM can have at most {limits.GROUP_DM_MAX_RECIPIENTS} people.",
            code="group_full",
            field=field,
        )
