"""/servers: create, read, update, delete, transfer; members; invites; channels."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from discord_core import limits
from discord_core.limits import PICTURE_BODY_MAX
from discord_core.model import Role
from discord_core.usecases.members import KEEP

from ..exports import server_export, started
from ..schemas import (
    AddMemberIn,
    AuditEntryOut,
    BanIn,
    BanOut,
    ChannelOut,
    CreateChannelIn,
    CreateInviteIn,
    CreateServerIn,
    InviteOut,
    MemberOut,
    ServerDetailOut,
    ServerOut,
    TransferIn,
    UpdateMemberIn,
    UpdateServerIn,
    audit_entry_out,
    ban_out,
    channel_out,
    invite_out,
    member_out,
    picture_change,
    server_detail_out,
    server_out,
)
from .params import AppContainer, Caller, ReasonHeader, ServerId, UserId, audit_reason

MemberLimit = Annotated[int | None, Parameter(ge=1, le=limits.MEMBER_PAGE_MAX)]
AfterUser = Annotated[int | None, Parameter(ge=0, le=limits.SNOWFLAKE_MAX)]
BeforeEntry = Annotated[int | None, Parameter(gt=0, le=limits.SNOWFLAKE_MAX)]
ActorFilter = Annotated[
    int | None,
    QueryParameter(
        name="user_id", gt=0, le=limits.SNOWFLAKE_MAX, description="Only this actor's entries."
    ),
]
ActionFilter = Annotated[str | None, Parameter(max_length=32)]
BanLimit = Annotated[int | None, Parameter(ge=1, le=limits.BAN_PAGE_MAX)]
AuditLimit = Annotated[int | None, Parameter(ge=1, le=limits.AUDIT_PAGE_MAX)]


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
        reason: ReasonHeader = None,
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
            reason=audit_reason(reason),
        )
        return server_out(server)

    @delete("/{server_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def delete_server(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> None:
        await container.servers.delete(identity, server_id)

    @get("/{server_id:int}/export")
    async def export(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> Stream:
        """The owner's copy of the server: channels with their messages (oldest first) and
        members, as one JSON document, streamed (the format of `concord export server`)."""
        items = await started(container.servers.export(identity, server_id))
        return Stream(
            server_export(items, container.files.linker.link),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="concord-server-{server_id}.json"'
            },
        )

    @post("/{server_id:int}/transfer", status_code=200)
    async def transfer(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        data: JSONBody[TransferIn],
        reason: ReasonHeader = None,
    ) -> ServerOut:
        """Make another member the owner; you become an admin."""
        new_owner = limits.snowflake(int(data.user_id), "user_id")
        return server_out(
            await container.servers.transfer_ownership(
                identity, server_id, new_owner, reason=audit_reason(reason)
            )
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
    async def update_member(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        user_id: UserId,
        data: JSONBody[UpdateMemberIn],
        reason: ReasonHeader = None,
    ) -> MemberOut:
        """Change the member's role (admin and above) and/or time them out until
        `communication_disabled_until` (moderator and above, at most 28 days; null lifts it),
        on members ranked below you."""
        timeout = data.communication_disabled_until
        view = await container.members.update(
            identity,
            server_id,
            user_id,
            role=Role(data.role) if data.role is not None else None,
            until=KEEP if timeout is msgspec.UNSET else timeout,
            reason=audit_reason(reason),
        )
        row = (await container.members.with_presence([view]))[0]
        return member_out(row.view, row.presence.value)

    @delete(
        "/{server_id:int}/members/{user_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        tags=["members"],
    )
    async def kick(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        user_id: UserId,
        reason: ReasonHeader = None,
    ) -> None:
        await container.members.kick(identity, server_id, user_id, reason=audit_reason(reason))

    # --- bans and the audit log -----------------------------------------------------------

    @get("/{server_id:int}/bans", tags=["moderation"])
    async def list_bans(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        after: AfterUser = None,
        limit: BanLimit = None,
    ) -> list[BanOut]:
        """Moderator and above. Ascending by user id; pass the last user id as `after`."""
        bans = await container.moderation.list_bans(identity, server_id, after=after, limit=limit)
        return [ban_out(b) for b in bans]

    @get("/{server_id:int}/bans/{user_id:int}", tags=["moderation"])
    async def get_ban(
        self, container: AppContainer, identity: Caller, server_id: ServerId, user_id: UserId
    ) -> BanOut:
        return ban_out(await container.moderation.get_ban(identity, server_id, user_id))

    @put(
        "/{server_id:int}/bans/{user_id:int}", status_code=HTTP_204_NO_CONTENT, tags=["moderation"]
    )
    async def ban(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        user_id: UserId,
        data: JSONBody[BanIn | None] = None,
        reason: ReasonHeader = None,
    ) -> None:
        """Ban a member ranked below you, or a user who is not a member (moderator and
        above): they are removed at once and no invite lets them back. Banning again
        changes nothing."""
        data = data or BanIn()
        await container.moderation.ban(
            identity,
            server_id,
            user_id,
            reason=data.reason if data.reason is not None else audit_reason(reason),
            delete_message_seconds=data.delete_message_seconds,
        )

    @delete(
        "/{server_id:int}/bans/{user_id:int}", status_code=HTTP_204_NO_CONTENT, tags=["moderation"]
    )
    async def unban(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        user_id: UserId,
        reason: ReasonHeader = None,
    ) -> None:
        await container.moderation.unban(identity, server_id, user_id, reason=audit_reason(reason))

    @get("/{server_id:int}/audit-log", tags=["moderation"])
    async def audit_log(
        self,
        container: AppContainer,
        identity: Caller,
        server_id: ServerId,
        before: BeforeEntry = None,
        limit: AuditLimit = None,
        action: ActionFilter = None,
        actor: ActorFilter = None,
    ) -> list[AuditEntryOut]:
        """Admin and above. Newest first; pass the last entry id as `before` for the next
        page; `action` and `user_id` (the actor) filter."""
        entries = await container.moderation.audit_log(
            identity, server_id, before=before, limit=limit, action=action, actor_id=actor
        )
        return [audit_entry_out(e) for e in entries]

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
        reason: ReasonHeader = None,
    ) -> InviteOut:
        data = data or CreateInviteIn()
        invite = await container.invites.create(
            identity,
            server_id,
            max_age=data.max_age,
            max_uses=data.max_uses,
            reason=audit_reason(reason),
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
