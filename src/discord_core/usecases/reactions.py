"""Reactions (one Unicode emoji per reaction, at most 20 distinct per message) and pins (at most
50 per channel)."""

from __future__ import annotations

from datetime import datetime

from .. import limits
from ..errors import MissingParent, ValidationFailed
from ..events import (
    ChannelPinsUpdated,
    MessageUpdated,
    ReactionAdded,
    ReactionEmojiCleared,
    ReactionRemoved,
    ReactionsCleared,
)
from ..model import AuditAction, Message, MessageView, Reactor, Snowflake
from ..permissions import Action, require
from ..ports import UnitOfWork
from .access import channel_access, locked_access, postable_channel, require_moderator
from .auth import Identity
from .base import UseCases
from .messages import _message_in, _unknown_message, with_details


async def _locked_message_in(
    uow: UnitOfWork, channel_id: Snowflake, message_id: Snowflake
) -> Message:
    message = await uow.messages.lock(message_id)
    if message is None or message.channel_id != channel_id:
        raise _unknown_message()
    return message


class ReactionUseCases(UseCases):
    def _emoji(self, text: str) -> str:
        found = self.deps.emoji.canonical(limits.emoji_text(text))
        if found is None:
            raise ValidationFailed(
                "emoji must be one Unicode emoji.", code="unknown_emoji", field="emoji"
            )
        return found

    async def add(
        self, identity: Identity, channel_id: Snowflake, message_id: Snowflake, emoji: str
    ) -> None:
        """React (idempotent: reacting again changes nothing and sends no event)."""
        emoji = self._emoji(emoji)
        now = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> None:
            # A timed-out member reads but does not react; nor does a blocked DM partner.
            access = await postable_channel(uow, channel_id, identity.user_id, now)
            # The message's row lock serialises its reactions: the distinct-emoji count read
            # here is still true at the insert.
            await _locked_message_in(uow, channel_id, message_id)
            present = await uow.reactions.emoji_of(message_id)
            if emoji not in present and len(present) >= limits.REACTIONS_PER_MESSAGE_MAX:
                raise ValidationFailed(
                    f"A message can have at most {limits.REACTIONS_PER_MESSAGE_MAX} "
                    "different emoji.",
                    code="max_reactions",
                    field="emoji",
                )
            try:
                added = await uow.reactions.add(message_id, identity.user_id, emoji, now)
            except MissingParent:  # deleted since it was locked (cannot happen) or read
                raise _unknown_message() from None
            if added:
                uow.record(
                    [
                        ReactionAdded(
                            access.server_id, channel_id, message_id, identity.user_id, emoji
                        )
                    ]
                )

        await self.deps.uow.run(work)

    async def remove(
        self,
        identity: Identity,
        channel_id: Snowflake,
        message_id: Snowflake,
        emoji: str,
        user_id: Snowflake | None = None,
    ) -> None:
        """Remove the caller's reaction (`user_id` None or theirs), or, as a moderator or
        above, someone else's. Removing one that is not there is no error."""
        emoji = self._emoji(emoji)
        target = identity.user_id if user_id is None else limits.snowflake(user_id, "user_id")

        async def work(uow: UnitOfWork) -> None:
            access = await channel_access(uow, channel_id, identity.user_id)
            if target != identity.user_id:
                require_moderator(access, Action.MANAGE_REACTIONS)
            await _message_in(uow, channel_id, message_id)
            if await uow.reactions.remove(message_id, target, emoji):
                uow.record(
                    [ReactionRemoved(access.server_id, channel_id, message_id, target, emoji)]
                )

        await self.deps.uow.run(work)

    async def clear(
        self,
        identity: Identity,
        channel_id: Snowflake,
        message_id: Snowflake,
        emoji: str | None = None,
    ) -> None:
        """Remove every reaction of the message (or those with one emoji): moderators and
        above."""
        wanted = self._emoji(emoji) if emoji is not None else None

        async def work(uow: UnitOfWork) -> None:
            access = await channel_access(uow, channel_id, identity.user_id)
            require_moderator(access, Action.MANAGE_REACTIONS)
            await _message_in(uow, channel_id, message_id)
            if wanted is None:
                if await uow.reactions.remove_all(message_id):
                    uow.record([ReactionsCleared(access.server_id, channel_id, message_id)])
            elif await uow.reactions.remove_emoji(message_id, wanted):
                uow.record([ReactionEmojiCleared(access.server_id, channel_id, message_id, wanted)])

        await self.deps.uow.run(work)

    async def users(
        self,
        identity: Identity,
        channel_id: Snowflake,
        message_id: Snowflake,
        emoji: str,
        *,
        after: Snowflake | None = None,
        limit: int | None = None,
    ) -> list[Reactor]:
        """Who reacted with the emoji, by ascending user id (page with `after`)."""
        emoji = self._emoji(emoji)
        limit = limits.page_limit(
            limit, default=limits.REACTORS_PAGE_DEFAULT, maximum=limits.REACTORS_PAGE_MAX
        )
        start = limits.snowflake(after, "after") if after is not None else 0
        async with self.deps.uow(read_only=True) as uow:
            await channel_access(uow, channel_id, identity.user_id)
            view = await uow.messages.get(message_id)
            if view is None or view.message.channel_id != channel_id:
                raise _unknown_message()
            return await uow.reactions.users(message_id, emoji, after=start, limit=limit)


class PinUseCases(UseCases):
    async def pin(self, identity: Identity, channel_id: Snowflake, message_id: Snowflake) -> None:
        """Pin a message (moderators and above); pinning a pinned one changes nothing."""
        await self._set(identity, channel_id, message_id, pin=True)

    async def unpin(self, identity: Identity, channel_id: Snowflake, message_id: Snowflake) -> None:
        await self._set(identity, channel_id, message_id, pin=False)

    async def _set(
        self, identity: Identity, channel_id: Snowflake, message_id: Snowflake, *, pin: bool
    ) -> None:
        now = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> None:
            # The server's lock (a private channel's own) serialises the pins of its
            # channels: the count read here is still true at the write. In a DM or group DM
            # anyone in it pins.
            access = await locked_access(uow, channel_id, identity.user_id)
            if access.role is not None:
                require(access.role, Action.MANAGE_PINS)
            view = await _message_in(uow, channel_id, message_id)
            if (view.message.pinned_at is not None) == pin:
                return
            last: datetime | None
            if pin:
                if await uow.messages.count_pinned(channel_id) >= limits.PINS_PER_CHANNEL_MAX:
                    raise ValidationFailed(
                        f"A channel can have at most {limits.PINS_PER_CHANNEL_MAX} pinned "
                        "messages; unpin one first.",
                        code="max_pins",
                    )
                await uow.messages.set_pinned(message_id, now)
                view.message.pinned_at = last = now
            else:
                await uow.messages.set_pinned(message_id, None)
                view.message.pinned_at = None
                latest = await uow.messages.list_pinned(channel_id, 1)
                last = latest[0].message.pinned_at if latest else None
            action = AuditAction.MESSAGE_PIN if pin else AuditAction.MESSAGE_UNPIN
            if access.member is not None:
                server_id = access.member.server_id
                await self._audit(uow, server_id, action, identity.user_id, message_id)
            uow.record(
                [
                    MessageUpdated(access.server_id, view),
                    ChannelPinsUpdated(access.server_id, channel_id, last),
                ]
            )

        await self.deps.uow.run(work)

    async def list(self, identity: Identity, channel_id: Snowflake) -> list[MessageView]:
        """The channel's pinned messages, the latest pinned first (at most 50)."""
        async with self.deps.uow(read_only=True) as uow:
            await channel_access(uow, channel_id, identity.user_id)
            views = await uow.messages.list_pinned(channel_id, limits.PINS_PER_CHANNEL_MAX)
            await with_details(uow, views, identity.user_id)
        return views
