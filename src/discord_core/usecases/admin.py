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

from ..errors import Conflict, NotFound
from ..events import ServerDeleted, SessionsRevoked
from ..files import FileRef
from ..model import Server, Snowflake, User
from ..ports import UnitOfWork
from .accounts import ExportItem, anonymise, delete_account, export_server
from .auth import AuthUseCases
from .base import USER_NOT_FOUND, UseCases
from .files import discard_files

PAGE = 100
__all__ = ["AdminUseCases", "ExportItem", "ServerSummary", "anonymise"]
TEMPORARY_PASSWORD_BYTES = 12


@dataclass(frozen=True, slots=True)
class ServerSummary:
    server: Server
    owner_username: str
    members: int


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
        """Anonymise the account (`accounts.delete_account`, as `DELETE /users/@me` does):
        it leaves every server, its username and email are freed, it is signed out everywhere
        and can never sign in again; its messages stay and show "Deleted user". Refused while
        the user owns a server (transfer or delete it first)."""

        async def work(uow: UnitOfWork) -> tuple[User, list[FileRef]]:
            user = await _find(uow, name_or_id, lock=True)
            if user.deleted_at is not None:
                return user, []
            return user, await delete_account(self.deps, uow, user)

        user, refs = await self.deps.uow.run(work)
        await discard_files(self.deps, refs)  # after the commit
        return user

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
        page at a time (`accounts.export_server`, as `GET /servers/{id}/export`)."""
        async for item in export_server(self.deps, server_id):
            yield item


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
