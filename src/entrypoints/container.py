"""The composition root: the only place that builds adapters and wires them to the core."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters.clock import SystemClock
from adapters.ids import SnowflakeGenerator
from adapters.memory.events import InProcessEventBus
from adapters.memory.presence import InMemoryPresence
from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.security import Argon2PasswordHasher, JwtTokenService
from adapters.sql.database import Database
from discord_core.ports import RateLimiter
from discord_core.usecases import (
    AuthUseCases,
    ChannelUseCases,
    Deps,
    GatewayUseCases,
    InviteUseCases,
    MemberUseCases,
    MessageUseCases,
    ServerUseCases,
    UserUseCases,
)

from .gateway.encode import encode_event
from .gateway.hub import Hub
from .settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Container:
    """Everything a running instance holds: adapters, use cases and settings."""

    settings: Settings
    database: Database
    deps: Deps
    bus: InProcessEventBus
    presence: InMemoryPresence
    rate_limiter: RateLimiter
    auth: AuthUseCases = field(init=False)
    users: UserUseCases = field(init=False)
    servers: ServerUseCases = field(init=False)
    members: MemberUseCases = field(init=False)
    invites: InviteUseCases = field(init=False)
    channels: ChannelUseCases = field(init=False)
    messages: MessageUseCases = field(init=False)
    gateway: GatewayUseCases = field(init=False)
    hub: Hub = field(init=False)
    connections: set[Any] = field(default_factory=set)
    """Live gateway connections on this instance (entrypoints.gateway.connection)."""

    def __post_init__(self) -> None:
        ttl = timedelta(hours=self.settings.token_ttl_hours)
        self.auth = AuthUseCases(self.deps, token_ttl=ttl)
        self.users = UserUseCases(self.deps)
        self.servers = ServerUseCases(self.deps)
        self.members = MemberUseCases(self.deps)
        self.invites = InviteUseCases(self.deps)
        self.channels = ChannelUseCases(self.deps)
        self.messages = MessageUseCases(self.deps)
        self.gateway = GatewayUseCases(self.deps)
        self.hub = Hub(
            resume_window_s=self.settings.resume_window_s,
            on_subscribe=self.bus.subscribe,
            on_unsubscribe=self.bus.unsubscribe,
        )
        self.bus.attach(self.hub.deliver)

    async def start(self) -> None:
        if self.settings.migrate_on_start:
            await self.database.upgrade()
        await self.database.ping()

    async def check_ready(self) -> None:
        """Raise BackendUnavailable when the database (or broker) does not answer."""
        await self.database.ping()

    async def stop(self) -> None:
        await self.database.dispose()


def build_container(settings: Settings) -> Container:
    settings = settings.with_secret()
    assert settings.secret_key is not None
    database = Database.from_url(settings.effective_database_url, pool_size=settings.db_pool_size)
    bus = InProcessEventBus(encode_event)
    presence = InMemoryPresence()
    deps = Deps(
        uow=database.uow_factory,
        ids=SnowflakeGenerator(settings.worker_id or 0),
        clock=SystemClock(),
        events=bus,
        hasher=Argon2PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        tokens=JwtTokenService(settings.secret_key),
        presence=presence,
    )
    return Container(
        settings=settings,
        database=database,
        deps=deps,
        bus=bus,
        presence=presence,
        rate_limiter=InMemoryRateLimiter(),
    )
