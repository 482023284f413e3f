"""Settings from the environment (CHAT_*). Every variable is documented in .env.example."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

log = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32
SECRET_FILE = "secret.key"
SQLITE_FILE = "concord.db"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    period: float

    @classmethod
    def parse(cls, text: str, name: str) -> RateLimit:
        """'5/10' means 5 requests per 10 seconds."""
        try:
            count, period = text.split("/")
            limit = cls(int(count), float(period))
        except ValueError as exc:
            raise SettingsError(f"{name} must look like '5/10' (requests/seconds).") from exc
        if limit.limit < 1 or limit.period <= 0:
            raise SettingsError(f"{name} must allow at least 1 request in a positive period.")
        return limit


@dataclass(frozen=True, slots=True)
class RateLimits:
    enabled: bool = True
    register_per_ip: RateLimit = RateLimit(10, 3600)
    login_per_ip: RateLimit = RateLimit(20, 60)
    login_per_account: RateLimit = RateLimit(5, 60)
    message_per_channel: RateLimit = RateLimit(5, 5)
    typing_per_channel: RateLimit = RateLimit(5, 10)
    per_user: RateLimit = RateLimit(50, 1)
    """Every authenticated request, all routes together (Discord's global limit)."""


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str | None = None
    """Defaults to a SQLite file in data_dir."""
    redis_url: str | None = None
    redis_prefix: str = "concord:"
    secret_key: str | None = None
    """Defaults to a random key kept in data_dir/secret.key."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    log_format: str = "text"
    """"text" for people, "json" (one object per line) for log collectors."""
    token_ttl_hours: float = 720.0
    cors_origins: tuple[str, ...] = ()
    ws_origins: tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    db_pool_size: int = 10
    heartbeat_interval_ms: int = 41_250
    resume_window_s: float = 60.0
    send_queue_max: int = 1000
    """Dispatches a socket may fall behind before it is closed (4000) as too slow."""
    ws_max_per_ip: int = 50
    """Gateway connections one IP address may hold open at once."""
    ws_max_per_user: int = 10
    """Identified gateway sessions one user may hold at once."""
    worker_id: int | None = None
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    argon2_parallelism: int = 4
    migrate_on_start: bool = True
    metrics: bool = True
    """Serve Prometheus metrics at /metrics (keep it on an internal network)."""
    rate_limits: RateLimits = field(default_factory=RateLimits)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def with_secret(self) -> Settings:
        """The secret from the environment, or the one kept in data_dir (created once)."""
        if self.secret_key:
            if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
                raise SettingsError(
                    f"CHAT_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes; generate one "
                    "with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
            return self
        return replace(self, secret_key=load_or_create_secret(self.data_dir))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        return _from_env(os.environ if env is None else env)


def load_or_create_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    if path.exists():
        secret = path.read_text().strip()
        if len(secret.encode()) >= MIN_SECRET_BYTES:
            return secret
        raise SettingsError(f"{path} holds a secret shorter than {MIN_SECRET_BYTES} bytes.")
    if not data_dir.exists():
        data_dir.mkdir(mode=0o700, parents=True)  # the secret and the database live here
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secret + "\n")
    log.warning(
        "created a new token signing secret in %s (keep it; set CHAT_SECRET_KEY in production)",
        path,
    )
    return secret


class _Env:
    """Typed reads of CHAT_* variables with clear errors."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str) -> str | None:
        value = self._env.get(f"CHAT_{name}")
        return value.strip() if value is not None and value.strip() else None

    def integer(self, name: str, default: int) -> int:
        return int(self._number(name, default, int))

    def real(self, name: str, default: float) -> float:
        return self._number(name, default, float)

    def _number(self, name: str, default: float, kind: type[int] | type[float]) -> float:
        text = self.text(name)
        if text is None:
            return default
        try:
            return kind(text)
        except ValueError as exc:
            raise SettingsError(f"CHAT_{name} must be a number, got {text!r}.") from exc

    def flag(self, name: str, default: bool) -> bool:
        text = self.text(name)
        if text is None:
            return default
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"CHAT_{name} must be true or false, got {text!r}.")

    def choice(self, name: str, default: str, options: tuple[str, ...]) -> str:
        text = (self.text(name) or default).lower()
        if text not in options:
            raise SettingsError(f"CHAT_{name} must be one of {', '.join(options)}; got {text!r}.")
        return text

    def words(self, name: str) -> tuple[str, ...]:
        return tuple(w.strip() for w in (self.text(name) or "").split(",") if w.strip())

    def rate(self, name: str, default: RateLimit) -> RateLimit:
        text = self.text(name)
        return RateLimit.parse(text, f"CHAT_{name}") if text else default


def _from_env(env: Mapping[str, str]) -> Settings:
    e = _Env(env)
    d = Settings()
    worker = e.text("WORKER_ID")
    return Settings(
        data_dir=Path(e.text("DATA_DIR") or d.data_dir),
        database_url=e.text("DATABASE_URL"),
        redis_url=e.text("REDIS_URL"),
        redis_prefix=e.text("REDIS_PREFIX") or d.redis_prefix,
        secret_key=e.text("SECRET_KEY"),
        host=e.text("HOST") or d.host,
        port=e.integer("PORT", d.port),
        workers=e.integer("WORKERS", d.workers),
        log_level=(e.text("LOG_LEVEL") or d.log_level).lower(),
        log_format=e.choice("LOG_FORMAT", d.log_format, ("text", "json")),
        token_ttl_hours=e.real("TOKEN_TTL_HOURS", d.token_ttl_hours),
        cors_origins=e.words("CORS_ORIGINS"),
        ws_origins=e.words("WS_ORIGINS"),
        max_body_bytes=e.integer("MAX_BODY_BYTES", d.max_body_bytes),
        db_pool_size=e.integer("DB_POOL_SIZE", d.db_pool_size),
        heartbeat_interval_ms=e.integer("HEARTBEAT_MS", d.heartbeat_interval_ms),
        resume_window_s=e.real("RESUME_WINDOW_S", d.resume_window_s),
        send_queue_max=e.integer("SEND_QUEUE_MAX", d.send_queue_max),
        ws_max_per_ip=e.integer("WS_MAX_PER_IP", d.ws_max_per_ip),
        ws_max_per_user=e.integer("WS_MAX_PER_USER", d.ws_max_per_user),
        worker_id=int(worker) if worker is not None else None,
        argon2_time_cost=e.integer("ARGON2_TIME_COST", d.argon2_time_cost),
        argon2_memory_kib=e.integer("ARGON2_MEMORY_KIB", d.argon2_memory_kib),
        argon2_parallelism=e.integer("ARGON2_PARALLELISM", d.argon2_parallelism),
        migrate_on_start=e.flag("MIGRATE_ON_START", d.migrate_on_start),
        metrics=e.flag("METRICS", d.metrics),
        rate_limits=_rate_limits(e),
    )


def _rate_limits(e: _Env) -> RateLimits:
    d = RateLimits()
    return RateLimits(
        enabled=e.flag("RATE_LIMITS", d.enabled),
        register_per_ip=e.rate("RATE_REGISTER_PER_IP", d.register_per_ip),
        login_per_ip=e.rate("RATE_LOGIN_PER_IP", d.login_per_ip),
        login_per_account=e.rate("RATE_LOGIN_PER_ACCOUNT", d.login_per_account),
        message_per_channel=e.rate("RATE_MESSAGE_PER_CHANNEL", d.message_per_channel),
        typing_per_channel=e.rate("RATE_TYPING_PER_CHANNEL", d.typing_per_channel),
        per_user=e.rate("RATE_PER_USER", d.per_user),
    )
