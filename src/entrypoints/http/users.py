"""/users: your profile, others' public profiles, your servers, leaving a server."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from discord_core.limits import PICTURE_BODY_MAX
from discord_core.model import UserStatus

from ..exports import started, user_export
from ..schemas import (
    BotOut,
    BotTokenOut,
    CreateBotIn,
    DeleteMeIn,
    MeOut,
    MyServerOut,
    UpdateMeIn,
    UserOut,
    bot_out,
    bot_token_out,
    me_out,
    my_server_out,
    picture_change,
    user_out,
)
from .params import AppContainer, Caller, ServerId, UserId
from .ratelimit import password_check_guard


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @get("/@me")
    async def me(self, container: AppContainer, identity: Caller) -> MeOut:
        return me_out(await container.users.me(identity))

    @patch("/@me", guards=[password_check_guard], request_max_body_size=PICTURE_BODY_MAX)
    async def update_me(
        self, container: AppContainer, identity: Caller, data: JSONBody[UpdateMeIn]
    ) -> MeOut:
        """Change username, status, email or password (the last two need current_password),
        or the avatar: a data URL of an image (resized to 128 and 512 px squares), or null."""
        avatar, remove_avatar = picture_change(data.avatar, "avatar")
        user = await container.users.update_me(
            identity,
            username=data.username,
            email=data.email,
            status=UserStatus(data.status) if data.status is not None else None,
            password=data.password,
            current_password=data.current_password,
            avatar=avatar,
            remove_avatar=remove_avatar,
        )
        return me_out(user)

    @delete("/@me", status_code=HTTP_204_NO_CONTENT, guards=[password_check_guard])
    async def delete_me(
        self, container: AppContainer, identity: Caller, data: JSONBody[DeleteMeIn]
    ) -> None:
        """Delete your account (needs your password). Refused with 409 `owner_cannot_leave`
        while you own a server. You leave every server and are signed out everywhere; your
        messages stay, shown as "Deleted user"; your username and email are free again."""
        await container.users.delete_me(identity, data.password)

    @get("/@me/export")
    async def export_me(self, container: AppContainer, identity: Caller) -> Stream:
        """Your data as one JSON document, streamed: your profile, your servers and every
        message you posted (oldest first)."""
        items = await started(container.users.export_me(identity))
        return Stream(
            user_export(items, container.files.linker.link),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="concord-my-data.json"'},
        )

    @get("/@me/servers")
    async def my_servers(self, container: AppContainer, identity: Caller) -> list[MyServerOut]:
        pairs = await container.users.servers(identity)
        return [my_server_out(server, member) for server, member in pairs]

    @delete("/@me/servers/{server_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def leave(self, container: AppContainer, identity: Caller, server_id: ServerId) -> None:
        """Leave a server (the owner must transfer ownership or delete it instead)."""
        await container.members.leave(identity, server_id)

    # --- bots -----------------------------------------------------------------------------

    @post("/@me/bots", status_code=HTTP_201_CREATED, tags=["bots"])
    async def create_bot(
        self, container: AppContainer, identity: Caller, data: JSONBody[CreateBotIn]
    ) -> BotTokenOut:
        """Create a bot you own. The answer holds its token: shown this once, keep it."""
        issued = await container.bots.create(identity, data.username)
        return bot_token_out(issued.user, issued.bot, issued.token)

    @get("/@me/bots", tags=["bots"])
    async def list_bots(self, container: AppContainer, identity: Caller) -> list[BotOut]:
        return [bot_out(b.user, b.bot) for b in await container.bots.list_bots(identity)]

    @post("/@me/bots/{bot_id:int}/token", status_code=HTTP_200_OK, tags=["bots"])
    async def reset_bot_token(
        self, container: AppContainer, identity: Caller, bot_id: UserId
    ) -> BotTokenOut:
        """A new token for your bot; the old one stops working and its gateway sessions close."""
        issued = await container.bots.reset_token(identity, bot_id)
        return bot_token_out(issued.user, issued.bot, issued.token)

    @delete("/@me/bots/{bot_id:int}", status_code=HTTP_204_NO_CONTENT, tags=["bots"])
    async def delete_bot(self, container: AppContainer, identity: Caller, bot_id: UserId) -> None:
        """Delete your bot: it leaves every server; its messages stay ("Deleted user")."""
        await container.bots.delete(identity, bot_id)

    @get("/{user_id:int}")
    async def get_user(self, container: AppContainer, identity: Caller, user_id: UserId) -> UserOut:
        return user_out(await container.users.get(identity, user_id))
