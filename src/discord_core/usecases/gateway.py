"""What the gateway needs from the core: the READY state and presence on connect/disconnect."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Unauthorized
from ..events import PresenceUpdated, Topic
from ..model import Channel, Presence, ServerSnapshot, Snowflake, User, UserStatus
from ..presence import visible_presence
from .auth import Identity
from .base import UseCases


@dataclass(frozen=True, slots=True)
class ReadyState:
    user: User
    servers: list[ServerSnapshot]
    presences: list[tuple[Snowflake, Presence]]
    """Everyone sharing a server with the user who is not offline (the user too)."""

    @property
    def topics(self) -> list[Topic]:
        """What the user's gateway session listens to: their own topic and each server's."""
        return [Topic.user(self.user.id), *(Topic.server(s.server.id) for s in self.servers)]


class GatewayUseCases(UseCases):
    async def ready(self, identity: Identity) -> ReadyState:
        """The user, their servers with channels and role, and their contacts' presence."""
        async with self.deps.uow(read_only=True) as uow:
            user = await uow.users.get(identity.user_id)
            if user is None:
                raise Unauthorized("This account no longer exists.", code="invalid_token")
            memberships = await uow.servers.list_for_user(user.id)
            server_ids = [server.id for server, _ in memberships]
            channels = await uow.channels.list_for_servers(server_ids)
            counts = await uow.members.counts(server_ids)
            contacts = await uow.members.co_members(user.id)
        by_server: dict[Snowflake, list[Channel]] = {sid: [] for sid in server_ids}
        for channel in channels:
            by_server[channel.server_id].append(channel)
        servers = [
            ServerSnapshot(server, by_server[server.id], member, counts[server.id])
            for server, member in memberships
        ]
        statuses = {v.member.user_id: v.status for v in contacts}
        statuses[user.id] = user.status  # the user is connecting: count them as online
        online = await self.deps.presence.online(statuses) | {user.id}
        presences = [
            (uid, visible_presence(status, uid in online)) for uid, status in statuses.items()
        ]
        presences = [(uid, p) for uid, p in presences if p is not Presence.OFFLINE]
        return ReadyState(user, servers, presences)

    async def session_started(self, user_id: Snowflake, session_id: str) -> None:
        """Count the session; announce the user online if this was their first."""
        if await self.deps.presence.connect(user_id, session_id):
            await self._announce(user_id, online=True)

    async def session_ended(self, user_id: Snowflake, session_id: str) -> None:
        """Forget the session; announce the user offline if it was their last."""
        if await self.deps.presence.disconnect(user_id, session_id):
            await self._announce(user_id, online=False)

    async def announce_offline(self, user_id: Snowflake) -> None:
        """The user's last session vanished without a goodbye (its instance died)."""
        await self._announce(user_id, online=False)

    async def _announce(self, user_id: Snowflake, *, online: bool) -> None:
        async with self.deps.uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
            server_ids = await uow.members.server_ids_for_user(user_id)
        if user is None or user.status is UserStatus.INVISIBLE:
            return  # invisible users look offline either way: nothing changes for others
        presence = visible_presence(user.status, online)
        await self.deps.events.publish(
            [PresenceUpdated(server_id, user_id, presence) for server_id in server_ids]
        )
