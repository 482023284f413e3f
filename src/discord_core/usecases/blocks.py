"""Blocking: a blocked user cannot open a DM with you, add you to a group, or post, react or
type in a DM you share (403 `blocked`). Their messages in shared servers stay visible (clients
collapse them); a block changes nothing anyone else sees."""

from __future__ import annotations

from .. import limits
from ..errors import LimitReached, ValidationFailed
from ..events import UserBlocked, UserUnblocked
from ..model import User
from ..ports import UnitOfWork
from .auth import Identity
from .base import UseCases, unknown_user
from .private_channels import locked_users


class BlockUseCases(UseCases):
    async def list(self, identity: Identity) -> list[User]:
        """Whom the caller blocked, oldest first."""
        async with self.deps.uow(read_only=True) as uow:
            ids = await uow.blocks.blocked_ids(identity.user_id)
            users = [await uow.users.get(uid) for uid in ids]
        return [user for user in users if user is not None]

    async def block(self, identity: Identity, user_id: int) -> None:
        """Idempotent. Anyone the caller could know (any existing account) may be blocked."""
        me = identity.user_id
        target_id = limits.snowflake(user_id, "user_id")
        if target_id == me:
            raise ValidationFailed("You cannot block yourself.", code="self_block")

        async def work(uow: UnitOfWork) -> None:
            # Both locked, ascending: a DM being opened between them waits (or is refused).
            users = {u.id: u for u in await locked_users(uow, (me, target_id))}
            target = users.get(target_id)
            if target is None:
                raise unknown_user()
            if await uow.blocks.count(me) >= limits.BLOCKS_PER_USER_MAX:
                raise LimitReached(
                    f"You can block at most {limits.BLOCKS_PER_USER_MAX} users.",
                    code="too_many_blocks",
                )
            if await uow.blocks.add(me, target_id, self.deps.clock.now()):
                uow.record([UserBlocked(me, target)])

        await self.deps.uow.run(work)

    async def unblock(self, identity: Identity, user_id: int) -> None:
        """Idempotent."""
        target_id = limits.snowflake(user_id, "user_id")

        async def work(uow: UnitOfWork) -> None:
            if await uow.blocks.remove(identity.user_id, target_id):
                uow.record([UserUnblocked(identity.user_id, target_id)])

        await self.deps.uow.run(work)
