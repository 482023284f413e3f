"""Bot accounts: an owner creates, lists, re-tokens and deletes them; an admin adds the bots
they own to a server.

A bot is a user (`User.bot`) with a `Bot` row naming its owner and its current token (only
the token's hash: `discord_core.bots`). It signs in only with that token (`Authorization: Bot
<token>`, or the token in IDENTIFY), never with a password, and does everything a member does
with the same rules, because it goes through the same use cases.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .. import bots, limits
from ..errors import Conflict, DuplicateKey, Forbidden, LimitReached, NotFound
from ..events import SessionsRevoked
from ..model import Bot, Member, MemberView, Role, Snowflake, User, UserStatus
from ..permissions import Action, require
from ..ports import UnitOfWork
from .admin import anonymise
from .auth import Identity
from .base import SERVER_NOT_FOUND, UseCases, membership
from .invites import join_events
from .servers import check_server_quota, snapshot

BOT_NOT_FOUND = "Unknown bot."
BOT_PASSWORD_HASH = "!bot"
"""No password verifies against it (and login refuses bots before verifying)."""
TOKEN_ID_BYTES = 12
SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class BotAccount:
    user: User
    bot: Bot


@dataclass(frozen=True, slots=True)
class IssuedBotToken:
    """A bot with its new token: the only time the token is ever shown."""

    user: User
    bot: Bot
    token: str


@dataclass(frozen=True, slots=True)
class BotApplication:
    user: User
    bot: Bot
    owner: User


@dataclass(frozen=True, slots=True)
class AddedBot:
    view: MemberView
    created: bool
    """False when the bot was a member already (nothing changed)."""


def _unknown_bot() -> NotFound:
    return NotFound(BOT_NOT_FOUND, code="unknown_bot")


def _no_bot_owner(identity: Identity) -> None:
    if identity.bot:
        raise Forbidden("Bots cannot own bots.", code="missing_permission")


def _new_token(user_id: Snowflake) -> tuple[str, str]:
    """(token id, token)."""
    token_id = secrets.token_urlsafe(TOKEN_ID_BYTES)
    return token_id, bots.make_token(user_id, token_id, secrets.token_urlsafe(SECRET_BYTES))


class BotUseCases(UseCases):
    async def create(self, identity: Identity, username: str) -> IssuedBotToken:
        """A new bot owned by the caller, with its first token."""
        _no_bot_owner(identity)
        username = limits.username(username)
        now = self.deps.clock.now()
        user_id = self.deps.ids.next_id()
        user = User(
            id=user_id,
            username=username,
            email=f"bot-{user_id}@bots.invalid",
            password_hash=BOT_PASSWORD_HASH,
            status=UserStatus.ONLINE,
            created_at=now,
            updated_at=now,
            bot=True,
        )
        token_id, token = _new_token(user_id)
        bot = Bot(user_id, identity.user_id, token_id, bots.hash_token(token), now)

        async def work(uow: UnitOfWork) -> None:
            # Locked: the owner's bots are counted, then one is added.
            owner = await uow.users.lock(identity.user_id)
            if owner is None or owner.bot or not owner.can_sign_in:
                raise Forbidden("Bots cannot own bots.", code="missing_permission")
            if await uow.bots.count_for_owner(identity.user_id) >= limits.BOTS_PER_USER_MAX:
                raise LimitReached(
                    f"You can own at most {limits.BOTS_PER_USER_MAX} bots.", code="too_many_bots"
                )
            if await uow.users.get_by_username(username) is not None:
                raise _username_taken()
            try:
                await uow.users.add(user)
            except DuplicateKey as exc:
                raise _username_taken() from exc
            await uow.bots.add(bot)

        await self.deps.uow.run(work)
        return IssuedBotToken(user, bot, token)

    async def list_bots(self, identity: Identity) -> list[BotAccount]:
        async with self.deps.uow(read_only=True) as uow:
            pairs = await uow.bots.list_for_owner(identity.user_id)
        return [BotAccount(user, bot) for bot, user in pairs]

    async def application(self, identity: Identity) -> BotApplication:
        """The calling bot with its owner (Discord's "application" of a bot)."""
        async with self.deps.uow(read_only=True) as uow:
            bot = await uow.bots.get(identity.user_id)
            user = await uow.users.get(identity.user_id)
            owner = await uow.users.get(bot.owner_id) if bot is not None else None
        if bot is None or user is None or owner is None:
            raise Forbidden("Only a bot has an application.", code="missing_permission")
        return BotApplication(user, bot, owner)

    async def reset_token(self, identity: Identity, bot_id: Snowflake) -> IssuedBotToken:
        """A new token; the old one stops working at once and its gateway sessions close."""
        token_id, token = _new_token(bot_id)

        async def work(uow: UnitOfWork) -> IssuedBotToken:
            user, bot = await self._owned(uow, identity, bot_id)
            old = bot.token_id
            bot.token_id, bot.token_hash = token_id, bots.hash_token(token)
            await uow.bots.set_token(bot_id, bot.token_id, bot.token_hash)
            uow.record([SessionsRevoked(bot_id, (old,))])
            return IssuedBotToken(user, bot, token)

        return await self.deps.uow.run(work)

    async def delete(self, identity: Identity, bot_id: Snowflake) -> None:
        """The bot leaves every server and can never sign in again; its messages stay and
        show "Deleted user" (as a deleted account's do)."""

        async def work(uow: UnitOfWork) -> None:
            user, bot = await self._owned(uow, identity, bot_id)
            await anonymise(uow, user, self.deps.clock.now())
            await uow.bots.delete(bot_id)
            uow.record([SessionsRevoked(bot_id, (bot.token_id,))])

        await self.deps.uow.run(work)

    async def add_to_server(
        self, identity: Identity, server_id: Snowflake, user_id: Snowflake
    ) -> AddedBot:
        """An admin (or the owner) adds a bot they own. Adding a member again is a no-op."""
        now = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> AddedBot:
            # Lock order: the bot (servers per user), then the server.
            user = await uow.users.lock(user_id)
            bot = await uow.bots.get(user_id) if user is not None else None
            server = await uow.servers.lock(server_id)
            if server is None:
                raise NotFound(SERVER_NOT_FOUND, code="unknown_server")
            actor = await membership(uow, server_id, identity.user_id)
            require(actor.role, Action.ADD_BOT)
            if user is None or bot is None or bot.owner_id != identity.user_id:
                raise Forbidden(
                    "You can add only bots you own; people join with an invite.",
                    code="missing_permission",
                )
            existing = await uow.members.get_view(server_id, user_id)
            if existing is not None:
                return AddedBot(existing, created=False)
            await check_server_quota(uow, user_id)
            member = Member(server_id, user_id, Role.MEMBER, now)
            await uow.members.add(member)
            snap = await snapshot(uow, server, member)
            view = await uow.members.get_view(server_id, user_id)
            assert view is not None
            uow.record(await join_events(self.deps, snap, view))
            return AddedBot(view, created=True)

        return await self.deps.uow.run(work)

    @staticmethod
    async def _owned(uow: UnitOfWork, identity: Identity, bot_id: Snowflake) -> tuple[User, Bot]:
        """The caller's bot, its user row locked. Someone else's bot looks unknown."""
        user = await uow.users.lock(bot_id)
        bot = await uow.bots.get(bot_id) if user is not None else None
        if user is None or bot is None or bot.owner_id != identity.user_id:
            raise _unknown_bot()
        return user, bot


def _username_taken() -> Conflict:
    return Conflict("That username is taken.", code="username_taken", field="username")
