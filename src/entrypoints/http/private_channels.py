"""/users/@me/channels (DMs and group DMs), /channels/{id}/recipients, /users/@me/blocks."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from discord_core.errors import ValidationFailed

from ..schemas import ChannelOut, OpenChannelIn, UserOut, channel_out, user_out
from .params import AppContainer, Caller, ChannelId, UserId
from .ratelimit import enforce


class PrivateChannelController(Controller):
    path = "/users/@me/channels"
    tags = ["direct messages"]

    @get("/")
    async def list_private(self, container: AppContainer, identity: Caller) -> list[ChannelOut]:
        """Your DMs and group DMs, most recently active first."""
        return [channel_out(c) for c in await container.private_channels.list(identity)]

    @post("/")
    async def open_channel(
        self,
        request: Request[Any, Any, Any],
        container: AppContainer,
        identity: Caller,
        data: JSONBody[OpenChannelIn],
    ) -> Response[ChannelOut]:
        """A DM (201 new, 200 the one you already have) or a new group DM (201). Opening new
        ones is rate-limited (CHAT_RATE_DM_OPEN_PER_USER)."""
        admit = partial(
            enforce, container, f"dm_open:{identity.user_id}", "dm_open_per_user", request
        )
        if (data.recipient_id is None) == (data.recipient_ids is None):
            raise ValidationFailed(
                "Give recipient_id (a DM) or recipient_ids (a group DM).", field="recipient_id"
            )
        if data.recipient_id is not None:
            if data.name is not None:
                raise ValidationFailed("A DM has no name; only a group DM does.", field="name")
            opened = await container.private_channels.open_dm(
                identity, int(data.recipient_id), admit=admit
            )
            status = HTTP_201_CREATED if opened.created else 200
            return Response(channel_out(opened.channel), status_code=status)
        assert data.recipient_ids is not None
        channel = await container.private_channels.create_group(
            identity, [int(i) for i in data.recipient_ids], data.name, admit=admit
        )
        return Response(channel_out(channel), status_code=HTTP_201_CREATED)


class RecipientController(Controller):
    path = "/channels/{channel_id:int}/recipients"
    tags = ["direct messages"]

    @put("/{user_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def add_recipient(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId, user_id: UserId
    ) -> None:
        """The group's creator adds someone they share a server with (at most 10 people)."""
        await container.private_channels.add_recipient(identity, channel_id, user_id)

    @delete("/{user_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def remove_recipient(
        self, container: AppContainer, identity: Caller, channel_id: ChannelId, user_id: UserId
    ) -> None:
        """The group's creator removes someone; your own id leaves the group."""
        await container.private_channels.remove_recipient(identity, channel_id, user_id)


class BlockController(Controller):
    path = "/users/@me/blocks"
    tags = ["direct messages"]

    @get("/")
    async def list_blocks(self, container: AppContainer, identity: Caller) -> list[UserOut]:
        return [user_out(u) for u in await container.blocks.list(identity)]

    @put("/{user_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def block(self, container: AppContainer, identity: Caller, user_id: UserId) -> None:
        """They can no longer open a DM with you, add you to a group, or post in your DM."""
        await container.blocks.block(identity, user_id)

    @delete("/{user_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def unblock(self, container: AppContainer, identity: Caller, user_id: UserId) -> None:
        await container.blocks.unblock(identity, user_id)
