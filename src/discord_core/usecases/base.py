"""What every use case needs, and the helpers they share."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from .. import limits
from ..errors import NotFound, ValidationFailed
from ..events import Event, PresenceUpdated, PrivatePresenceUpdated
from ..limits import FileLimits
from ..model import (
    AuditAction,
    AuditChange,
    AuditEntry,
    Channel,
    Member,
    MemberView,
    Presence,
    Server,
    Snowflake,
)
from ..ports import (
    Clock,
    CommonPasswords,
    EmojiCatalog,
    EventPublisher,
    FileStorage,
    IdGenerator,
    MediaProcessor,
    PasswordHasher,
    PresenceRegistry,
    Signer,
    TokenService,
    UnitOfWork,
    UnitOfWorkFactory,
)


def _random_code() -> str:
    return secrets.token_urlsafe(8)  # 11 url-safe characters, 64 bits of randomness


def _random_session_id() -> str:
    return secrets.token_urlsafe(18)


@dataclass(slots=True)
class Deps:
    """The ports a use case may call. Built once by the composition root."""

    uow: UnitOfWorkFactory
    ids: IdGenerator
    clock: Clock
    events: EventPublisher
    hasher: PasswordHasher
    tokens: TokenService
    presence: PresenceRegistry
    common_passwords: CommonPasswords
    storage: FileStorage
    media: MediaProcessor
    signer: Signer
    emoji: EmojiCatalog
    file_limits: FileLimits = field(default_factory=FileLimits)
    file_url_ttl: timedelta = timedelta(days=1)
    """How long a signed file URL works (rounded up to the next whole hour, so a file's URL
    stays the same for an hour and clients can cache by it)."""
    large_server_members: int = limits.LARGE_SERVER_MEMBERS
    """Servers with at least this many members are large (lazy presence; usecases.gateway)."""
    new_invite_code: Callable[[], str] = field(default=_random_code)
    new_session_id: Callable[[], str] = field(default=_random_session_id)


class UseCases:
    """Base of the use-case groups: holds the deps and shared lookups.

    Writes go through `self.deps.uow.run(work)`: `work(uow)` reads, checks, writes and
    records its events (`uow.record`); `run` commits, then publishes them, and runs `work`
    again if the database aborted it for a concurrent transaction. Rules that read and then
    write lock what they depend on first (`uow.users.lock`, `uow.servers.lock`; the order is
    in `ports.UnitOfWork`).
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _new_password(self, password: str) -> str:
        """A password someone is choosing (register, change): the limits of `limits.password`,
        and not one of the most common passwords (compared case-insensitively)."""
        password = limits.password(password)
        if self.deps.common_passwords.is_common(password):
            raise ValidationFailed(
                "password is one of the most common passwords; choose one that is harder to guess.",
                field="password",
            )
        return password

    async def _audit(
        self,
        uow: UnitOfWork,
        server_id: Snowflake,
        action: AuditAction,
        actor_id: Snowflake,
        target_id: Snowflake | None = None,
        changes: Sequence[AuditChange] = (),
        reason: str | None = None,
    ) -> None:
        """Write the audit-log entry of an action, in the action's own transaction (so a
        failed action never has one). `reason` is already checked (`limits.audit_reason`)."""
        await uow.audit_log.add(
            AuditEntry(
                id=self.deps.ids.next_id(),
                server_id=server_id,
                action=action,
                actor_id=actor_id,
                target_id=target_id,
                created_at=self.deps.clock.now(),
                changes=tuple(changes),
                reason=reason,
            )
        )


def changed(key: str, old: object, new: object) -> AuditChange:
    """An audit change; ids and times become strings (what the wire and JSON hold)."""
    return AuditChange(key, _audit_value(old), _audit_value(new))


def _audit_value(value: object) -> str | int | bool | None:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) > 2**53 else value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


SERVER_NOT_FOUND = "Unknown server."
CHANNEL_NOT_FOUND = "Unknown channel."
MESSAGE_NOT_FOUND = "Unknown message."
MEMBER_NOT_FOUND = "Unknown member."
USER_NOT_FOUND = "Unknown user."
INVITE_NOT_FOUND = "Unknown invite."


def unknown_user() -> NotFound:
    """The same 404 for an account that does not exist and one the caller may not reach."""
    return NotFound(USER_NOT_FOUND, code="unknown_user")


async def membership(uow: UnitOfWork, server_id: Snowflake, user_id: Snowflake) -> Member:
    """The caller's membership. A non-member gets the same 404 as for a missing server."""
    member = await uow.members.get(server_id, user_id)
    if member is None:
        raise NotFound(SERVER_NOT_FOUND, code="unknown_server")
    return member


async def server_as_member(
    uow: UnitOfWork, server_id: Snowflake, user_id: Snowflake
) -> tuple[Server, Member]:
    member = await membership(uow, server_id, user_id)
    server = await uow.servers.get(server_id)
    if server is None:  # membership rows go with their server; only a race gets here
        raise NotFound(SERVER_NOT_FOUND, code="unknown_server")
    return server, member


async def locked_server_as_member(
    uow: UnitOfWork, server_id: Snowflake, user_id: Snowflake
) -> tuple[Server, Member]:
    """Lock the server, then read the caller's membership as it is now. A non-member learns
    nothing: the same 404 whether the server exists or not."""
    server = await uow.servers.lock(server_id)
    if server is None:
        raise NotFound(SERVER_NOT_FOUND, code="unknown_server")
    return server, await membership(uow, server_id, user_id)


@dataclass(frozen=True, slots=True)
class ReadableChannels:
    channels: list[Channel]
    """The server's channels the caller may read, by (position, id)."""
    whole_server: bool
    """True when that is every channel of the server."""


async def readable_channels(
    uow: UnitOfWork, server_id: Snowflake, user_id: Snowflake
) -> ReadableChannels:
    """The channels of a server the caller may read; a non-member gets the same 404 as for a
    missing server. Today a member reads every channel of the server: this function and
    `channel_as_member` are where channel access is decided, so per-channel permissions (and
    DMs) change them and every use case that reads channels follows."""
    await membership(uow, server_id, user_id)
    channels = await uow.channels.list_for_server(server_id)
    return ReadableChannels(channels, whole_server=True)


async def channel_as_member(
    uow: UnitOfWork, channel_id: Snowflake, user_id: Snowflake
) -> tuple[Channel, MemberView]:
    """A server channel and the caller's membership, for what only server channels have
    (settings, moderation); a non-member cannot tell it exists, and a private channel is not
    one (what every channel has asks `access.channel_access`)."""
    found = await uow.channels.get_with_member(channel_id, user_id)
    if found is None or found[1] is None:
        raise NotFound(CHANNEL_NOT_FOUND, code="unknown_channel")
    return found[0], found[1]


async def locked_channel_as_member(
    uow: UnitOfWork, channel_id: Snowflake, user_id: Snowflake
) -> tuple[Channel, MemberView]:
    """Lock the channel's server, then read the channel and the caller's membership as they
    are now (the channel may have moved, or gone, while this waited for the lock)."""
    _, member = await channel_as_member(uow, channel_id, user_id)
    if await uow.servers.lock(member.member.server_id) is None:
        raise NotFound(CHANNEL_NOT_FOUND, code="unknown_channel")
    return await channel_as_member(uow, channel_id, user_id)


async def large_servers(
    uow: UnitOfWork, server_ids: Sequence[Snowflake], threshold: int
) -> set[Snowflake]:
    """Which of these servers are large (lazy presence)."""
    if not server_ids:
        return set()
    counts = await uow.members.counts(server_ids)
    return {sid for sid, count in counts.items() if count >= threshold}


def presence_events(
    server_ids: Sequence[Snowflake],
    user_id: Snowflake,
    presence: Presence,
    large: set[Snowflake],
    channel_ids: Sequence[Snowflake] = (),
) -> list[Event]:
    """One PRESENCE_UPDATE per server (those of large servers only for the members watching)
    and one per private channel of the user (`channel_ids`: for their DM contacts)."""
    events: list[Event] = [
        PresenceUpdated(sid, user_id, presence, large=sid in large) for sid in server_ids
    ]
    events += [PrivatePresenceUpdated(cid, user_id, presence) for cid in channel_ids]
    return events
