"""Reactions (/channels/{c}/messages/{m}/reactions) and pins (/channels/{c}/pins)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from discord_core import limits

from ..schemas import MessageOut, ReactorOut, avatar_url, message_out
from .params import AppContainer, Caller, ChannelId, MessageId, UserId
from .ratelimit import RATE

Emoji = Annotated[
    str,
    Parameter(
        description="One Unicode emoji, percent-encoded in the path (%F0%9F%91%8D is 👍).",
        max_length=4 * limits.EMOJI_MAX,
    ),
]
_OWN = {RATE: "reaction_per_user"}


class ReactionController(Controller):
    path = "/channels/{channel_id:int}/messages/{message_id:int}/reactions"
    tags = ["reactions"]

    @put("/{emoji:str}/@me", status_code=HTTP_204_NO_CONTENT, opt=_OWN)
    async def add(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> None:
        """React with one emoji (doing it again changes nothing). At most 20 different emoji
        per message (400 `max_reactions`)."""
        await container.reactions.add(identity, channel_id, message_id, emoji)

    @delete("/{emoji:str}/@me", status_code=HTTP_204_NO_CONTENT, opt=_OWN)
    async def remove_own(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> None:
        """Remove your reaction (no error when there is none)."""
        await container.reactions.remove(identity, channel_id, message_id, emoji)

    @delete("/{emoji:str}/{user_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def remove_user(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
        user_id: UserId,
    ) -> None:
        """Remove someone's reaction: moderators and above (anyone for their own)."""
        await container.reactions.remove(identity, channel_id, message_id, emoji, user_id)

    @delete("/{emoji:str}", status_code=HTTP_204_NO_CONTENT)
    async def remove_emoji(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
    ) -> None:
        """Remove everyone's reactions with this emoji: moderators and above."""
        await container.reactions.clear(identity, channel_id, message_id, emoji)

    @delete("/", status_code=HTTP_204_NO_CONTENT)
    async def remove_all(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        """Remove every reaction of the message: moderators and above."""
        await container.reactions.clear(identity, channel_id, message_id)

    @get("/{emoji:str}")
    async def users(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        emoji: Emoji,
        after: Annotated[int | None, Parameter(gt=0, le=limits.SNOWFLAKE_MAX)] = None,
        limit: Annotated[int | None, Parameter(ge=1, le=limits.REACTORS_PAGE_MAX)] = None,
    ) -> list[ReactorOut]:
        """Who reacted with the emoji, by ascending user id (1-100, default 25; next page:
        `after` = the last id)."""
        found = await container.reactions.users(
            identity, channel_id, message_id, emoji, after=after, limit=limit
        )
        return [
            ReactorOut(
                id=str(r.user_id), username=r.username, avatar_url=avatar_url(r.user_id, r.avatar)
            )
            for r in found
        ]


class PinController(Controller):
    path = "/channels/{channel_id:int}/pins"
    tags = ["pins"]

    @get("/")
    async def list_pins(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> list[MessageOut]:
        """The channel's pinned messages, the latest pinned first (at most 50)."""
        views = await container.pins.list(identity, channel_id)
        link = container.files.linker.link
        return [message_out(view, link) for view in views]

    @put("/{message_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def pin(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        """Pin a message: moderators and above. The 51st pin is a 400 `max_pins`."""
        await container.pins.pin(identity, channel_id, message_id)

    @delete("/{message_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def unpin(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        await container.pins.unpin(identity, channel_id, message_id)
