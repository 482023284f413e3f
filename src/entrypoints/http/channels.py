"""/channels/{channel_id}: the channel, its messages and typing."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from discord_core import limits

from ..schemas import (
    ChannelOut,
    EditMessageIn,
    MessageOut,
    PostMessageIn,
    UpdateChannelIn,
    channel_out,
    message_out,
)
from .params import AppContainer, Caller, ChannelId, MessageId
from .ratelimit import RATE, RATE_DEFERRED, RATE_KEY, spend_route_budget

Cursor = Annotated[int | None, Parameter(gt=0, le=limits.SNOWFLAKE_MAX)]
PageLimit = Annotated[int | None, Parameter(ge=1, le=limits.PAGE_LIMIT_MAX)]


class ChannelController(Controller):
    path = "/channels"
    tags = ["channels"]

    @get("/{channel_id:int}")
    async def get_channel(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> ChannelOut:
        return channel_out(await container.channels.get(identity, channel_id))

    @patch("/{channel_id:int}")
    async def update(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        data: JSONBody[UpdateChannelIn],
    ) -> ChannelOut:
        """Rename, change the topic, or move (the others are renumbered 0..n-1)."""
        channel = await container.channels.update(
            identity, channel_id, name=data.name, topic=data.topic, position=data.position
        )
        return channel_out(channel)

    @delete("/{channel_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_channel(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> None:
        await container.channels.delete(identity, channel_id)

    @post(
        "/{channel_id:int}/typing",
        status_code=HTTP_204_NO_CONTENT,
        opt={RATE: "typing_per_channel", RATE_KEY: "channel_id"},
    )
    async def typing(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId
    ) -> None:
        """Tell the channel's members you are typing (they show it for about 10 s)."""
        await container.messages.typing(identity, channel_id)


class MessageController(Controller):
    path = "/channels/{channel_id:int}/messages"
    tags = ["messages"]

    @get("/")
    async def history(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        before: Cursor = None,
        after: Cursor = None,
        around: Cursor = None,
        limit: PageLimit = None,
    ) -> list[MessageOut]:
        """A page of messages, newest first (at most one of before / after / around)."""
        page = await container.messages.history(
            identity, channel_id, before=before, after=after, around=around, limit=limit
        )
        return [message_out(view) for view in page]

    @post("/", opt={RATE: "message_per_channel", RATE_KEY: "channel_id", RATE_DEFERRED: True})
    async def post_message(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        data: JSONBody[PostMessageIn],
    ) -> Response[MessageOut]:
        """Post. Resending the same nonce returns the first message (200) instead of a copy,
        without spending the channel's send budget."""
        posted = await container.messages.post(
            identity,
            channel_id,
            data.content,
            data.nonce,
            admit=partial(spend_route_budget, request, container, identity),
        )
        status = HTTP_201_CREATED if posted.created else 200
        return Response(message_out(posted.message), status_code=status)

    @get("/{message_id:int}")
    async def get_message(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> MessageOut:
        return message_out(await container.messages.get(identity, channel_id, message_id))

    @patch("/{message_id:int}")
    async def edit(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
        data: JSONBody[EditMessageIn],
    ) -> MessageOut:
        """Edit your own message; it is marked with edited_at."""
        view = await container.messages.edit(identity, channel_id, message_id, data.content)
        return message_out(view)

    @delete("/{message_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_message(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        """Delete your own message, or anyone's as a moderator or above."""
        await container.messages.delete(identity, channel_id, message_id)
