"""What the server's operator does (the `concord` admin commands; later the API's
`DELETE /users/@me` reuses `delete_user`): accounts, servers, exports.

The operator is trusted (they hold the database): these use cases check no role, but they
keep every rule of the product that is not about permissions (limits, unique names, "an owner
cannot leave") and record the same events as the users' own actions, so sockets close and
member lists update at once on every instance.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from ..errors import Conflict, NotFound
from ..events import MemberRemoved, ServerDeleted, ServerUnavailable, SessionsRevoked
from ..model import (
    Channel,
    MemberView,
    MessageView,
    Role,
    Server,
    Snowflake,
    User,
    UserStatus,
    deleted_username,
)
from ..ports import UnitOfWork
from .auth import AuthUseCases
from .base import USER_NOT_FOUND, UseCases

PAGE = 100
TEMPORARY_PASSWORD_BYTES = 12


@dataclass(frozen=True, slots=True)
class ServerSummary:
    server: Server
    owner_username: str
    members: int


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One piece of a server's export, in order: the server, then each channel followed by
    its messages (oldest first), then the members."""

    server: Server | None = None
    channel_count: int = 0
    """With the server: how many channels follow."""
    channel: Channel | None = None
    message: MessageView | None = None
    member: MemberView | None = None


class AdminUseCases(UseCases):
    def __init__(self, auth: AuthUseCases) -> None:
        super().__init__(auth.deps)
        self._auth = auth

    # --- accounts -----------------------------------------------------------------------------

    async def create_user(self, username: str, email: str, password: str) -> User:
        """An account as registration makes it (same limits), without signing it in."""
        return await self._auth.create_account(username, email, password)

    async def list_users(self, after: Snowflake = 0, limit: int = PAGE) -> list[User]:
        async with self.deps.uow(read_only=True) as uow:
            return await uow.users.list_page(after, limit)

    async def find_user(self, name_or_id: str) -> User:
        """By username (any case) or by id."""
        async with self.deps.uow(read_only=True) as uow:
            return await _find(uow, name_or_id)

    async def reset_password(self, name_or_id: str, password: str | None = None) -> str:
        """Set a new password (a random temporary one when None, returned once) and sign the
        user out everywhere."""
        password = (
            password if password is not None else secrets.token_urlsafe(TEMPORARY_PASSWORD_BYTES)
        )
        password = self._new_password(password)
        password_hash = await self.deps.hasher.hash(password)

        async def work(uow: UnitOfWork) -> None:
            user = await _find(uow, name_or_id, lock=True)
            user.password_hash = password_hash
            user.updated_at = self.deps.clock.now()
            await uow.users.update(user)
            await self._sign_out(uow, user)

        await self.deps.uow.run(work)
        return password

    async def disable_user(self, name_or_id: str) -> User:
        """The user cannot sign in any more; their tokens fail and their sockets close now."""

        async def work(uow: UnitOfWork) -> User:
            user = await _find(uow, name_or_id, lock=True)
            if user.disabled_at is None:
                user.disabled_at = self.deps.clock.now()
                user.updated_at = user.disabled_at
                await uow.users.update(user)
            await self._sign_out(uow, user)
            return user

        return await self.deps.uow.run(work)

    async def enable_user(self, name_or_id: str) -> User:
        async def work(uow: UnitOfWork) -> User:
            user = await _find(uow, name_or_id, lock=True)
            if user.deleted_at is not None:
                raise Conflict("A deleted account cannot be enabled.", code="user_deleted")
            if user.disabled_at is not None:
                user.disabled_at = None
                user.updated_at = self.deps.clock.now()
                await uow.users.update(user)
            return user

        return await self.deps.uow.run(work)

    async def delete_user(self, name_or_id: str) -> User:
        """Anonymise the account: it leaves every server, its username and email are freed,
        it is signed out everywhere and can never sign in again; its messages stay and show
        "Deleted user". Refused while the user owns a server (transfer or delete it first)."""

        async def work(uow: UnitOfWork) -> User:
            # Lock order: the user, then their servers ascending (ports.UnitOfWork).
            user = await _find(uow, name_or_id, lock=True)
            if user.deleted_at is not None:
                return user
            await anonymise(uow, user, self.deps.clock.now())
            await self._sign_out(uow, user)
            return user

        return await self.deps.uow.run(work)

    async def _sign_out(self, uow: UnitOfWork, user: User) -> None:
        revoked = await uow.sessions.revoke_all(user.id, self.deps.clock.now())
        bot = await uow.bots.get(user.id) if user.bot else None
        if bot is not None:  # a bot's token: its gateway sessions close too
            revoked.append(bot.token_id)
        if revoked:
            uow.record([SessionsRevoked(user.id, tuple(revoked))])

    # --- servers ------------------------------------------------------------------------------

    async def list_servers(self, after: Snowflake = 0, limit: int = PAGE) -> list[ServerSummary]:
        async with self.deps.uow(read_only=True) as uow:
            servers = await uow.servers.list_page(after, limit)
            counts = await uow.members.counts([s.id for s in servers])
            summaries = []
            for server in servers:
                owner = await uow.users.get(server.owner_id)
                name = owner.username if owner is not None else "?"
                summaries.append(ServerSummary(server, name, counts.get(server.id, 0)))
        return summaries

    async def delete_server(self, server_id: Snowflake) -> Server:
        """Delete a server with everything in it; its members see SERVER_DELETE at once."""

        async def work(uow: UnitOfWork) -> Server:
            server = await uow.servers.lock(server_id)
            if server is None:
                raise NotFound("Unknown server.", code="unknown_server")
            await uow.servers.delete(server_id)
            uow.record([ServerDeleted(server_id)])
            return server

        return await self.deps.uow.run(work)

    async def export_server(self, server_id: Snowflake) -> AsyncIterator[ExportItem]:
        """The server, its channels with their messages (oldest first), and its members, a
        page at a time (constant memory, one short read transaction per page)."""
        async with self.deps.uow(read_only=True) as uow:
            server = await uow.servers.get(server_id)
            if server is None:
                raise NotFound("Unknown server.", code="unknown_server")
            channels = await uow.channels.list_for_server(server_id)
        yield ExportItem(server=server, channel_count=len(channels))
        for channel in channels:
            yield ExportItem(channel=channel)
            after: Snowflake = 0
            while True:
                async with self.deps.uow(read_only=True) as uow:
                    page = await uow.messages.list_after(channel.id, after, PAGE)
                for view in page:
                    yield ExportItem(message=view)
                if len(page) < PAGE:
                    break
                after = page[-1].message.id
        after = 0
        while True:
            async with self.deps.uow(read_only=True) as uow:
                members = await uow.members.list_page(server_id, after_user_id=after, limit=PAGE)
            for member in members:
                yield ExportItem(member=member)
            if len(members) < PAGE:
                break
            after = members[-1].member.user_id


async def anonymise(uow: UnitOfWork, user: User, now: datetime) -> None:
    """Delete an account the way that keeps its messages (the user row is locked by the
    caller): it leaves every server (locked in order, after the user), its username and email
    are freed, it can never sign in again. Refused while it owns a server. The caller signs
    it out."""
    memberships = await uow.servers.list_for_user(user.id)
    for server_id in sorted(server.id for server, _ in memberships):
        await uow.servers.lock(server_id)
    memberships = await uow.servers.list_for_user(user.id)  # as it is now
    owned = [server for server, member in memberships if member.role is Role.OWNER]
    if owned:
        names = ", ".join(f"{s.name} ({s.id})" for s in owned[:5])
        raise Conflict(
            f"{user.username} owns {len(owned)} server(s): {names}; transfer "
            "ownership or delete them first.",
            code="owner_cannot_leave",
        )
    for server, _member in memberships:
        await uow.members.remove(server.id, user.id)
        uow.record(
            [
                MemberRemoved(server.id, user.id, False),
                ServerUnavailable(user.id, server.id),
            ]
        )
    user.username = deleted_username(user.id)
    user.email = f"{deleted_username(user.id)}@deleted.invalid"
    user.password_hash = "!deleted"  # no password verifies against it
    user.status = UserStatus.INVISIBLE
    user.deleted_at = now
    user.disabled_at = user.disabled_at or now
    user.updated_at = now
    await uow.users.update(user)


async def _find(uow: UnitOfWork, name_or_id: str, *, lock: bool = False) -> User:
    """By username (any case) or id; `lock`: the row is locked and read as it is now."""
    text = name_or_id.strip()
    user = await uow.users.get_by_username(text.lower())
    if user is None and text.isdigit() and len(text) < 20:
        user = await uow.users.get(int(text))
    if user is not None and lock:
        user = await uow.users.lock(user.id)
    if user is None:
        raise NotFound(USER_NOT_FOUND, code="unknown_user")
    return user
