"""Profiles: read your own, look up others, change username, email, status or password."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .. import limits
from ..errors import DuplicateKey, NotFound, Unauthorized, ValidationFailed
from ..events import Event, MemberUpdated, SessionsRevoked, UserUpdated
from ..files import FileKind, FileRef
from ..model import Member, MemberView, Server, Snowflake, User, UserStatus
from ..ports import UnitOfWork
from ..presence import visible_presence
from .accounts import UserExportItem, delete_account, export_user
from .auth import Identity, _taken
from .base import USER_NOT_FOUND, UseCases, large_servers, presence_events
from .files import discard_files, store_pictures
from .uploads import prepare_picture


class UserUseCases(UseCases):
    async def me(self, identity: Identity) -> User:
        return await self.get(identity, identity.user_id)

    async def get(self, identity: Identity, user_id: Snowflake) -> User:
        """Any signed-in user may look up any user; entrypoints send only the public part."""
        async with self.deps.uow(read_only=True) as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(USER_NOT_FOUND, code="unknown_user")
        return user

    async def servers(self, identity: Identity) -> list[tuple[Server, Member]]:
        async with self.deps.uow(read_only=True) as uow:
            return await uow.servers.list_for_user(identity.user_id)

    async def update_me(
        self,
        identity: Identity,
        *,
        username: str | None = None,
        email: str | None = None,
        status: UserStatus | None = None,
        password: str | None = None,
        current_password: str | None = None,
        avatar: bytes | None = None,
        remove_avatar: bool = False,
    ) -> User:
        """Change profile fields. Email and password changes need the current password;
        a password change signs out every other session. `avatar` is an image (resized to
        `files.AVATAR_SIZES` squares, stored before the change commits); `remove_avatar` goes
        back to none. The files of a replaced avatar are deleted after the commit."""
        username = limits.username(username) if username is not None else None
        email = limits.email(email) if email is not None else None
        password = self._new_password(password) if password is not None else None
        user = await self.me(identity)
        if email is not None or password is not None:
            await self._check_current_password(user, current_password)
        images = await prepare_picture(self.deps, avatar, "avatar") if avatar is not None else None
        new_hash = await self.deps.hasher.hash(password) if password is not None else None
        before = (user.username, user.status, user.avatar)
        updated_at = self.deps.clock.now()
        new_avatar = None
        if images is not None:
            new_avatar = await store_pictures(self.deps, FileKind.AVATAR, user.id, images)

        async def work(uow: UnitOfWork) -> tuple[User, list[FileRef]]:
            # Locked: the row is written back whole; a concurrent change of another field
            # (a password) must not be undone by this one.
            user = await self._locked_user(identity.user_id, uow)
            if username is not None and username != user.username:
                if await uow.users.get_by_username(username) is not None:
                    raise _taken("username")
                user.username = username
            if email is not None and email != user.email:
                if await uow.users.get_by_email(email) is not None:
                    raise _taken("email")
                user.email = email
            if status is not None:
                user.status = status
            if new_hash is not None:
                user.password_hash = new_hash
            old_avatar = user.avatar
            if new_avatar is not None:
                user.avatar = new_avatar.version
                await uow.file_deletions.cancel([new_avatar])
            elif remove_avatar:
                user.avatar = None
            replaced: list[FileRef] = []
            if old_avatar is not None and old_avatar != user.avatar:
                replaced = [FileRef(FileKind.AVATAR, user.id, old_avatar)]
                await uow.file_deletions.schedule(replaced, updated_at)
            user.updated_at = updated_at
            try:
                await uow.users.update(user)
            except DuplicateKey as exc:
                raise _taken(exc.constraint) from exc
            events: list[Event] = [UserUpdated(user.id, user)]
            if new_hash is not None:
                revoked = await uow.sessions.revoke_all(
                    user.id, updated_at, keep=identity.session_id
                )
                events.append(SessionsRevoked(user.id, tuple(revoked)))
            memberships = await uow.servers.list_for_user(user.id)
            events += await self._announce(uow, user, before, [m for _, m in memberships])
            uow.record(events)
            return user, replaced

        try:
            saved, replaced = await self.deps.uow.run(work)
        except BaseException:
            if new_avatar is not None and new_avatar.version != user.avatar:
                await discard_files(self.deps, [new_avatar])
            raise
        await discard_files(self.deps, replaced)  # after the commit: never a row without its file
        return saved

    async def delete_me(self, identity: Identity, password: str) -> None:
        """Delete your account (`accounts.delete_account`): refused with 409 while you own a
        server; otherwise you leave every server, are signed out everywhere and the account
        is anonymised (messages stay, shown as "Deleted user"; username and email are free
        again). Needs your password."""
        user = await self.me(identity)
        await self._check_current_password(user, password, field="password")

        async def work(uow: UnitOfWork) -> list[FileRef]:
            current = await self._locked_user(identity.user_id, uow)
            if current.deleted_at is not None:
                return []
            return await delete_account(self.deps, uow, current)

        refs = await self.deps.uow.run(work)
        await discard_files(self.deps, refs)  # after the commit

    async def export_me(self, identity: Identity) -> AsyncIterator[UserExportItem]:
        """Your profile, your servers and your own messages (oldest first), a page at a time
        (`accounts.export_user`)."""
        async for item in export_user(self.deps, identity.user_id):
            yield item

    async def _check_current_password(
        self, user: User, current_password: str | None, *, field: str = "current_password"
    ) -> None:
        if current_password is None:
            raise ValidationFailed(
                "current_password is required to change email or password.", field=field
            )
        if limits.has_lone_surrogates(current_password) or not await self.deps.hasher.verify(
            user.password_hash, current_password
        ):
            raise Unauthorized(f"{field} is incorrect.", code="invalid_credentials")

    @staticmethod
    async def _locked_user(user_id: Snowflake, uow: UnitOfWork) -> User:
        user = await uow.users.lock(user_id)
        if user is None:
            raise NotFound(USER_NOT_FOUND, code="unknown_user")
        return user

    async def _announce(
        self,
        uow: UnitOfWork,
        user: User,
        before: tuple[str, UserStatus, str | None],
        memberships: list[Member],
    ) -> list[Event]:
        """MEMBER_UPDATE for a new username or avatar, PRESENCE_UPDATE when what others see
        changed."""
        events: list[Event] = []
        old_username, old_status, old_avatar = before
        if user.username != old_username or user.avatar != old_avatar:
            events += [
                MemberUpdated(
                    m.server_id, MemberView(m, user.username, user.status, user.avatar, user.bot)
                )
                for m in memberships
            ]
        online = user.id in await self.deps.presence.online([user.id])
        old_presence = visible_presence(old_status, online)
        new_presence = visible_presence(user.status, online)
        if new_presence != old_presence:
            server_ids = [m.server_id for m in memberships]
            large = await large_servers(uow, server_ids, self.deps.large_server_members)
            channel_ids = await uow.channels.private_ids_for_user(user.id)
            events += presence_events(server_ids, user.id, new_presence, large, channel_ids)
        return events
