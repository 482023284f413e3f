"""Members: list (paginated, with presence), read, change role, kick, leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import limits
from ..errors import Conflict, NotFound, ValidationFailed
from ..events import Event, MemberRemoved, MemberUpdated, ServerUnavailable
from ..model import AuditAction, MemberView, Presence, Role, Snowflake
from ..permissions import require_kick, require_role_change, require_timeout
from ..ports import UnitOfWork
from ..presence import visible_presence
from .auth import Identity
from .base import MEMBER_NOT_FOUND, UseCases, changed, locked_server_as_member, membership

KEEP = object()
"""`update(until=KEEP)`: leave the member's timeout as it is."""


@dataclass(frozen=True, slots=True)
class MemberWithPresence:
    view: MemberView
    presence: Presence


class MemberUseCases(UseCases):
    async def list_members(
        self,
        identity: Identity,
        server_id: Snowflake,
        *,
        after: Snowflake | None = None,
        limit: int | None = None,
    ) -> list[MemberWithPresence]:
        """Members ascending by user id; page on with `after` = the last user id seen."""
        limit = limits.page_limit(
            limit, default=limits.MEMBER_PAGE_DEFAULT, maximum=limits.MEMBER_PAGE_MAX
        )
        async with self.deps.uow(read_only=True) as uow:
            await membership(uow, server_id, identity.user_id)
            views = await uow.members.list_page(server_id, after_user_id=after or 0, limit=limit)
        return await self.with_presence(views)

    async def get(
        self, identity: Identity, server_id: Snowflake, user_id: Snowflake
    ) -> MemberWithPresence:
        async with self.deps.uow(read_only=True) as uow:
            await membership(uow, server_id, identity.user_id)
            view = await uow.members.get_view(server_id, user_id)
        if view is None:
            raise NotFound(MEMBER_NOT_FOUND, code="unknown_member")
        return (await self.with_presence([view]))[0]

    async def with_presence(self, views: list[MemberView]) -> list[MemberWithPresence]:
        online = await self.deps.presence.online(v.member.user_id for v in views)
        return [
            MemberWithPresence(v, visible_presence(v.status, v.member.user_id in online))
            for v in views
        ]

    async def set_role(
        self,
        identity: Identity,
        server_id: Snowflake,
        user_id: Snowflake,
        role: Role,
        *,
        reason: str | None = None,
    ) -> MemberView:
        return await self.update(identity, server_id, user_id, role=role, reason=reason)

    async def update(
        self,
        identity: Identity,
        server_id: Snowflake,
        user_id: Snowflake,
        *,
        role: Role | None = None,
        until: datetime | object | None = KEEP,
        reason: str | None = None,
    ) -> MemberView:
        """Change a member's role (admin and above) and/or time them out `until` then
        (moderator and above, at most 28 days ahead; None lifts it), on members ranked below
        you. Each change is audited; both or neither happen."""
        reason = limits.audit_reason(reason)
        now = self.deps.clock.now()
        new_until: datetime | None = None
        if until is not KEEP:
            new_until = self._check_timeout(until, now)

        async def work(uow: UnitOfWork) -> MemberView:
            _, actor = await locked_server_as_member(uow, server_id, identity.user_id)
            target = await uow.members.get_view(server_id, user_id)
            if target is None:
                raise NotFound(MEMBER_NOT_FOUND, code="unknown_member")
            member = target.member
            changed_any = False
            if role is not None:
                require_role_change(actor.role, member.role, role)
                if member.role is not role:
                    await uow.members.set_role(server_id, user_id, role)
                    await self._audit(
                        uow,
                        server_id,
                        AuditAction.MEMBER_ROLE_UPDATE,
                        identity.user_id,
                        user_id,
                        [changed("role", member.role, role)],
                        reason,
                    )
                    member.role = role
                    changed_any = True
            if until is not KEEP:
                require_timeout(actor.role, member.role)
                current = member.communication_disabled_until
                if current is not None and current <= now:
                    current = None  # an expired timeout is no timeout
                if current != new_until:
                    await uow.members.set_timeout(server_id, user_id, new_until)
                    await self._audit(
                        uow,
                        server_id,
                        AuditAction.MEMBER_UPDATE,
                        identity.user_id,
                        user_id,
                        [changed("communication_disabled_until", current, until)],
                        reason,
                    )
                    member.communication_disabled_until = new_until
                    changed_any = True
            if changed_any:
                uow.record([MemberUpdated(server_id, target)])
            return target

        return await self.deps.uow.run(work)

    @staticmethod
    def _check_timeout(timeout: object, now: datetime) -> datetime | None:
        if timeout is None:
            return None
        if not isinstance(timeout, datetime) or timeout.tzinfo is None:
            raise ValidationFailed(
                "communication_disabled_until must be a time with a time zone, or null.",
                field="communication_disabled_until",
            )
        if timeout <= now:
            raise ValidationFailed(
                "communication_disabled_until must be in the future (null lifts a timeout).",
                field="communication_disabled_until",
            )
        if timeout > now + timedelta(seconds=limits.TIMEOUT_MAX_SECONDS):
            raise ValidationFailed(
                "A timeout lasts at most 28 days.", field="communication_disabled_until"
            )
        return timeout

    async def kick(
        self,
        identity: Identity,
        server_id: Snowflake,
        user_id: Snowflake,
        *,
        reason: str | None = None,
    ) -> None:
        reason = limits.audit_reason(reason)

        async def work(uow: UnitOfWork) -> None:
            _, actor = await locked_server_as_member(uow, server_id, identity.user_id)
            target = await uow.members.get(server_id, user_id)
            if target is None:
                raise NotFound(MEMBER_NOT_FOUND, code="unknown_member")
            require_kick(actor.role, target.role)
            await uow.members.remove(server_id, user_id)
            await self._audit(
                uow,
                server_id,
                AuditAction.MEMBER_KICK,
                identity.user_id,
                user_id,
                reason=reason,
            )
            uow.record(self._removal_events(server_id, user_id, kicked=True))

        await self.deps.uow.run(work)

    async def leave(self, identity: Identity, server_id: Snowflake) -> None:
        async def work(uow: UnitOfWork) -> None:
            # Locked: a transfer to this member racing the leave would leave an owner who is
            # not a member.
            _, member = await locked_server_as_member(uow, server_id, identity.user_id)
            if member.role is Role.OWNER:
                raise Conflict(
                    "The owner cannot leave; transfer ownership or delete the server.",
                    code="owner_cannot_leave",
                )
            await uow.members.remove(server_id, identity.user_id)
            uow.record(self._removal_events(server_id, identity.user_id, kicked=False))

        await self.deps.uow.run(work)

    @staticmethod
    def _removal_events(server_id: Snowflake, user_id: Snowflake, *, kicked: bool) -> list[Event]:
        # MEMBER_REMOVE first on the server topic, so the gateway stops the member's
        # subscription before any later event of that server.
        return [
            MemberRemoved(server_id, user_id, kicked),
            ServerUnavailable(user_id, server_id),
        ]
