"""What the gateway needs from the core: the READY state, presence on connect/disconnect, and
member-list subscriptions (op 14).

Large servers (at least `Deps.large_server_members` members) are lazy, like Discord's: READY
leaves their members' presence out, and their PRESENCE_UPDATEs reach only the sessions watching
that member (those that subscribed to a part of the member list holding them). So a connect
costs what the few people looking at that member cost, not what everyone online costs."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import limits
from ..errors import Unauthorized
from ..events import Topic, TopicKind
from ..model import Channel, MemberView, Presence, ServerSnapshot, Snowflake, User, UserStatus
from ..presence import visible_presence
from .auth import Identity
from .base import UseCases, large_servers, membership, presence_events
from .read_states import ReadSnapshot, read_snapshot


@dataclass(frozen=True, slots=True)
class ReadyState:
    user: User
    servers: list[ServerSnapshot]
    presences: list[tuple[Snowflake, Presence]]
    """Everyone sharing a small server with the user who is not offline (the user too)."""
    positions: dict[Topic, int] = field(default_factory=dict)
    """Where each topic's events stood before this state was read: the session gets the
    events after these positions (some may already be reflected here; none is missed)."""
    private_channels: list[Channel] = field(default_factory=list)
    """The user's DMs and group DMs, with their recipients, most recently active first."""
    blocked_ids: list[Snowflake] = field(default_factory=list)
    reads: ReadSnapshot | None = None
    """Read states of every channel the user can see, and notification settings (#15)."""

    @property
    def topics(self) -> list[Topic]:
        """What the user's gateway session listens to: their own topic and each server's. A
        server joined while this state was read has no position: the session joins its topic
        when that join's SERVER_CREATE arrives (it comes after the user's position)."""
        servers = [Topic.server(s.server.id) for s in self.servers]
        servers += [Topic.channel(c.id) for c in self.private_channels]
        if self.positions:
            servers = [topic for topic in servers if topic in self.positions]
        return [Topic.user(self.user.id), *servers]

    @property
    def large(self) -> list[Snowflake]:
        """The user's large servers: their presence comes through member-list subscriptions."""
        return [snap.server.id for snap in self.servers if snap.large]


@dataclass(frozen=True, slots=True)
class MemberList:
    """A part of a server's member list (ascending by user id) with each member's presence:
    what a session subscribing to it (op 14) is shown, and the members it then watches."""

    server_id: Snowflake
    after: Snowflake
    members: list[tuple[MemberView, Presence]]
    large: bool

    @property
    def watched(self) -> frozenset[Snowflake]:
        return frozenset(view.member.user_id for view, _ in self.members)


class GatewayUseCases(UseCases):
    async def ready(self, identity: Identity) -> ReadyState:
        """The user, their servers with channels and role, and their contacts' presence."""
        async with self.deps.uow(read_only=True) as uow:
            # Positions first, then the state: an event committed in between is delivered
            # (and may repeat what the state shows); none falls between the two. The user's
            # topic and the list of their servers and DMs in one snapshot, so a server
            # joined meanwhile is either listed or announced.
            positions = await uow.topics.listened_by(identity.user_id)
            user = await uow.users.get(identity.user_id)
            if user is None:
                raise Unauthorized("This account no longer exists.", code="invalid_token")
            counted = await uow.servers.list_for_user_with_counts(user.id)
            memberships = [(server, member) for server, member, _ in counted]
            counts = {server.id: count for server, _, count in counted}
            server_ids = [server.id for server, _ in memberships]
            channels = await uow.channels.list_for_member(user.id)
            # Presence comes with READY for small servers only: a large one's members are
            # shown through member-list subscriptions (op 14).
            threshold = self.deps.large_server_members
            small = [sid for sid in server_ids if counts[sid] < threshold]
            contacts = await uow.members.co_members(user.id, small)
            # No private channel topic in the snapshot: none to read (most users, most
            # IDENTIFYs); one opened since is announced by its CHANNEL_CREATE.
            in_private = any(t.kind is TopicKind.CHANNEL for t in positions)
            private = await uow.channels.private_for_user(user.id) if in_private else []
            blocked = await uow.blocks.blocked_ids(user.id)
            reads = await read_snapshot(uow, user.id, [*channels, *private])
        by_server: dict[Snowflake, list[Channel]] = {sid: [] for sid in server_ids}
        for channel in channels:  # a server joined since the list was read: not yet shown
            if channel.server_id in by_server:
                by_server[channel.server_id].append(channel)
        servers = [
            ServerSnapshot(
                server,
                by_server[server.id],
                member,
                counts[server.id],
                large=counts[server.id] >= threshold,
            )
            for server, member in memberships
        ]
        statuses = {v.member.user_id: v.status for v in contacts}
        for channel in private:  # the people you talk to, server or not
            statuses.update((u.id, u.status) for u in channel.recipients)
        statuses[user.id] = user.status  # the user is connecting: count them as online
        online = await self.deps.presence.online(statuses) | {user.id}
        presences = [
            (uid, visible_presence(status, uid in online)) for uid, status in statuses.items()
        ]
        presences = [(uid, p) for uid, p in presences if p is not Presence.OFFLINE]
        return ReadyState(user, servers, presences, positions, private, blocked, reads=reads)

    async def member_list(
        self,
        identity: Identity,
        server_id: Snowflake,
        *,
        after: Snowflake = 0,
        limit: int | None = None,
    ) -> MemberList:
        """The part of the server's member list a session shows (op 14): the members after
        user id `after`, ascending, at most `limit` (limits.MEMBER_LIST_MAX), with their
        presence. A non-member gets NotFound, the same whether the server exists or not."""
        limit = limits.page_limit(
            limit, default=limits.MEMBER_LIST_DEFAULT, maximum=limits.MEMBER_LIST_MAX
        )
        server_id = limits.snowflake(server_id, "server_id")
        after = limits.snowflake(after, "after") if after else 0
        async with self.deps.uow(read_only=True) as uow:
            await membership(uow, server_id, identity.user_id)
            views = await uow.members.list_page(server_id, after_user_id=after, limit=limit)
            large = await large_servers(uow, [server_id], self.deps.large_server_members)
        online = await self.deps.presence.online(v.member.user_id for v in views)
        members = [(v, visible_presence(v.status, v.member.user_id in online)) for v in views]
        return MemberList(server_id, after, members, large=server_id in large)

    async def session_started(
        self, user_id: Snowflake, session_id: str, ready: ReadyState | None = None
    ) -> None:
        """Count the session; announce the user online if this was their first. With the
        `ready` state the session was just given (IDENTIFY), its user and servers are used
        instead of being read again (a reconnect storm's IDENTIFYs are most of its work)."""
        if not await self.deps.presence.connect(user_id, session_id):
            return
        if ready is None or ready.user.id != user_id:
            await self._announce(user_id, online=True)
            return
        if ready.user.status is UserStatus.INVISIBLE:
            return
        presence = visible_presence(ready.user.status, True)
        server_ids = [snap.server.id for snap in ready.servers]
        large = {snap.server.id for snap in ready.servers if snap.large}
        channel_ids = [c.id for c in ready.private_channels]
        await self.deps.events.publish(
            presence_events(server_ids, user_id, presence, large, channel_ids)
        )

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
            if user is None or user.status is UserStatus.INVISIBLE:
                return  # invisible users look offline either way: nothing changes for others
            listened = await uow.topics.listened_by(user_id)  # servers and DMs, one read
            server_ids = sorted(t.id for t in listened if t.kind is TopicKind.SERVER)
            channel_ids = sorted(t.id for t in listened if t.kind is TopicKind.CHANNEL)
            large = await large_servers(uow, server_ids, self.deps.large_server_members)
        presence = visible_presence(user.status, online)
        await self.deps.events.publish(
            presence_events(server_ids, user_id, presence, large, channel_ids)
        )
