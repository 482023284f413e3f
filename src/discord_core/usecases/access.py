"""Channel access: who may read and post in a channel, and where its events go.

One rule for every kind of channel: a server channel is read by the server's members (and
posted in by those not timed out); a private channel (DM, group DM) is read by its recipients
(and posted in, in a DM, unless one of the two blocked the other). Everyone else cannot tell
the channel exists: the same 404 as an unknown id. Every message, typing, history, reaction,
pin and search use case asks `channel_access` (or `postable_channel`) instead of assuming a
server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..errors import Forbidden, NotFound, TimedOut
from ..events import Topic, channel_topic
from ..model import Channel, ChannelType, Member, Role, Snowflake
from ..permissions import Action, require
from ..ports import UnitOfWork

CHANNEL_NOT_FOUND = "Unknown channel."


def unknown_channel() -> NotFound:
    return NotFound(CHANNEL_NOT_FOUND, code="unknown_channel")


@dataclass(frozen=True, slots=True)
class Author:
    """The caller as messages show them."""

    username: str
    avatar: str | None
    bot: bool


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    """A channel the caller may read, and what they are in it."""

    channel: Channel
    author: Author
    member: Member | None
    """The caller's membership of a server channel's server; None in a private channel."""

    @property
    def topic(self) -> Topic:
        return channel_topic(self.channel.server_id, self.channel.id)

    @property
    def server_id(self) -> Snowflake | None:
        return self.channel.server_id

    @property
    def role(self) -> Role | None:
        """The caller's role in a server channel; None in a private channel (no one moderates
        a DM: each deletes their own messages)."""
        return self.member.role if self.member is not None else None


async def channel_access(
    uow: UnitOfWork, channel_id: Snowflake, user_id: Snowflake
) -> ChannelAccess:
    """The channel, if the caller may read it; else the 404 of an unknown channel."""
    found = await uow.channels.get_with_member(channel_id, user_id)
    if found is None:
        raise unknown_channel()
    channel, member = found
    if not channel.private:
        if member is None:
            raise unknown_channel()
        author = Author(member.username, member.avatar, member.bot)
        return ChannelAccess(channel, author, member.member)
    channel = await uow.channels.with_recipients(channel)
    me = next((user for user in channel.recipients if user.id == user_id), None)
    if me is None:
        raise unknown_channel()
    return ChannelAccess(channel, Author(me.username, me.avatar, me.bot), None)


async def postable_channel(
    uow: UnitOfWork, channel_id: Snowflake, user_id: Snowflake, now: datetime
) -> ChannelAccess:
    """The channel, if the caller may also post, react and type in it: not while timed out in
    its server (403 `timed_out`), not in a DM with someone either of them blocked
    (403 `blocked`)."""
    access = await channel_access(uow, channel_id, user_id)
    if access.member is not None and access.member.timed_out(now):
        until = access.member.communication_disabled_until
        assert until is not None
        raise TimedOut(until)
    if access.channel.type is ChannelType.DM:
        other = next((uid for uid in access.channel.recipient_ids if uid != user_id), None)
        if other is not None and await uow.blocks.either_way(user_id, other):
            raise blocked()
    return access


def blocked() -> Forbidden:
    return Forbidden(
        "You cannot message this user: one of you has blocked the other.", code="blocked"
    )


async def locked_access(
    uow: UnitOfWork, channel_id: Snowflake, user_id: Snowflake, now: datetime | None = None
) -> ChannelAccess:
    """Lock what the channel's rules depend on (its server; a private channel's own row),
    then read the access as it is now. With `now`, the caller must be able to post."""
    first = await channel_access(uow, channel_id, user_id)
    if first.member is not None:
        locked = await uow.servers.lock(first.member.server_id) is not None
    else:
        locked = await uow.channels.lock_private(channel_id) is not None
    if not locked:
        raise unknown_channel()
    if now is not None:
        return await postable_channel(uow, channel_id, user_id, now)
    return await channel_access(uow, channel_id, user_id)


def require_moderator(access: ChannelAccess, action: Action) -> None:
    """A moderator's action on a channel: by role in a server channel; nobody's in a private
    channel (each person manages only what is their own there)."""
    if access.role is None:
        raise Forbidden(
            "Nobody moderates a direct message: you can only change what is yours.",
            code="missing_permission",
        )
    require(access.role, action)
