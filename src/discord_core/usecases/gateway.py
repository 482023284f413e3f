"""What the gateway needs from the core: the READY state and presence on connect/disconnect."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    positions: dict[Topic, int] = field(default_factory=dict)
    """Where each topic's events stood before this state was read: the session gets the
    events after these positions (some may already be reflected here; none is missed)."""

    @property
    def topics(self) -> list[Topic]:
        """What the user's gateway session listens to: their own topic and each server's. A
        server joined while this state was read has no position: the session joins its topic
        when that join's SERVER_CREATE arrives (it comes after the user's position)."""
        servers = [Topic.server(s.server.id) for s in self.servers]
        if self.positions:
            servers = [topic for topic in servers if topic in self.positions]
        return [Topic.user(self.user.id), *servers]


class GatewayUseCases(UseCases):
    async def ready(self, identity: Identity) -> ReadyState:
        """The user, their servers with channels and role, and their contacts' presence."""
        async with self.deps.uow(read_only=True) as uow:
            # Positions first, then the state: an event committed in between is delivered
            # (and may repeat what the state shows); none falls between the two. The user's
            # topic before the server list, so a server joined meanwhile is announced.
            mine = Topic.user(identity.user_id)
            positions = await uow.topics.positions([mine])
            server_ids = await uow.members.server_ids_for_user(identity.user_id)
            positions |= await uow.topics.positions([Topic.server(sid) for sid in server_ids])
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
        return ReadyState(user, servers, presences, positions)

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
