"""Wire shapes of #15 (read states, notification settings), shared by REST, READY and the
gateway's events. Kept apart from `schemas` so the feature's shapes live together."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from discord_core.model import NotificationSetting, ReadState
from discord_core.usecases import NotificationSettings

from .schemas import Id, In, Out

LevelName = Literal["all", "mentions", "nothing"]


class ReadStateOut(Out):
    channel_id: Id
    last_read_id: Id | None
    """The last message you read (null: never)."""
    mention_count: int
    """Messages after it, by others, that mention you or everyone."""


class MessageAckOut(Out):
    """MESSAGE_ACK: you read the channel up to `message_id` (on one of your devices);
    `mention_count` is what is left after it. (Posting marks read without one.)"""

    channel_id: Id
    message_id: Id
    mention_count: int


class ServerNotificationOut(Out):
    server_id: Id
    level: LevelName
    muted_until: datetime | None


class ChannelNotificationOut(Out):
    channel_id: Id
    level: LevelName | None
    """null: follow the server's level."""
    muted_until: datetime | None


class NotificationSettingsOut(Out):
    servers: list[ServerNotificationOut]
    """Only servers you changed something of (no entry: level "all", not muted)."""
    channels: list[ChannelNotificationOut]


class NotificationSettingsIn(In):
    """Exactly one of server_id and channel_id; the fields not sent keep their value."""

    server_id: Id | None = None
    channel_id: Id | None = None
    level: LevelName | msgspec.UnsetType | None = msgspec.UNSET
    """A channel's may be null (follow the server); a server's may not."""
    muted_until: Annotated[datetime, msgspec.Meta(tz=True)] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    """Muted until then (null: not muted)."""


def read_state_out(state: ReadState) -> ReadStateOut:
    return ReadStateOut(
        channel_id=str(state.channel_id),
        last_read_id=str(state.last_read_id) if state.last_read_id is not None else None,
        mention_count=state.mention_count,
    )


def notification_out(
    setting: NotificationSetting,
) -> ServerNotificationOut | ChannelNotificationOut:
    if setting.channel_id is None:
        assert setting.server_id is not None
        assert setting.level is not None
        return ServerNotificationOut(
            server_id=str(setting.server_id),
            level=setting.level.value,
            muted_until=setting.muted_until,
        )
    return ChannelNotificationOut(
        channel_id=str(setting.channel_id),
        level=setting.level.value if setting.level is not None else None,
        muted_until=setting.muted_until,
    )


def notification_settings_out(settings: NotificationSettings) -> NotificationSettingsOut:
    return NotificationSettingsOut(
        servers=[notification_out(s) for s in settings.servers],  # type: ignore[misc]
        channels=[notification_out(s) for s in settings.channels],  # type: ignore[misc]
    )
