"""Invites: create (expiry, max uses), list, preview, accept, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import limits
from ..errors import Conflict, DuplicateKey, Forbidden, LimitReached, NotFound
from ..events import Event, MemberJoined, PresenceUpdated, ServerAvailable
from ..model import AuditAction, Invite, Member, MemberView, Role, Server, ServerSnapshot, Snowflake
from ..permissions import Action, require
from ..ports import UnitOfWork
from ..presence import visible_presence
from .auth import Identity
from .base import (
    INVITE_NOT_FOUND,
    Deps,
    UseCases,
    changed,
    locked_server_as_member,
    membership,
    server_as_member,
)
from .servers import check_server_quota, snapshot

DEFAULT_MAX_AGE = 24 * 3600
CODE_ATTEMPTS = 3
"""Random codes are 64 bits: a clash is rare, three in a row means something is wrong."""


@dataclass(frozen=True, slots=True)
class InvitePreview:
    invite: Invite
    server: Server
    member_count: int


def _unknown_invite() -> NotFound:
    return NotFound(INVITE_NOT_FOUND, code="unknown_invite")


async def join_events(deps: Deps, snap: ServerSnapshot, view: MemberView | None) -> list[Event]:
    """What a join causes (by invite, or a bot added by an admin): SERVER_CREATE for the
    joiner first (its sessions start listening), then MEMBER_ADD and its presence."""
    user_id = snap.member.user_id
    events: list[Event] = [ServerAvailable(user_id, snap)]
    if view is not None:
        events.append(MemberJoined(snap.server.id, view))
        online = user_id in await deps.presence.online([user_id])
        # In a large server only those watching the newcomer hear of their presence.
        large = snap.member_count >= deps.large_server_members
        events.append(
            PresenceUpdated(
                snap.server.id, user_id, visible_presence(view.status, online), large=large
            )
        )
    return events


class InviteUseCases(UseCases):
    async def create(
        self,
        identity: Identity,
        server_id: Snowflake,
        *,
        max_age: int = DEFAULT_MAX_AGE,
        max_uses: int = 0,
        reason: str | None = None,
    ) -> Invite:
        """`max_age` in seconds (0: never expires); `max_uses` 0 means unlimited."""
        reason = limits.audit_reason(reason)
        max_age = limits.invite_max_age(max_age)
        max_uses = limits.invite_max_uses(max_uses)
        now = self.deps.clock.now()
        expires = now + timedelta(seconds=max_age) if max_age else None

        async def work(uow: UnitOfWork) -> Invite:
            # Locked: the quota is counted, then written.
            _, member = await locked_server_as_member(uow, server_id, identity.user_id)
            require(member.role, Action.MANAGE_INVITES)
            await self._check_invite_quota(uow, server_id, now)
            code = self.deps.new_invite_code()
            invite = Invite(code, server_id, identity.user_id, now, expires, max_uses)
            await uow.invites.add(invite)
            await self._audit(
                uow,
                server_id,
                AuditAction.INVITE_CREATE,
                identity.user_id,
                None,
                [
                    changed("code", None, code),
                    changed("max_age", None, max_age),
                    changed("max_uses", None, max_uses),
                ],
                reason,
            )
            return invite

        for _ in range(CODE_ATTEMPTS):
            try:
                return await self.deps.uow.run(work)
            except DuplicateKey:
                continue  # the random code is taken: a new transaction, a new code
        raise Conflict("Could not find a free invite code; try again.", code="conflict")

    @staticmethod
    async def _check_invite_quota(uow: UnitOfWork, server_id: Snowflake, now: datetime) -> None:
        # Expired and used-up invites do not count against the quota: they go first.
        await uow.invites.purge_unusable(server_id, now)
        if await uow.invites.count_for_server(server_id) >= limits.INVITES_PER_SERVER_MAX:
            raise LimitReached(
                f"A server can have at most {limits.INVITES_PER_SERVER_MAX} invites.",
                code="too_many_invites",
            )

    async def list_invites(self, identity: Identity, server_id: Snowflake) -> list[Invite]:
        async with self.deps.uow(read_only=True) as uow:
            member = await membership(uow, server_id, identity.user_id)
            require(member.role, Action.MANAGE_INVITES)
            return await uow.invites.list_for_server(server_id)

    async def preview(self, identity: Identity, code: str) -> InvitePreview:
        """What joining would mean. Expired and used-up invites look like unknown ones."""
        async with self.deps.uow(read_only=True) as uow:
            invite = await uow.invites.get(code)
            if invite is None or not invite.is_usable(self.deps.clock.now()):
                raise _unknown_invite()
            server = await uow.servers.get(invite.server_id)
            if server is None:
                raise _unknown_invite()
            return InvitePreview(invite, server, await uow.members.count(server.id))

    async def accept(self, identity: Identity, code: str) -> ServerSnapshot:
        """Join by code. Joining a server you are already in uses nothing and just returns it."""
        now = self.deps.clock.now()
        async with self.deps.uow(read_only=True) as uow:
            found = await uow.invites.get(code)
        if found is None:
            raise _unknown_invite()
        server_id = found.server_id

        async def work(uow: UnitOfWork) -> ServerSnapshot:
            # Locked in the documented order: the user (servers per user), then the server.
            if await uow.users.lock(identity.user_id) is None:
                raise _unknown_invite()
            server = await uow.servers.lock(server_id)
            if server is None:
                raise _unknown_invite()
            existing = await uow.members.get(server.id, identity.user_id)
            if existing is not None:
                return await snapshot(uow, server, existing)
            if await uow.bans.get(server.id, identity.user_id) is not None:
                raise Forbidden("You are banned from this server.", code="banned")
            await check_server_quota(uow, identity.user_id)
            if not await uow.invites.consume(code, now):
                raise _unknown_invite()
            member = Member(server.id, identity.user_id, Role.MEMBER, now)
            await uow.members.add(member)
            snap = await snapshot(uow, server, member)
            view = await uow.members.get_view(server.id, identity.user_id)
            uow.record(await self._join_events(uow, snap, view))
            return snap

        try:
            return await self.deps.uow.run(work)
        except DuplicateKey:  # joined meanwhile by another way (the user lock makes it rare)
            return await self._current_snapshot(identity, server_id)

    async def _current_snapshot(self, identity: Identity, server_id: Snowflake) -> ServerSnapshot:
        async with self.deps.uow(read_only=True) as uow:
            server, member = await server_as_member(uow, server_id, identity.user_id)
            return await snapshot(uow, server, member)

    async def _join_events(
        self, uow: UnitOfWork, snap: ServerSnapshot, view: MemberView | None
    ) -> list[Event]:
        del uow
        return await join_events(self.deps, snap, view)

    async def revoke(self, identity: Identity, code: str, *, reason: str | None = None) -> None:
        reason = limits.audit_reason(reason)

        async def work(uow: UnitOfWork) -> None:
            invite = await uow.invites.get(code)
            if invite is None:
                raise _unknown_invite()
            member = await uow.members.get(invite.server_id, identity.user_id)
            if member is None:
                raise _unknown_invite()
            require(member.role, Action.MANAGE_INVITES)
            await uow.invites.delete(code)
            await self._audit(
                uow,
                invite.server_id,
                AuditAction.INVITE_DELETE,
                identity.user_id,
                None,
                [changed("code", code, None)],
                reason,
            )

        await self.deps.uow.run(work)
