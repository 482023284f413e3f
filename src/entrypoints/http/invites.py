"""/invites/{code}: preview, accept, revoke."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from ..schemas import (
    InvitePreviewOut,
    ServerBriefOut,
    ServerDetailOut,
    icon_url,
    server_detail_out,
)
from .params import AppContainer, Caller, InviteCode, ReasonHeader, audit_reason


class InviteController(Controller):
    path = "/invites"
    tags = ["invites"]

    @get("/{code:str}")
    async def preview(
        self, container: AppContainer, identity: Caller, code: InviteCode
    ) -> InvitePreviewOut:
        """What the invite leads to. Unknown, expired and used-up invites are all 404."""
        preview = await container.invites.preview(identity, code)
        server = preview.server
        return InvitePreviewOut(
            code=preview.invite.code,
            server=ServerBriefOut(
                id=str(server.id),
                name=server.name,
                description=server.description,
                icon_url=icon_url(server.id, server.icon),
            ),
            member_count=preview.member_count,
            expires_at=preview.invite.expires_at,
        )

    @post("/{code:str}", status_code=HTTP_200_OK)
    async def accept(
        self, container: AppContainer, identity: Caller, code: InviteCode
    ) -> ServerDetailOut:
        """Join the server. Accepting again while a member is a no-op."""
        return server_detail_out(await container.invites.accept(identity, code))

    @delete("/{code:str}", status_code=HTTP_204_NO_CONTENT)
    async def revoke(
        self,
        container: AppContainer,
        identity: Caller,
        code: InviteCode,
        reason: ReasonHeader = None,
    ) -> None:
        await container.invites.revoke(identity, code, reason=audit_reason(reason))
