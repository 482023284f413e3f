"""Registration, login, token checks, refresh and logout."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import bots, limits
from ..errors import Conflict, DuplicateKey, Forbidden, Unauthorized
from ..events import SessionsRevoked
from ..model import AuthSession, Snowflake, User, UserStatus
from ..ports import UnitOfWork
from .base import Deps, UseCases

INVALID_CREDENTIALS = "Login or password is incorrect."
ACCOUNT_DISABLED = "This account is disabled; ask the server's operator."
DEFAULT_TOKEN_TTL = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is calling: the user and the token (session) they called with."""

    user_id: Snowflake
    session_id: str
    """The token's session (a bot token: its token id)."""
    bot: bool = False
    expires_at: datetime | None = field(default=None, compare=False)
    """When the token stops working (None: a bot token, until it is rotated or revoked)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    session: AuthSession
    user: User


def _no_bot(identity: Identity) -> None:
    if identity.bot:
        raise Forbidden(
            "A bot token does not expire; its owner resets it with "
            "POST /users/@me/bots/{id}/token.",
            code="missing_permission",
        )


def _taken(constraint: str) -> Conflict:
    if constraint == "email":
        return Conflict("That email is already registered.", code="email_taken", field="email")
    return Conflict("That username is taken.", code="username_taken", field="username")


class AuthUseCases(UseCases):
    def __init__(self, deps: Deps, token_ttl: timedelta = DEFAULT_TOKEN_TTL) -> None:
        super().__init__(deps)
        self.token_ttl = token_ttl

    async def register(self, username: str, email: str, password: str) -> IssuedToken:
        user, session = await self._create(username, email, password, sign_in=True)
        assert session is not None
        return IssuedToken(self.deps.tokens.issue(session), session, user)

    async def create_account(self, username: str, email: str, password: str) -> User:
        """An account as registration makes it (same rules), without signing it in."""
        user, _ = await self._create(username, email, password, sign_in=False)
        return user

    async def _create(
        self, username: str, email: str, password: str, *, sign_in: bool
    ) -> tuple[User, AuthSession | None]:
        username = limits.username(username)
        email = limits.email(email)
        password = self._new_password(password)
        # Hash before the transaction opens: it is slow and must not hold a write lock.
        password_hash = await self.deps.hasher.hash(password)
        now = self.deps.clock.now()
        user = User(
            id=self.deps.ids.next_id(),
            username=username,
            email=email,
            password_hash=password_hash,
            status=UserStatus.ONLINE,
            created_at=now,
            updated_at=now,
        )

        async def work(uow: UnitOfWork) -> AuthSession | None:
            if await uow.users.get_by_username(username) is not None:
                raise _taken("username")
            if await uow.users.get_by_email(email) is not None:
                raise _taken("email")
            try:
                await uow.users.add(user)
            except DuplicateKey as exc:  # a concurrent registration won the race
                raise _taken(exc.constraint) from exc
            return await self._open_session(uow, user.id) if sign_in else None

        return user, await self.deps.uow.run(work)

    async def login(self, login: str, password: str) -> IssuedToken:
        """`login` is a username or an email. Unknown account and wrong password look alike."""
        login = limits.strip(login).lower()
        # Input no account can hold must fail like a wrong password, not reach the database
        # or the hasher (PostgreSQL refuses NUL; a lone surrogate cannot be encoded).
        if limits.has_control_chars(login):
            login = ""
        if limits.has_lone_surrogates(password):
            password = ""
        async with self.deps.uow(read_only=True) as uow:
            if "@" in login:
                user = await uow.users.get_by_email(login)
            else:
                user = await uow.users.get_by_username(login)
        stored_hash = user.password_hash if user is not None and not user.bot else None
        if not await self.deps.hasher.verify(stored_hash, password) or user is None:
            raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
        if not user.can_sign_in:  # said only to someone who knows the password
            raise Unauthorized(ACCOUNT_DISABLED, code="account_disabled")
        new_hash = None
        if self.deps.hasher.needs_rehash(user.password_hash):
            new_hash = await self.deps.hasher.hash(password)
        verified = user

        async def work(uow: UnitOfWork) -> tuple[AuthSession, User]:
            # The row as it is now (locked): an operator may have disabled the account
            # meanwhile, and the session must not be opened after that.
            current = await uow.users.lock(verified.id)
            if current is None or not current.can_sign_in:
                raise Unauthorized(ACCOUNT_DISABLED, code="account_disabled")
            # Write the new hash only if the row still holds the hash just verified: a
            # profile or password change committed meanwhile stays.
            if new_hash is not None and current.password_hash == verified.password_hash:
                current.password_hash = new_hash
                await uow.users.update(current)
            return await self._open_session(uow, current.id), current

        session, current = await self.deps.uow.run(work)
        return IssuedToken(self.deps.tokens.issue(session), session, current)

    async def authenticate(self, token: str) -> Identity:
        """Check a token: a user's (signature, expiry, and that its session is not revoked)
        or a bot's (`discord_core.bots`: its hash matches the bot's current token)."""
        parsed = bots.parse_token(token)
        if parsed is not None:
            return await self._authenticate_bot(token, *parsed)
        claims = self.deps.tokens.decode(token)
        async with self.deps.uow(read_only=True) as uow:
            session = await uow.sessions.get(claims.session_id)
        if (
            session is None
            or session.user_id != claims.user_id
            or not session.is_active(self.deps.clock.now())
        ):
            raise Unauthorized("This token has expired or was revoked.", code="invalid_token")
        return Identity(session.user_id, session.id, expires_at=session.expires_at)

    async def _authenticate_bot(self, token: str, user_id: Snowflake, token_id: str) -> Identity:
        async with self.deps.uow(read_only=True) as uow:
            bot = await uow.bots.get(user_id)
            user = await uow.users.get(user_id) if bot is not None else None
        if (
            bot is None
            or user is None
            or not user.can_sign_in
            or bot.token_id != token_id
            or not bots.token_matches(token, bot.token_hash)
        ):
            raise Unauthorized("This bot token is invalid or was reset.", code="invalid_token")
        return Identity(user_id, token_id, bot=True)

    async def refresh(self, identity: Identity) -> IssuedToken:
        """Extend the caller's session and issue a token with the new expiry."""
        _no_bot(identity)
        now = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> tuple[AuthSession, User]:
            session = await uow.sessions.get(identity.session_id)
            user = await uow.users.get(identity.user_id)
            if session is None or user is None or not session.is_active(now):
                raise Unauthorized("This token has expired or was revoked.", code="invalid_token")
            session.expires_at = now + self.token_ttl
            await uow.sessions.extend(session.id, session.expires_at)
            return session, user

        session, user = await self.deps.uow.run(work)
        return IssuedToken(self.deps.tokens.issue(session), session, user)

    async def logout(self, identity: Identity, *, everywhere: bool = False) -> None:
        """Revoke this token (or every token of the user); their gateway sessions close."""
        _no_bot(identity)
        now = self.deps.clock.now()

        async def work(uow: UnitOfWork) -> None:
            if everywhere:
                revoked = await uow.sessions.revoke_all(identity.user_id, now)
            else:
                await uow.sessions.revoke(identity.session_id, now)
                revoked = [identity.session_id]
            uow.record([SessionsRevoked(identity.user_id, tuple(revoked))])

        await self.deps.uow.run(work)

    async def _open_session(self, uow: UnitOfWork, user_id: Snowflake) -> AuthSession:
        now = self.deps.clock.now()
        session = AuthSession(
            id=self.deps.new_session_id(),
            user_id=user_id,
            created_at=now,
            expires_at=now + self.token_ttl,
        )
        await uow.sessions.add(session)
        return session
