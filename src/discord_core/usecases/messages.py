"""Messages: history pages, read, post (idempotent by nonce), edit, delete, typing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .. import limits
from ..errors import Conflict, DuplicateKey, Forbidden, MissingParent, NotFound, ValidationFailed
from ..events import MessageCreated, MessageDeleted, MessageUpdated, TypingStarted
from ..model import Message, MessageView, Snowflake
from ..permissions import can_delete_message
from ..ports import UnitOfWork
from .auth import Identity
from .base import CHANNEL_NOT_FOUND, MESSAGE_NOT_FOUND, UseCases, channel_as_member


@dataclass(frozen=True, slots=True)
class Posted:
    message: MessageView
    created: bool
    """False when the nonce matched an earlier send and that message was returned."""


def _unknown_message() -> NotFound:
    return NotFound(MESSAGE_NOT_FOUND, code="unknown_message")


async def _message_in(uow: UnitOfWork, channel_id: Snowflake, message_id: Snowflake) -> MessageView:
    view = await uow.messages.get(message_id)
    if view is None or view.message.channel_id != channel_id:
        raise _unknown_message()
    return view


class MessageUseCases(UseCases):
    async def history(
        self,
        identity: Identity,
        channel_id: Snowflake,
        *,
        before: Snowflake | None = None,
        after: Snowflake | None = None,
        around: Snowflake | None = None,
        limit: int | None = None,
    ) -> list[MessageView]:
        """A page, newest first, by keyset on the id. At most one of before/after/around."""
        if sum(x is not None for x in (before, after, around)) > 1:
            raise ValidationFailed("Use at most one of before, after and around.", field="before")
        limit = limits.page_limit(
            limit, default=limits.PAGE_LIMIT_DEFAULT, maximum=limits.PAGE_LIMIT_MAX
        )
        async with self.deps.uow(read_only=True) as uow:
            await channel_as_member(uow, channel_id, identity.user_id)
            repo = uow.messages
            if after is not None:
                return list(reversed(await repo.list_after(channel_id, after, limit)))
            if around is not None:
                newer = await repo.list_after(channel_id, around, limit // 2)
                # `around` itself is included; past the largest id, every id is "older".
                below = around + 1 if around < limits.SNOWFLAKE_MAX else None
                older = await repo.list_before(channel_id, below, limit - len(newer))
                return [*reversed(newer), *older]
            return await repo.list_before(channel_id, before, limit)

    async def get(
        self, identity: Identity, channel_id: Snowflake, message_id: Snowflake
    ) -> MessageView:
        async with self.deps.uow(read_only=True) as uow:
            await channel_as_member(uow, channel_id, identity.user_id)
            return await _message_in(uow, channel_id, message_id)

    async def post(
        self,
        identity: Identity,
        channel_id: Snowflake,
        content: str,
        nonce: str | None = None,
        *,
        admit: Callable[[], Awaitable[None]] | None = None,
    ) -> Posted:
        """Post a message. Resending a nonce returns the first message, never a second one.

        `admit` (the entrypoint's send budget; it may raise RateLimited) is awaited only when a
        new message is about to be created: a replay of an earlier nonce costs nothing.
        """
        content = limits.message_content(content)
        nonce = limits.nonce(nonce)
        if nonce is not None:
            async with self.deps.uow(read_only=True) as uow:
                earlier = await uow.messages.get_by_nonce(identity.user_id, nonce)
            if earlier is not None:
                return self._replay(earlier, channel_id)
        if admit is not None:
            await admit()
        # Concurrent first sends of one nonce: the unique (author, nonce) constraint decides,
        # and the losers are answered from the winner's message.
        message_id = self.deps.ids.next_id()
        created_at = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> MessageView:
            channel, author = await channel_as_member(uow, channel_id, identity.user_id)
            message = Message(
                id=message_id,
                channel_id=channel_id,
                server_id=channel.server_id,
                author_id=identity.user_id,
                content=content,
                created_at=created_at,
                nonce=nonce,
            )
            try:
                await uow.messages.add(message)
            except MissingParent:  # the channel was deleted since it was read
                raise NotFound(CHANNEL_NOT_FOUND, code="unknown_channel") from None
            view = MessageView(message, author.username)
            uow.record([MessageCreated(channel.server_id, view)])
            return view

        try:
            view = await self.deps.uow.run(work)
        except DuplicateKey:  # this nonce was used before (a retry, maybe a concurrent one)
            return await self._replay_by_nonce(identity, channel_id, nonce)
        return Posted(view, created=True)

    async def _replay_by_nonce(
        self, identity: Identity, channel_id: Snowflake, nonce: str | None
    ) -> Posted:
        async with self.deps.uow(read_only=True) as uow:
            earlier = await uow.messages.get_by_nonce(identity.user_id, nonce) if nonce else None
        if earlier is None:
            raise Conflict("The message could not be saved; try again.", code="conflict")
        return self._replay(earlier, channel_id)

    @staticmethod
    def _replay(earlier: MessageView, channel_id: Snowflake) -> Posted:
        if earlier.message.channel_id != channel_id:
            raise Conflict(
                "You already used this nonce for a message in another channel.",
                code="nonce_reused",
                field="nonce",
            )
        return Posted(earlier, created=False)

    async def edit(
        self, identity: Identity, channel_id: Snowflake, message_id: Snowflake, content: str
    ) -> MessageView:
        content = limits.message_content(content)
        edited_at = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> MessageView:
            await channel_as_member(uow, channel_id, identity.user_id)
            view = await _message_in(uow, channel_id, message_id)
            if view.message.author_id != identity.user_id:
                raise Forbidden("You can only edit your own messages.", code="not_author")
            view.message.content = content
            view.message.edited_at = edited_at
            await uow.messages.update(view.message)
            uow.record([MessageUpdated(view.message.server_id, view)])
            return view

        return await self.deps.uow.run(work)

    async def delete(
        self, identity: Identity, channel_id: Snowflake, message_id: Snowflake
    ) -> None:
        async def work(uow: UnitOfWork) -> None:
            _, member = await channel_as_member(uow, channel_id, identity.user_id)
            view = await _message_in(uow, channel_id, message_id)
            if not can_delete_message(identity.user_id, member.member.role, view.message.author_id):
                raise Forbidden(
                    "You need the moderator role or higher to delete others' messages.",
                    code="missing_permission",
                )
            await uow.messages.delete(message_id)
            uow.record([MessageDeleted(view.message.server_id, channel_id, message_id)])

        await self.deps.uow.run(work)

    async def typing(self, identity: Identity, channel_id: Snowflake) -> None:
        """Announce that the caller is typing; nothing is stored."""
        async with self.deps.uow(read_only=True) as uow:
            channel, member = await channel_as_member(uow, channel_id, identity.user_id)
        event = TypingStarted(
            channel.server_id,
            channel_id,
            identity.user_id,
            member.username,
            self.deps.clock.now(),
        )
        await self.deps.events.publish([event])
