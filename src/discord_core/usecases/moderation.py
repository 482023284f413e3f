"""Moderation: bans (with message clean-up), unbans, the bans list, the audit log.

A ban removes the member at once (as a kick does: MEMBER_REMOVE to the server, SERVER_DELETE
to the banned user's sessions) and keeps them out: `InviteUseCases.accept` refuses every
invite with 403 `banned`. Bans and joins lock the server, so a join racing a ban either
happens first (and the ban removes the new member) or is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .. import limits
from ..errors import DuplicateKey, NotFound, ValidationFailed
from ..events import Event, MessageDeleted
from ..files import FileRef
from ..model import AuditAction, AuditEntry, Ban, BanView, Snowflake
from ..permissions import Action, require, require_ban
from ..ports import UnitOfWork
from .auth import Identity
from .base import USER_NOT_FOUND, UseCases, changed, locked_server_as_member, membership
from .files import discard_files
from .members import MemberUseCases

BAN_NOT_FOUND = "Unknown ban."


@dataclass(frozen=True, slots=True)
class BanResult:
    ban: Ban
    created: bool
    """False when the user was banned already (nothing changed)."""
    deleted_messages: int = 0


class ModerationUseCases(UseCases):
    async def ban(
        self,
        identity: Identity,
        server_id: Snowflake,
        user_id: Snowflake,
        *,
        reason: str | None = None,
        delete_message_seconds: int = 0,
    ) -> BanResult:
        """Ban a member ranked below you, or a user who is not a member. Their messages of
        the last `delete_message_seconds` (at most 7 days) in the server are deleted too.
        Banning someone banned already changes nothing."""
        reason = limits.audit_reason(reason)
        seconds = limits.ban_delete_seconds(delete_message_seconds)

        async def work(uow: UnitOfWork) -> tuple[BanResult, list[FileRef]]:
            _, actor = await locked_server_as_member(uow, server_id, identity.user_id)
            target = await uow.members.get(server_id, user_id)
            require_ban(actor.role, target.role if target is not None else None)
            existing = await uow.bans.get(server_id, user_id)
            if existing is not None:
                return BanResult(existing, created=False), []
            if target is None and await uow.users.get(user_id) is None:
                raise NotFound(USER_NOT_FOUND, code="unknown_user")
            now = self.deps.clock.now()
            ban = Ban(server_id, user_id, reason, identity.user_id, now)
            await uow.bans.add(ban)
            events: list[Event] = []
            if target is not None:
                await uow.members.remove(server_id, user_id)
                events += MemberUseCases._removal_events(server_id, user_id, kicked=True)
            refs: list[FileRef] = []
            deleted = 0
            if seconds:
                gone = await uow.messages.recent_by_author(
                    server_id, user_id, now - timedelta(seconds=seconds)
                )
                for message in gone:
                    if message.attachment_count:
                        refs += await uow.file_deletions.schedule_message(message.id, now)
                await uow.messages.delete_many([m.id for m in gone])
                events += [MessageDeleted(server_id, m.channel_id, m.id) for m in gone]
                deleted = len(gone)
            changes = [changed("delete_message_seconds", None, seconds)] if seconds else []
            await self._audit(
                uow,
                server_id,
                AuditAction.MEMBER_BAN_ADD,
                identity.user_id,
                user_id,
                changes,
                reason,
            )
            uow.record(events)
            return BanResult(ban, created=True, deleted_messages=deleted), refs

        try:
            result, refs = await self.deps.uow.run(work)
        except DuplicateKey:  # banned meanwhile (only without the server lock; kept safe)
            async with self.deps.uow(read_only=True) as uow:
                found = await uow.bans.get(server_id, user_id)
            if found is None:
                raise
            return BanResult(found, created=False)
        await discard_files(self.deps, refs)  # after the commit: never a row without its file
        return result

    async def unban(
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
            require(actor.role, Action.BAN_MEMBER)
            if not await uow.bans.remove(server_id, user_id):
                raise NotFound(BAN_NOT_FOUND, code="unknown_ban")
            await self._audit(
                uow,
                server_id,
                AuditAction.MEMBER_BAN_REMOVE,
                identity.user_id,
                user_id,
                reason=reason,
            )

        await self.deps.uow.run(work)

    async def list_bans(
        self,
        identity: Identity,
        server_id: Snowflake,
        *,
        after: Snowflake | None = None,
        limit: int | None = None,
    ) -> list[BanView]:
        """Ascending by user id; page on with `after` = the last user id seen."""
        limit = limits.page_limit(
            limit, default=limits.BAN_PAGE_DEFAULT, maximum=limits.BAN_PAGE_MAX
        )
        async with self.deps.uow(read_only=True) as uow:
            member = await membership(uow, server_id, identity.user_id)
            require(member.role, Action.BAN_MEMBER)
            return await uow.bans.list_page(server_id, after_user_id=after or 0, limit=limit)

    async def get_ban(
        self, identity: Identity, server_id: Snowflake, user_id: Snowflake
    ) -> BanView:
        async with self.deps.uow(read_only=True) as uow:
            member = await membership(uow, server_id, identity.user_id)
            require(member.role, Action.BAN_MEMBER)
            ban = await uow.bans.get(server_id, user_id)
            user = await uow.users.get(user_id) if ban is not None else None
        if ban is None or user is None:
            raise NotFound(BAN_NOT_FOUND, code="unknown_ban")
        return BanView(ban, user.username, user.avatar)

    async def audit_log(
        self,
        identity: Identity,
        server_id: Snowflake,
        *,
        before: Snowflake | None = None,
        limit: int | None = None,
        action: str | None = None,
        actor_id: Snowflake | None = None,
    ) -> list[AuditEntry]:
        """Newest first; page on with `before` = the last entry id seen."""
        limit = limits.page_limit(
            limit, default=limits.AUDIT_PAGE_DEFAULT, maximum=limits.AUDIT_PAGE_MAX
        )
        kind = None
        if action is not None:
            try:
                kind = AuditAction(action)
            except ValueError:
                known = ", ".join(a.value for a in AuditAction)
                raise ValidationFailed(f"action must be one of: {known}.", field="action") from None
        async with self.deps.uow(read_only=True) as uow:
            member = await membership(uow, server_id, identity.user_id)
            require(member.role, Action.VIEW_AUDIT_LOG)
            return await uow.audit_log.list_page(
                server_id, before=before, limit=limit, action=kind, actor_id=actor_id
            )
