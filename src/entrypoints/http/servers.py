"""/servers: create, read, update, delete, transfer; members; invites; channels."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from discord_core import limits
from discord_core.limits import PICTURE_BODY_MAX
from discord_core.model import Role

from ..schemas import (
    AddMemberIn,
    ChannelOut,
    CreateChannelIn,
    CreateInviteIn,
    CreateServerIn,
    InviteOut,
    MemberOut,
    ServerDetailOut,
    ServerOut,
    SetRoleIn,
    TransferIn,
    UpdateServerIn,
    channel_out,
    invite_out,
    member_out,
    picture_change,
    server_detail_out,
    server_out,
)
from .params import AppContainer, Caller, ServerId, UserId

MemberLimit = Annotated[int | None, Parameter(ge=1, le=limits.MEMBER_PAGE_MAX)]
AfterUser = Annotated[int | None, Parameter(ge=0, le=limits.SNOWFLAKE_MAX)]


class ServerController(Controller):
    path = "/servers"
    tags = ["servers"]

    @post("/", status_code=HTTP_201_CREATED)
    async def create(
        self, container: AppContainer, identity: Caller, data: JSONBody[CreateServerIn]
    ) -> ServerDetailOut:
        """Create a server; you own it, and it starts with a `general` channel."""
        snap = await container.servers.create(identity, data.name, data.description)
        return server_detail_out(snap)

    @get("/{server_id:int}")
    async def get_server(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> ServerDetailOut:
        return server_detail_out(await container.servers.get(identity, server_id))

    @patch("/{server_id:int}", request_max_body_size=PICTURE_BODY_MAX)
    async def update(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        data: JSONBody[UpdateServerIn],
    ) -> ServerOut:
        """Change the name, description or icon (a data URL of an image, resized to 128 and
        512 px squares, or null to remove it)."""
        icon, remove_icon = picture_change(data.icon, "icon")
        server = await container.servers.update(
            identity,
            server_id,
            name=data.name,
            description=data.description,
            icon=icon,
            remove_icon=remove_icon,
        )
        return server_out(server)

    @delete("/{server_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_server(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> None:
        await container.servers.delete(identity, server_id)

    @post("/{server_id:int}/transfer", status_code=200)
    async def transfer(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        data: JSONBody[TransferIn],
    ) -> ServerOut:
        """Make another member the owner; you become an admin."""
        new_owner = limits.snowflake(int(data.user_id), "user_id")
        return server_out(
            await container.servers.transfer_ownership(identity, server_id, new_owner)
        )

    # --- members --------------------------------------------------------------------------

    @get("/{server_id:int}/members", tags=["members"])
    async def list_members(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        after: AfterUser = None,
        limit: MemberLimit = None,
    ) -> list[MemberOut]:
        """Members ascending by user id; pass the last user id as `after` for the next page."""
        rows = await container.members.list_members(identity, server_id, after=after, limit=limit)
        return [member_out(row.view, row.presence.value) for row in rows]

    @get("/{server_id:int}/members/{user_id:int}", tags=["members"])
    async def get_member(
        self, container: AppContainer, identity: Caller, server_id: ServerId, user_id: UserId
    ) -> MemberOut:
        row = await container.members.get(identity, server_id, user_id)
        return member_out(row.view, row.presence.value)

    @patch("/{server_id:int}/members/{user_id:int}", tags=["members"])
    async def set_role(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        user_id: UserId,
        data: JSONBody[SetRoleIn],
    ) -> MemberOut:
        view = await container.members.set_role(identity, server_id, user_id, Role(data.role))
        row = (await container.members.with_presence([view]))[0]
        return member_out(row.view, row.presence.value)

    @delete(
        "/{server_id:int}/members/{user_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        tags=["members"],
    )
    async def kick(
        self, container: AppContainer, identity: Caller, server_id: ServerId, user_id: UserId
    ) -> None:
        await container.members.kick(identity, server_id, user_id)

    @post("/{server_id:int}/members", tags=["members", "bots"])
    async def add_bot(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        data: JSONBody[AddMemberIn],
    ) -> Response[MemberOut]:
        """Add a bot you own (admin or owner). 201 with the new member, 200 when the bot was
        a member already. People join with an invite instead."""
        user_id = limits.snowflake(int(data.user_id), "user_id")
        added = await container.bots.add_to_server(identity, server_id, user_id)
        row = (await container.members.with_presence([added.view]))[0]
        status = HTTP_201_CREATED if added.created else HTTP_200_OK
        return Response(member_out(row.view, row.presence.value), status_code=status)

    # --- invites --------------------------------------------------------------------------

    @post("/{server_id:int}/invites", status_code=HTTP_201_CREATED, tags=["invites"])
    async def create_invite(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        data: JSONBody[CreateInviteIn | None] = None,
    ) -> InviteOut:
        data = data or CreateInviteIn()
        invite = await container.invites.create(
            identity, server_id, max_age=data.max_age, max_uses=data.max_uses
        )
        return invite_out(invite)

    @get("/{server_id:int}/invites", tags=["invites"])
    async def list_invites(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> list[InviteOut]:
        return [invite_out(i) for i in await container.invites.list_invites(identity, server_id)]

    # --- channels -------------------------------------------------------------------------

    @get("/{server_id:int}/channels", tags=["channels"])
    async def list_channels(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> list[ChannelOut]:
        channels = await container.channels.list_channels(identity, server_id)
        return [channel_out(c) for c in channels]

    @post("/{server_id:int}/channels", status_code=HTTP_201_CREATED, tags=["channels"])
    async def create_channel(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        data: JSONBody[CreateChannelIn],
    ) -> ChannelOut:
        channel = await container.channels.create(
            identity, server_id, data.name, topic=data.topic, position=data.position
        )
        return channel_out(channel)
