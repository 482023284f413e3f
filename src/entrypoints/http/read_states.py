"""Read states and notification settings (#15): acks, GET /users/@me/read-states, and
GET / PATCH /users/@me/notification-settings."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from discord_core.model import NotificationLevel

from ..read_schemas import (
    ChannelNotificationOut,
    NotificationSettingsIn,
    NotificationSettingsOut,
    ReadStateOut,
    ServerNotificationOut,
    notification_out,
    notification_settings_out,
    read_state_out,
)
from .params import AppContainer, Caller, ChannelId, MessageId, ServerId


class ReadStateController(Controller):
    path = "/"
    tags = ["read states"]

    @post(
        "/channels/{channel_id:int}/messages/{message_id:int}/ack",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def ack(
        self,
        container: AppContainer,
        identity: Caller,
        channel_id: ChannelId,
        message_id: MessageId,
    ) -> None:
        """Mark the channel read up to this message. Never moves back (an older message
        changes nothing); a message the channel does not have is 404 `unknown_message`.
        Your sessions get MESSAGE_ACK."""
        await container.read_states.ack(identity, channel_id, message_id)

    @post("/servers/{server_id:int}/ack", status_code=HTTP_204_NO_CONTENT)
    async def ack_server(
        self, container: AppContainer, identity: Caller, server_id: ServerId
    ) -> None:
        """Mark every channel of the server read (one MESSAGE_ACK per channel that moved)."""
        await container.read_states.ack_server(identity, server_id)

    @get("/users/@me/read-states")
    async def read_states(self, container: AppContainer, identity: Caller) -> list[ReadStateOut]:
        """Your read state in every channel you can see (last_read_id null: never read)."""
        return [read_state_out(s) for s in await container.read_states.read_states(identity)]

    @get("/users/@me/notification-settings")
    async def notification_settings(
        self, container: AppContainer, identity: Caller
    ) -> NotificationSettingsOut:
        """What you changed (no entry: level "all", not muted; a channel follows its server)."""
        settings = await container.read_states.notification_settings(identity)
        return notification_settings_out(settings)

    @patch("/users/@me/notification-settings")
    async def update_notification_settings(
        self,
        container: AppContainer,
        identity: Caller,
        data: JSONBody[NotificationSettingsIn],
    ) -> ServerNotificationOut | ChannelNotificationOut:
        """Change one server's or one channel's entry (the fields you send); answers with the
        entry. Your sessions get NOTIFICATION_SETTINGS_UPDATE."""
        changes: dict[str, object] = {}
        if data.level is not msgspec.UNSET:
            level = data.level
            changes["level"] = NotificationLevel(level) if isinstance(level, str) else None
        if data.muted_until is not msgspec.UNSET:
            changes["muted_until"] = data.muted_until
        setting = await container.read_states.update_notification_settings(
            identity,
            server_id=int(data.server_id) if data.server_id is not None else None,
            channel_id=int(data.channel_id) if data.channel_id is not None else None,
            **changes,
        )
        return notification_out(setting)
