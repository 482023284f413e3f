"""Read states, mentions and notification settings (#15).

- Which channels a user can see is decided in one place here (`visible_channels`: their
  servers' channels and their private channels) and who can see a channel in one other
  (`who_can_see`: its server's members, or its recipients), by the same rule as
  `access.channel_access`.
- A read point (`last_read_id`) only moves forward: acks advance it with one conditional
  upsert (`ReadStateRepository.advance`), so racing acks never move it back. Posting marks the
  channel read for its author with no write at all: the read point is the later of the stored
  one and the user's own newest message there (deleting that message stores it first).
- `mention_count` is always counted from the messages (`ReadStateRepository.states`), never
  kept in a counter: after any reconnect READY's counts are exactly what the messages say.
  In a DM or group DM every message by someone else counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .. import limits
from ..errors import MissingParent, NotFound, ValidationFailed
from ..events import Event, MessageAcked, NotificationSettingsUpdated
from ..mentions import parse
from ..model import (
    Channel,
    Message,
    MessageView,
    NotificationLevel,
    NotificationSetting,
    ReadState,
    Snowflake,
)
from ..ports import UnitOfWork
from .access import ChannelAccess, channel_access
from .auth import Identity
from .base import (
    CHANNEL_NOT_FOUND,
    MESSAGE_NOT_FOUND,
    SERVER_NOT_FOUND,
    UseCases,
    membership,
    readable_channels,
)

# --- who can see what -----------------------------------------------------------------------


async def visible_channels(
    uow: UnitOfWork, user_id: Snowflake, known: Sequence[Channel] | None = None
) -> list[Channel]:
    """Every channel the user can see: the channels of the servers they are a member of and
    the private channels (DMs, group DMs) they are a recipient of. `known`: all of them when
    the caller read them already (READY), to spare the queries."""
    if known is None:
        server_ids = await uow.members.server_ids_for_user(user_id)
        servers = await uow.channels.list_for_servers(server_ids)
        known = [*servers, *await uow.channels.private_for_user(user_id)]
    return list(known)


async def who_can_see(
    uow: UnitOfWork, channel: Channel, user_ids: Sequence[Snowflake]
) -> set[Snowflake]:
    """Which of these users can see the channel: a private channel's recipients (as read
    with it), a server channel's members (one query)."""
    if not user_ids:
        return set()
    if channel.server_id is None:
        return set(user_ids) & set(channel.recipient_ids)
    return await uow.members.among(channel.server_id, user_ids)


# --- mentions -------------------------------------------------------------------------------


async def resolve_mentions(
    uow: UnitOfWork,
    access: ChannelAccess,
    content: str,
    replied_author: Snowflake | None = None,
) -> tuple[tuple[Snowflake, ...], bool]:
    """(mentioned user ids, mentions everyone) of a message the caller writes in the channel
    of `access`: `<@id>` of users who can see the channel (unknown ids and outsiders are plain
    text; each user once), the replied-to author when the reply mentions them, and
    @everyone / @here only from a moderator or above of a server (never in a DM). No query
    for a message without `<@` (nor any in a private channel)."""
    channel = access.channel
    parsed = parse(content, access.role)
    wanted = list(parsed.user_ids)
    if replied_author is not None and replied_author not in wanted:
        wanted.append(replied_author)
    if not wanted:
        return (), parsed.everyone
    seeing = await who_can_see(uow, channel, wanted)
    return tuple(uid for uid in wanted if uid in seeing), parsed.everyone


async def keep_read_point(uow: UnitOfWork, message: Message) -> None:
    """A message is being deleted: its author's read point, which their own newest message
    may be (posting marks read), is written down first so it never moves back."""
    await uow.read_states.advance(message.author_id, [(message.channel_id, message.id)])


# --- READY ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    servers: list[NotificationSetting]
    channels: list[NotificationSetting]


def _split(settings: Sequence[NotificationSetting]) -> NotificationSettings:
    return NotificationSettings(
        [s for s in settings if s.channel_id is None],
        [s for s in settings if s.channel_id is not None],
    )


@dataclass(frozen=True, slots=True)
class ReadSnapshot:
    """What READY carries of #15: a read state for every channel the user can see (in the
    order of `channels`) and their notification settings."""

    read_states: list[ReadState]
    notification_settings: NotificationSettings


async def read_snapshot(
    uow: UnitOfWork, user_id: Snowflake, known: Sequence[Channel]
) -> ReadSnapshot:
    """Three statements however many channels (`known`: every channel the user can see, as
    READY read them): the read states with their counts, the settings."""
    channels = await visible_channels(uow, user_id, known)
    found = await uow.read_states.states(user_id, [c.id for c in channels])
    states = [found.get(c.id, ReadState(c.id, None, 0)) for c in channels]
    settings = await uow.notification_settings.list_for_user(user_id)
    return ReadSnapshot(states, _split(settings))


# --- the use cases --------------------------------------------------------------------------

_UNSET = object()


class ReadStateUseCases(UseCases):
    async def ack(self, identity: Identity, channel_id: Snowflake, message_id: Snowflake) -> None:
        """Read the channel up to this message (never backwards: an older id changes
        nothing). A message the channel does not have is a 404. The user's sessions get
        MESSAGE_ACK when the read point moved."""
        channel_id = limits.snowflake(channel_id, "channel_id")
        message_id = limits.snowflake(message_id, "message_id")
        user_id = identity.user_id

        async def work(uow: UnitOfWork) -> None:
            await channel_access(uow, channel_id, user_id)
            view = await uow.messages.get(message_id)
            if view is None or view.message.channel_id != channel_id:
                raise NotFound(MESSAGE_NOT_FOUND, code="unknown_message")
            uow.record(await self._advance(uow, user_id, [(channel_id, message_id)]))

        await self.deps.uow.run(work)

    async def ack_server(self, identity: Identity, server_id: Snowflake) -> None:
        """Read every channel of the server up to its newest message (one MESSAGE_ACK per
        channel whose read point moved)."""
        server_id = limits.snowflake(server_id, "server_id")
        user_id = identity.user_id

        async def work(uow: UnitOfWork) -> None:
            readable = await readable_channels(uow, server_id, user_id)
            marks = [
                (c.id, c.last_message_id)
                for c in readable.channels
                if c.last_message_id is not None
            ]
            uow.record(await self._advance(uow, user_id, marks))

        await self.deps.uow.run(work)

    @staticmethod
    async def _advance(
        uow: UnitOfWork, user_id: Snowflake, marks: list[tuple[Snowflake, Snowflake]]
    ) -> list[Event]:
        if not marks:
            return []
        try:
            moved = await uow.read_states.advance(user_id, marks)
        except MissingParent:  # a channel was deleted since it was read
            raise NotFound(CHANNEL_NOT_FOUND, code="unknown_channel") from None
        if not moved:
            return []
        states = await uow.read_states.states(user_id, moved)
        return [
            MessageAcked(user_id, cid, states[cid].last_read_id or mid, states[cid].mention_count)
            for cid, mid in marks
            if cid in states and cid in moved
        ]

    async def read_states(self, identity: Identity) -> list[ReadState]:
        """A read state for every channel the caller can see (never read: last_read_id None)."""
        async with self.deps.uow(read_only=True) as uow:
            channels = await visible_channels(uow, identity.user_id)
            found = await uow.read_states.states(identity.user_id, [c.id for c in channels])
        return [found.get(c.id, ReadState(c.id, None, 0)) for c in channels]

    async def notification_settings(self, identity: Identity) -> NotificationSettings:
        async with self.deps.uow(read_only=True) as uow:
            settings = await uow.notification_settings.list_for_user(identity.user_id)
        return _split(settings)

    async def update_notification_settings(
        self,
        identity: Identity,
        *,
        server_id: Snowflake | None = None,
        channel_id: Snowflake | None = None,
        level: NotificationLevel | object | None = _UNSET,
        muted_until: datetime | object | None = _UNSET,
    ) -> NotificationSetting:
        """Change a server's (`server_id`) or a channel's (`channel_id`) entry: its `level`
        (a channel's may be None: follow the server) and/or `muted_until` (None: unmute).
        Fields not given keep their value. The user's sessions get
        NOTIFICATION_SETTINGS_UPDATE with the entry."""
        if (server_id is None) == (channel_id is None):
            raise ValidationFailed(
                "Give exactly one of server_id and channel_id.", field="server_id"
            )
        if server_id is not None:
            limits.snowflake(server_id, "server_id")
            if level is None:
                raise ValidationFailed(
                    "A server's level is one of all, mentions and nothing.", field="level"
                )
        if channel_id is not None:
            limits.snowflake(channel_id, "channel_id")
        if level is not _UNSET and level is not None and not isinstance(level, NotificationLevel):
            raise ValidationFailed("level is one of all, mentions and nothing.", field="level")
        if muted_until not in (_UNSET, None) and (
            not isinstance(muted_until, datetime) or muted_until.tzinfo is None
        ):
            raise ValidationFailed("muted_until must be a time with a zone.", field="muted_until")
        user_id = identity.user_id

        async def work(uow: UnitOfWork) -> NotificationSetting:
            target_server: Snowflake | None
            if channel_id is not None:
                access = await channel_access(uow, channel_id, user_id)
                target_server = access.channel.server_id  # None for a DM
            else:
                assert server_id is not None
                await membership(uow, server_id, user_id)
                target_server = server_id
            try:
                setting = await uow.notification_settings.change(
                    user_id,
                    target_server,
                    channel_id,
                    level=level if isinstance(level, NotificationLevel) else None,
                    set_level=level is not _UNSET,
                    muted_until=muted_until if isinstance(muted_until, datetime) else None,
                    set_muted=muted_until is not _UNSET,
                )
            except MissingParent:  # the channel or server was deleted since it was read
                if channel_id is not None:
                    raise NotFound(CHANNEL_NOT_FOUND, code="unknown_channel") from None
                raise NotFound(SERVER_NOT_FOUND, code="unknown_server") from None
            uow.record([NotificationSettingsUpdated(user_id, setting)])
            return setting

        return await self.deps.uow.run(work)


def replied_author_of(view: MessageView | None, mention_author: bool) -> Snowflake | None:
    """The replied-to author a reply mentions (Discord's `allowed_mentions.replied_user`)."""
    if view is None or not mention_author:
        return None
    return view.message.author_id
