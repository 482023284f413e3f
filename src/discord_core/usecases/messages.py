"""Messages: history pages, read, post (idempotent by nonce, with files), edit, delete,
typing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .. import limits
from ..errors import (
    Conflict,
    DuplicateKey,
    Forbidden,
    MissingParent,
    NotFound,
    ValidationFailed,
)
from ..events import MessageCreated, MessageDeleted, MessageUpdated, TypingStarted
from ..files import FileRef
from ..model import (
    Attachment,
    AuditAction,
    Message,
    MessageView,
    Snowflake,
    Upload,
)
from ..permissions import can_delete_message
from ..ports import UnitOfWork
from .access import ChannelAccess, channel_access, postable_channel, unknown_channel
from .auth import Identity
from .base import MESSAGE_NOT_FOUND, UseCases, changed
from .files import discard_files, store_files
from .read_states import keep_read_point, replied_author_of, resolve_mentions
from .uploads import PreparedFile, check_upload_limits, prepare_uploads


@dataclass(frozen=True, slots=True)
class Reply:
    """What a new message replies to (`message_reference` on the wire)."""

    message_id: Snowflake
    fail_if_not_exists: bool = True
    """False: a reference to a message that is not (or no longer) in the channel is dropped
    and the message is posted as a plain one."""
    mention_author: bool = True
    """Whether the reply mentions the replied-to author (`allowed_mentions.replied_user`).
    Mentions are stored once messages carry them; until then this is accepted and kept
    for that."""


@dataclass(frozen=True, slots=True)
class Posted:
    message: MessageView
    created: bool
    """False when the nonce matched an earlier send and that message was returned."""


def _unknown_message() -> NotFound:
    return NotFound(MESSAGE_NOT_FOUND, code="unknown_message")


async def _message_in(
    uow: UnitOfWork,
    channel_id: Snowflake,
    message_id: Snowflake,
    viewer: Snowflake | None = None,
) -> MessageView:
    view = await uow.messages.get(message_id)
    if view is None or view.message.channel_id != channel_id:
        raise _unknown_message()
    await with_details(uow, [view], viewer)
    return view


async def with_details(
    uow: UnitOfWork, views: Sequence[MessageView], viewer: Snowflake | None = None
) -> None:
    """Fill in what a message shows besides its row: attachments, the message each reply
    replies to, and (for a `viewer`) the reactions as they see them. One query per kind for
    a whole page, none for kinds the page has none of (reactions are always asked)."""
    await with_attachments(uow, views)
    await with_references(uow, views)
    if viewer is not None and views:
        found = await uow.reactions.for_messages([v.message.id for v in views], viewer)
        for view in views:
            view.reactions = found.get(view.message.id, [])


async def with_references(uow: UnitOfWork, views: Sequence[MessageView]) -> None:
    """Fill in `referenced` of the replies (None stays for a deleted original)."""
    wanted = list(dict.fromkeys(v.message.reference_id for v in views if v.message.reference_id))
    if not wanted:
        return
    found = {v.message.id: v for v in await uow.messages.views(wanted)}
    await with_attachments(uow, list(found.values()))
    for view in views:
        ref = view.message.reference_id
        if ref is not None:
            view.referenced = found.get(ref)


async def _replied_to(
    uow: UnitOfWork, channel_id: Snowflake, reply: Reply | None
) -> MessageView | None:
    """The message a new one replies to; None for no reply (or a dropped reference)."""
    if reply is None:
        return None
    view = await uow.messages.get(reply.message_id)
    if view is None or view.message.channel_id != channel_id:
        if not reply.fail_if_not_exists:
            return None
        raise ValidationFailed(
            "message_reference names no message of this channel.",
            code="unknown_message_reference",
            field="message_reference",
        )
    await with_attachments(uow, [view])
    return view


async def with_attachments(uow: UnitOfWork, views: Sequence[MessageView]) -> None:
    """Fill in the attachments of the views that have any (one query for a whole page, none
    for a page of text)."""
    wanted = [v.message.id for v in views if v.message.attachment_count]
    if not wanted:
        return
    found = await uow.attachments.for_messages(wanted)
    for view in views:
        view.attachments = found.get(view.message.id, [])


def _may_delete(access: ChannelAccess, user_id: Snowflake, author_id: Snowflake) -> bool:
    """Your own message anywhere; others' in a server channel from moderator up."""
    role = access.role
    if role is None:
        return user_id == author_id
    return can_delete_message(user_id, role, author_id)


async def _mentions(
    uow: UnitOfWork,
    access: ChannelAccess,
    user_id: Snowflake,
    content: str,
    replied: MessageView | None,
    reply: Reply | None,
) -> tuple[tuple[Snowflake, ...], bool]:
    """Who a new message mentions (`read_states.resolve_mentions`)."""
    replied_author = replied_author_of(replied, reply is not None and reply.mention_author)
    if replied_author == user_id:
        replied_author = None
    return await resolve_mentions(uow, access, content, replied_author)


def _any_image(attachments: Sequence[Attachment]) -> bool:
    """What search's has:image keeps (its migration tests the same: `LIKE 'image/%'`)."""
    return any(a.content_type.startswith("image/") for a in attachments)


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
            await channel_access(uow, channel_id, identity.user_id)
            page = await self._page(uow, channel_id, before, after, around, limit)
            await with_details(uow, page, identity.user_id)
        return page

    @staticmethod
    async def _page(
        uow: UnitOfWork,
        channel_id: Snowflake,
        before: Snowflake | None,
        after: Snowflake | None,
        around: Snowflake | None,
        limit: int,
    ) -> list[MessageView]:
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
            await channel_access(uow, channel_id, identity.user_id)
            return await _message_in(uow, channel_id, message_id, identity.user_id)

    async def post(
        self,
        identity: Identity,
        channel_id: Snowflake,
        content: str,
        nonce: str | None = None,
        *,
        uploads: Sequence[Upload] = (),
        admit: Callable[[], Awaitable[None]] | None = None,
        reply: Reply | None = None,
    ) -> Posted:
        """Post a message, with files if any (then the text may be empty). Resending a nonce
        returns the first message, never a second one (and its files are not looked at).

        `admit` (the entrypoint's send budget; it may raise RateLimited) is awaited only when a
        new message is about to be created: a replay of an earlier nonce costs nothing.
        """
        content = limits.message_content(content, allow_empty=bool(uploads))
        nonce = limits.nonce(nonce)
        if uploads:
            check_upload_limits(uploads, self.deps.file_limits)
        if reply is not None:
            limits.snowflake(reply.message_id, "message_reference")
        if nonce is not None:
            async with self.deps.uow(read_only=True) as uow:
                earlier = await uow.messages.get_by_nonce(identity.user_id, nonce)
                if earlier is not None:
                    await with_details(uow, [earlier], identity.user_id)
            if earlier is not None:
                return await self._replay(earlier, channel_id)
        if admit is not None:
            await admit()
        if uploads:
            return await self._post_with_files(identity, channel_id, content, nonce, uploads, reply)
        # Concurrent first sends of one nonce: the unique (author, nonce) constraint decides,
        # and the losers are answered from the winner's message.

        async def work(uow: UnitOfWork) -> MessageView:
            access = await postable_channel(
                uow, channel_id, identity.user_id, self.deps.clock.now()
            )
            author = access.author
            replied = await _replied_to(uow, channel_id, reply)
            mentioned, everyone = await _mentions(
                uow, access, identity.user_id, content, replied, reply
            )
            # The id (the message's time) is taken as late as possible, just before its
            # insert: ids then follow commits closely (clients backfill by id, with a margin).
            message = Message(
                id=self.deps.ids.next_id(),
                channel_id=channel_id,
                server_id=access.server_id,
                author_id=identity.user_id,
                content=content,
                created_at=self.deps.clock.now(),
                nonce=nonce,
                reference_id=replied.message.id if replied is not None else None,
                mentions=mentioned,
                mention_everyone=everyone,
            )
            await uow.messages.add(message)
            view = MessageView(
                message, author.username, author.avatar, author_bot=author.bot, referenced=replied
            )
            view.reactions = []
            uow.record([MessageCreated(access.server_id, view)])
            return view

        try:
            view = await self.deps.uow.run(work)
        except DuplicateKey:  # this nonce was used before (a retry, maybe a concurrent one)
            return await self._replay_by_nonce(identity, channel_id, nonce)
        except MissingParent:  # the channel was deleted since it was read
            raise unknown_channel() from None
        return Posted(view, created=True)

    async def check_can_post(self, identity: Identity, channel_id: Snowflake) -> None:
        """Raise what `post` would for a caller who cannot post here, before a client's files
        are received (an upload to a channel you cannot see stops at its headers)."""
        async with self.deps.uow(read_only=True) as uow:
            await postable_channel(uow, channel_id, identity.user_id, self.deps.clock.now())

    async def _post_with_files(
        self,
        identity: Identity,
        channel_id: Snowflake,
        content: str,
        nonce: str | None,
        uploads: Sequence[Upload],
        reply: Reply | None = None,
    ) -> Posted:
        """Check the caller's access and the files, store the files, then commit the message
        with its attachments. A failure anywhere leaves nothing behind (see `files`)."""
        await self.check_can_post(identity, channel_id)  # before any work on the files
        prepared = await prepare_uploads(self.deps, uploads)
        refs = [p.ref for p in prepared]
        await store_files(self.deps, refs, [blob for p in prepared for blob in p.blobs])
        # The id is taken now, after the upload: ids order commits (backfill reads after=).
        message_id = self.deps.ids.next_id()
        created_at = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> MessageView:
            return await self._insert_with_files(
                uow, identity, channel_id, content, nonce, prepared, message_id, created_at, reply
            )

        try:
            view = await self.deps.uow.run(work)
        except DuplicateKey:  # the nonce was used meanwhile: answer with that message
            await discard_files(self.deps, refs)
            return await self._replay_by_nonce(identity, channel_id, nonce)
        except MissingParent:  # the channel was deleted since it was read
            await discard_files(self.deps, refs)
            raise unknown_channel() from None
        except BaseException:
            await discard_files(self.deps, refs)
            raise
        return Posted(view, created=True)

    @staticmethod
    async def _insert_with_files(
        uow: UnitOfWork,
        identity: Identity,
        channel_id: Snowflake,
        content: str,
        nonce: str | None,
        prepared: list[PreparedFile],
        message_id: Snowflake,
        created_at: datetime,
        reply: Reply | None = None,
    ) -> MessageView:
        access = await postable_channel(uow, channel_id, identity.user_id, created_at)
        author = access.author
        replied = await _replied_to(uow, channel_id, reply)
        mentioned, everyone = await _mentions(
            uow, access, identity.user_id, content, replied, reply
        )
        attachments = [p.attachment for p in prepared]
        message = Message(
            id=message_id,
            channel_id=channel_id,
            server_id=access.server_id,
            author_id=identity.user_id,
            content=content,
            created_at=created_at,
            nonce=nonce,
            attachment_count=len(attachments),
            has_image=_any_image(attachments),
            reference_id=replied.message.id if replied is not None else None,
            mentions=mentioned,
            mention_everyone=everyone,
        )
        for attachment in attachments:
            attachment.message_id = message.id
            attachment.channel_id = channel_id
            attachment.server_id = access.server_id
        await uow.messages.add(message)
        await uow.attachments.add_many(attachments)
        await uow.file_deletions.cancel([p.ref for p in prepared])
        view = MessageView(
            message,
            author.username,
            author.avatar,
            attachments,
            author_bot=author.bot,
            referenced=replied,
            reactions=[],
        )
        uow.record([MessageCreated(access.server_id, view)])
        return view

    async def _replay_by_nonce(
        self, identity: Identity, channel_id: Snowflake, nonce: str | None
    ) -> Posted:
        async with self.deps.uow(read_only=True) as uow:
            earlier = await uow.messages.get_by_nonce(identity.user_id, nonce) if nonce else None
            if earlier is not None:
                await with_details(uow, [earlier], identity.user_id)
        if earlier is None:
            raise Conflict("The message could not be saved; try again.", code="conflict")
        return await self._replay(earlier, channel_id)

    async def _replay(self, earlier: MessageView, channel_id: Snowflake) -> Posted:
        """The answer to a resent nonce: the first message, whose MESSAGE_CREATE goes out
        again (the instance that stored it may have died before publishing it; sessions that
        had it drop the copy)."""
        if earlier.message.channel_id != channel_id:
            raise Conflict(
                "You already used this nonce for a message in another channel.",
                code="nonce_reused",
                field="nonce",
            )
        await self.deps.events.republish(earlier.message.id)
        return Posted(earlier, created=False)

    async def edit(
        self, identity: Identity, channel_id: Snowflake, message_id: Snowflake, content: str
    ) -> MessageView:
        """Change the text of your own message (it may become empty if it carries files)."""
        limits.message_content(content, allow_empty=True)  # the checks that need no lookup
        edited_at = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> MessageView:
            access = await channel_access(uow, channel_id, identity.user_id)
            view = await _message_in(uow, channel_id, message_id, identity.user_id)
            if view.message.author_id != identity.user_id:
                raise Forbidden("You can only edit your own messages.", code="not_author")
            text = limits.message_content(content, allow_empty=bool(view.attachments))
            # Mentions are parsed again; a reply keeps mentioning the replied-to author if
            # it did.
            kept = view.referenced.message.author_id if view.referenced is not None else None
            kept = kept if kept is not None and kept in view.message.mentions else None
            mentioned, everyone = await resolve_mentions(uow, access, text, kept)
            view.message.mentions, view.message.mention_everyone = mentioned, everyone
            view.message.content = text
            view.message.edited_at = edited_at
            view.message.has_image = _any_image(view.attachments)
            await uow.messages.update(view.message)
            uow.record([MessageUpdated(view.message.server_id, view)])
            return view

        return await self.deps.uow.run(work)

    async def delete(
        self,
        identity: Identity,
        channel_id: Snowflake,
        message_id: Snowflake,
        *,
        reason: str | None = None,
    ) -> None:
        """Your own message, or (moderator and above) anyone's: that one is audited."""
        reason = limits.audit_reason(reason)

        async def work(uow: UnitOfWork) -> list[FileRef]:
            access = await channel_access(uow, channel_id, identity.user_id)
            view = await _message_in(uow, channel_id, message_id)
            if not _may_delete(access, identity.user_id, view.message.author_id):
                raise Forbidden(
                    "You need the moderator role or higher to delete others' messages.",
                    code="missing_permission",
                )
            refs: list[FileRef] = []
            if view.message.attachment_count:
                refs = await uow.file_deletions.schedule_message(message_id, self.deps.clock.now())
            await uow.messages.delete(message_id)
            author_id = view.message.author_id
            await keep_read_point(uow, view.message)
            if author_id != identity.user_id and access.member is not None:
                await self._audit(
                    uow,
                    access.member.server_id,
                    AuditAction.MESSAGE_DELETE,
                    identity.user_id,
                    author_id,
                    [
                        changed("channel_id", channel_id, None),
                        changed("message_id", message_id, None),
                    ],
                    reason,
                )
            uow.record([MessageDeleted(view.message.server_id, channel_id, message_id)])
            return refs

        refs = await self.deps.uow.run(work)
        await discard_files(self.deps, refs)  # after the commit: never a row without its file

    async def typing(self, identity: Identity, channel_id: Snowflake) -> None:
        """Announce that the caller is typing; nothing is stored."""
        async with self.deps.uow(read_only=True) as uow:
            access = await postable_channel(
                uow, channel_id, identity.user_id, self.deps.clock.now()
            )
        event = TypingStarted(
            access.server_id,
            channel_id,
            identity.user_id,
            access.author.username,
            self.deps.clock.now(),
        )
        await self.deps.events.publish([event])
