"""What the driving adapters (`http/`, `gateway/`) are given: the core's use cases, the core
ports they call directly, and the settings. The composition root (`bootstrap.py`) builds it;
this module imports no adapter (lint-imports checks), so nothing that handles a request can
reach a database engine, a Redis client or any other concrete adapter except through a use
case or a port.

A new feature that needs something new in a handler adds a field here (a use case, or a port
from `discord_core.ports`) and fills it in `bootstrap.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from discord_core.limits import FileLimits
from discord_core.ports import FileStorage, RateLimiter, TokenService
from discord_core.usecases import (
    AuthUseCases,
    BlockUseCases,
    BotUseCases,
    ChannelUseCases,
    FileUseCases,
    GatewayUseCases,
    Identity,
    InviteUseCases,
    MemberUseCases,
    MessageUseCases,
    ModerationUseCases,
    PinUseCases,
    PrivateChannelUseCases,
    ReactionUseCases,
    ReadStateUseCases,
    SearchUseCases,
    ServerUseCases,
    UserUseCases,
)

from .settings import Settings


class Authenticator(Protocol):
    """Resolves a bearer token to the caller (signature, expiry, revocation)."""

    async def authenticate(self, token: str) -> Identity: ...


@dataclass(frozen=True, eq=False)
class Services:
    settings: Settings
    instance: str
    """This process's name in logs and metrics (host-pid-random)."""
    auth: AuthUseCases
    bots: BotUseCases
    users: UserUseCases
    servers: ServerUseCases
    members: MemberUseCases
    moderation: ModerationUseCases
    invites: InviteUseCases
    channels: ChannelUseCases
    messages: MessageUseCases
    reactions: ReactionUseCases
    pins: PinUseCases
    private_channels: PrivateChannelUseCases
    blocks: BlockUseCases
    read_states: ReadStateUseCases
    search: SearchUseCases
    files: FileUseCases
    storage: FileStorage
    """Read directly to stream a file the files use case opened."""
    file_limits: FileLimits
    """Applied while an upload streams in (http/uploads.py), before the use case sees it."""
    gateway: GatewayUseCases
    rate_limiter: RateLimiter
    token_cache: Authenticator
    """Every REST request and IDENTIFY / RESUME resolves its token here (cached per process,
    forgotten on revocation)."""
    tokens: TokenService
    """Reads a token's claims (the gateway closes a socket when its token expires)."""
    unavailable_backends: Callable[[], Awaitable[list[str]]]
    """The backing services that do not answer now ("database", "redis"), for /ready."""
    rate_limit_mode: Callable[[], str]
    """"shared" (in Redis), "local" (embedded), or "fallback" (Redis unreachable: each
    instance limits on its own), for /ready."""
