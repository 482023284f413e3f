"""/users: your profile, others' public profiles, your servers, leaving a server."""

from __future__ import annotations

from litestar import Controller, delete, get, patch
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from discord_core.limits import PICTURE_BODY_MAX
from discord_core.model import UserStatus

from ..schemas import (
    MeOut,
    MyServerOut,
    UpdateMeIn,
    UserOut,
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

    @get("/@me/servers")
    async def my_servers(self, container: AppContainer, identity: Caller) -> list[MyServerOut]:
        pairs = await container.users.servers(identity)
        return [my_server_out(server, member) for server, member in pairs]

    @delete("/@me/servers/{server_id:int}", status_code=HTTP_204_NO_CONTENT)
    async def leave(self, container: AppContainer, identity: Caller, server_id: ServerId) -> None:
        """Leave a server (the owner must transfer ownership or delete it instead)."""
        await container.members.leave(identity, server_id)

    @get("/{user_id:int}")
    async def get_user(self, container: AppContainer, identity: Caller, user_id: UserId) -> UserOut:
        return user_out(await container.users.get(identity, user_id))
