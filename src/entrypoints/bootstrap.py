"""The composition root: the only place that builds adapters and wires them to the core and
to the driving adapters. It sits on top of `entrypoints`: `http/` and `gateway/` never import
it; they get a `Services` (entrypoints/services.py) and the gateway its `GatewayState`.

Embedded (no CHAT_REDIS_URL): in-process event bus, presence and rate limits.
Scaled (CHAT_REDIS_URL set): the same ports over Redis, shared by every instance.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from adapters.clock import SystemClock
from adapters.emoji_catalog import UnicodeEmojiCatalog
from adapters.errors import BackendUnavailable
from adapters.files import io_pool
from adapters.files.local import LocalFileStorage
from adapters.files.s3 import S3FileStorage
from adapters.ids import SnowflakeGenerator
from adapters.media import PillowMedia
from adapters.memory.events import InProcessEventBus
from adapters.memory.presence import InMemoryPresence
from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.passwords import CommonPasswordList
from adapters.ratelimit_fallback import FallbackRateLimiter
from adapters.redis.client import make_client, ping, safe_url
from adapters.redis.events import RedisEventBus
from adapters.redis.presence import RedisPresence
from adapters.redis.ratelimit import RedisRateLimiter
from adapters.redis.workers import LeasedIds
from adapters.security import Argon2PasswordHasher, JwtTokenService
from adapters.signing import HmacSigner
from adapters.sql.database import Database
from adapters.sql.outbox import Outbox, SqlEventLog
from adapters.wire import Envelope, EnvelopeSink, EventLookup
from discord_core.events import Event
from discord_core.limits import FileLimits
from discord_core.model import Snowflake
from discord_core.ports import FileStorage, IdGenerator, PresenceRegistry, RateLimiter
from discord_core.usecases import (
    AuthUseCases,
    BlockUseCases,
    BotUseCases,
    ChannelUseCases,
    Deps,
    FileUseCases,
    GatewayUseCases,
    InviteUseCases,
    Linker,
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
from discord_core.usecases.admin import AdminUseCases

from .files import FileSweeper, StorageService
from .gateway.encode import EventEncoder
from .gateway.hub import Hub
from .gateway.limits import GatewayLimits
from .gateway.relay import Relay
from .gateway.state import GatewayState
from .http.token_cache import TokenCache
from .observability import GatewayCounters
from .services import Services
from .settings import Settings

log = logging.getLogger(__name__)


class EventBus(Protocol):
    """The event publisher port plus what the outbox and the gateway hub need from a bus."""

    log: EventLookup | None

    async def publish(self, events: Sequence[Event]) -> None: ...
    async def republish(self, key: Snowflake) -> None: ...
    async def send(self, envelopes: Sequence[Envelope]) -> None: ...
    def attach(self, sink: EnvelopeSink) -> Callable[[], None]: ...
    async def subscribe(self, topic: str) -> None: ...
    async def unsubscribe(self, topic: str) -> None: ...


class Background(Protocol):
    """A background part with a lifecycle (Redis bus, presence upkeep, worker lease)."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


@dataclass(eq=False)
class Container:
    """Everything a running instance holds: adapters, use cases and settings. `services` is
    what the HTTP handlers get, `gateway_state` what the gateway gets."""

    settings: Settings
    instance: str
    database: Database
    deps: Deps
    bus: EventBus
    presence: PresenceRegistry
    rate_limiter: RateLimiter
    background: list[Background] = field(default_factory=list)
    redis: Any = None
    auth: AuthUseCases = field(init=False)
    users: UserUseCases = field(init=False)
    servers: ServerUseCases = field(init=False)
    members: MemberUseCases = field(init=False)
    moderation: ModerationUseCases = field(init=False)
    invites: InviteUseCases = field(init=False)
    channels: ChannelUseCases = field(init=False)
    messages: MessageUseCases = field(init=False)
    reactions: ReactionUseCases = field(init=False)
    pins: PinUseCases = field(init=False)
    private_channels: PrivateChannelUseCases = field(init=False)
    blocks: BlockUseCases = field(init=False)
    search: SearchUseCases = field(init=False)
    files: FileUseCases = field(init=False)
    gateway: GatewayUseCases = field(init=False)
    bots: BotUseCases = field(init=False)
    admin: AdminUseCases = field(init=False)
    """The operator's use cases (the CLI's); not in `services`: no handler gets them."""
    hub: Hub = field(init=False)
    relay: Relay = field(init=False)
    token_cache: TokenCache = field(init=False)
    services: Services = field(init=False)
    gateway_state: GatewayState = field(init=False)

    def __post_init__(self) -> None:
        ttl = timedelta(hours=self.settings.token_ttl_hours)
        self.auth = AuthUseCases(self.deps, token_ttl=ttl)
        self.bots = BotUseCases(self.deps)
        self.users = UserUseCases(self.deps)
        self.servers = ServerUseCases(self.deps)
        self.members = MemberUseCases(self.deps)
        self.moderation = ModerationUseCases(self.deps)
        self.invites = InviteUseCases(self.deps)
        self.channels = ChannelUseCases(self.deps)
        self.messages = MessageUseCases(self.deps)
        self.reactions = ReactionUseCases(self.deps)
        self.pins = PinUseCases(self.deps)
        self.private_channels = PrivateChannelUseCases(self.deps)
        self.blocks = BlockUseCases(self.deps)
        self.read_states = ReadStateUseCases(self.deps)
        self.search = SearchUseCases(self.deps)
        self.files = FileUseCases(self.deps)
        self.gateway = GatewayUseCases(self.deps)
        self.admin = AdminUseCases(self.auth)
        event_log = SqlEventLog(self.database.read_engine, self.database.write_engine)
        self.bus.log = event_log
        self.hub = Hub(
            resume_window_s=self.settings.resume_window_s,
            on_subscribe=self.bus.subscribe,
            on_unsubscribe=self.bus.unsubscribe,
            log=event_log,
        )
        self.relay = Relay(
            self.hub,
            event_log,
            interval_s=self.settings.relay_interval_s,
            retention_s=self.settings.outbox_retention_s,
        )
        self.background.append(self.relay)
        self.token_cache = TokenCache(self.auth, self.deps.tokens)
        self.hub.attach(self.token_cache.on_event)  # in order, repaired from the outbox
        self.bus.attach(self.hub.deliver)
        self.services = Services(
            settings=self.settings,
            instance=self.instance,
            auth=self.auth,
            bots=self.bots,
            users=self.users,
            servers=self.servers,
            members=self.members,
            moderation=self.moderation,
            invites=self.invites,
            channels=self.channels,
            messages=self.messages,
            reactions=self.reactions,
            pins=self.pins,
            private_channels=self.private_channels,
            blocks=self.blocks,
            read_states=self.read_states,
            search=self.search,
            files=self.files,
            storage=self.deps.storage,
            file_limits=self.deps.file_limits,
            gateway=self.gateway,
            rate_limiter=self.rate_limiter,
            token_cache=self.token_cache,
            tokens=self.deps.tokens,
            unavailable_backends=self.unavailable_backends,
            rate_limit_mode=lambda: self.rate_limit_mode,
        )
        limits = GatewayLimits(
            self.rate_limiter,
            frames=self.settings.ws_frames_per_minute,
            identifies=self.settings.ws_identify_per_minute,
        )
        self.gateway_state = GatewayState(self.services, self.hub, limits)

    @property
    def connections(self) -> set[Any]:
        """Live gateway connections on this instance."""
        return self.gateway_state.connections

    def counters(self) -> GatewayCounters:
        """What /metrics reports of this instance's gateway and event bus."""
        return GatewayCounters(
            instance=self.instance,
            sessions=self.hub.session_count,
            connections=len(self.gateway_state.connections),
            published=getattr(self.bus, "published", 0),
            delivered=self.hub.delivered,
            dropped_slow=self.hub.dropped_slow,
            gaps=getattr(self.bus, "gaps", 0) + self.hub.gaps,
        )

    async def start(self) -> None:
        """Reach every backing service or fail with a clear message; then start upkeep."""
        if self.redis is not None:
            await ping(self.redis, self.settings.redis_url or "")
        if self.settings.migrate_on_start:
            try:
                await self.database.upgrade()
            except BackendUnavailable:
                raise
            except OSError as exc:
                raise BackendUnavailable(f"the database is unreachable: {exc}") from exc
        await self.database.ping()
        for part in self.background:
            await part.start()
        log.info("instance %s started (%s)", self.instance, self.mode)

    async def unavailable_backends(self) -> list[str]:
        """The backing services that do not answer now (details go to the log only)."""
        failing = []
        try:
            await self.database.ping()
        except BackendUnavailable as exc:
            log.warning("readiness: %s", exc)
            failing.append("database")
        if self.redis is not None:
            try:
                await ping(self.redis, self.settings.redis_url or "")
            except BackendUnavailable as exc:
                log.warning("readiness: %s", exc)
                failing.append("redis")
        return failing

    async def stop(self) -> None:
        for part in reversed(self.background):
            try:
                await part.stop()
            except Exception:
                log.exception("stopping %s failed", type(part).__name__)
        if self.redis is not None:
            await self.redis.aclose()
        await self.database.dispose()

    @property
    def rate_limit_mode(self) -> str:
        """ "shared" (in Redis), "local" (embedded), or "fallback": Redis is unreachable and
        each instance limits on its own until it answers again."""
        if isinstance(self.rate_limiter, FallbackRateLimiter):
            return "fallback" if self.rate_limiter.open else "shared"
        return "local"

    @property
    def mode(self) -> str:
        db = "SQLite" if self.settings.is_sqlite else "PostgreSQL"
        return f"{db} + Redis" if self.redis is not None else f"{db}, embedded"


def instance_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}"


@dataclass
class _Parts:
    """The adapters that differ between the embedded and the scaled mode."""

    bus: EventBus
    presence: PresenceRegistry
    rate_limiter: RateLimiter
    ids: IdGenerator
    background: list[Background]
    redis: Any = None


def build_container(settings: Settings) -> Container:
    settings = settings.with_secret()
    assert settings.secret_key is not None
    instance = instance_name()
    clock = SystemClock()
    signer = HmacSigner(settings.secret_key)
    # Attachment links in events are signed when the event is encoded.
    linker = Linker(signer, clock, timedelta(seconds=settings.file_url_ttl_s))
    encode = EventEncoder(linker.link)
    if settings.redis_url:
        parts = _redis_parts(settings, instance, encode)
    else:
        parts = _embedded_parts(settings, encode)
    return _build(settings, instance, parts, clock, signer, encode)


def _embedded_parts(settings: Settings, encode: EventEncoder) -> _Parts:
    return _Parts(
        bus=InProcessEventBus(encode),
        presence=InMemoryPresence(),
        rate_limiter=InMemoryRateLimiter(),
        ids=SnowflakeGenerator(settings.worker_id or 0),
        background=[],
    )


def _redis_parts(settings: Settings, instance: str, encode: EventEncoder) -> _Parts:
    assert settings.redis_url is not None
    client = make_client(settings.redis_url)
    prefix = settings.redis_prefix
    log.info("using Redis at %s (prefix %r)", safe_url(settings.redis_url), prefix)
    bus = RedisEventBus(client, encode, prefix=prefix, instance=instance)
    presence_ttl = settings.heartbeat_interval_ms / 1000 * 1.5
    presence = RedisPresence(client, prefix, instance, ttl_s=presence_ttl)
    ids: IdGenerator
    limiter = FallbackRateLimiter(
        RedisRateLimiter(client, prefix), InMemoryRateLimiter(), client.ping
    )
    background: list[Background] = [bus, presence, limiter]
    if settings.worker_id is not None:
        ids = SnowflakeGenerator(settings.worker_id)
    else:
        leased = LeasedIds(client, prefix, owner=instance)
        ids = leased
        background.insert(0, leased)
    return _Parts(bus, presence, limiter, ids, background, client)


def _file_storage(settings: Settings) -> FileStorage:
    if settings.storage == "s3":
        assert settings.s3_bucket is not None
        return S3FileStorage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=settings.s3_prefix,
            executor=io_pool(16),
        )
    return LocalFileStorage(settings.storage_path, io_pool())


def _file_limits(settings: Settings) -> FileLimits:
    return FileLimits(
        max_file_bytes=settings.upload_max_file_bytes,
        max_files=settings.upload_max_files,
        max_request_bytes=settings.upload_max_request_bytes,
        image_max_pixels=settings.image_max_pixels,
        avatar_max_bytes=settings.avatar_max_bytes,
    )


def _build(
    settings: Settings,
    instance: str,
    parts: _Parts,
    clock: SystemClock,
    signer: HmacSigner,
    encode: EventEncoder,
) -> Container:
    assert settings.secret_key is not None
    database = Database.from_url(settings.effective_database_url, pool_size=settings.db_pool_size)
    # Recorded events go into the outbox with their change, then to the bus after COMMIT.
    database.uow_factory.outbox = Outbox(encode, parts.ids)
    database.uow_factory.send = parts.bus.send
    storage = _file_storage(settings)
    media = PillowMedia(workers=settings.media_workers)
    deps = Deps(
        uow=database.uow_factory,
        ids=parts.ids,
        clock=clock,
        events=parts.bus,
        hasher=Argon2PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        tokens=JwtTokenService(settings.secret_key),
        presence=parts.presence,
        common_passwords=CommonPasswordList(),
        storage=storage,
        media=media,
        signer=signer,
        emoji=UnicodeEmojiCatalog(),
        file_limits=_file_limits(settings),
        file_url_ttl=timedelta(seconds=settings.file_url_ttl_s),
        large_server_members=settings.large_server_members,
    )
    container = Container(
        settings=settings,
        instance=instance,
        database=database,
        deps=deps,
        bus=parts.bus,
        presence=parts.presence,
        rate_limiter=parts.rate_limiter,
        background=[StorageService(storage, media), *parts.background],
        redis=parts.redis,
    )
    container.background.append(
        FileSweeper(container.files, settings.upload_path, settings.file_sweep_interval_s)
    )
    _wire_redis_callbacks(container)
    return container


def _wire_redis_callbacks(container: Container) -> None:
    """Connect the Redis adapters' notifications to the gateway."""
    if isinstance(container.bus, RedisEventBus):
        hub = container.hub

        def catch_up(why: str, since: float) -> None:
            # Stored events come back from the outbox (revocations too); the cache is only
            # an optimisation: start it afresh.
            container.token_cache.clear()
            hub.catch_up(why)

        container.bus.on_gap = catch_up
    if isinstance(container.presence, RedisPresence):
        container.presence.on_expired = container.gateway.announce_offline
