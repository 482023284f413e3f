"""Settings: CHAT_* environment variables, or a `.env` file, parsed and checked by
pydantic-settings. Every variable is listed in .env.example and docs/operations.md.

Where a value comes from, strongest first: a command-line flag (`concord serve --port`), the
environment, the `.env` file in the working directory (or the file named by CHAT_ENV_FILE),
the default. `Settings(...)` built in code reads none of them: only `Settings.from_env()` does.

A wrong value is a `SettingsError` whose lines each name one setting and say what is wrong
with it (the CLI prints them and exits with status 2 before anything else happens).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from dotenv import dotenv_values
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings import SettingsError as PydanticSettingsError

from discord_core.limits import AVATAR_MAX_BYTES_CAP, LARGE_SERVER_MEMBERS

log = logging.getLogger(__name__)

MIN_SECRET_BYTES = 32
SECRET_FILE = "secret.key"
SQLITE_FILE = "concord.db"
FILES_DIR = "files"
UPLOADS_DIR = "uploads"
MIB: Final = 1024 * 1024
ENV_PREFIX: Final = "CHAT_"
ENV_FILE: Final = ".env"
ENV_FILE_VARIABLE: Final = "CHAT_ENV_FILE"
MAX_WORKER_ID: Final = 1023
"""Snowflake worker ids have 10 bits (adapters/ids.py)."""
LOG_LEVELS: Final = ("debug", "info", "warning", "error", "critical")


class SettingsError(ValueError):
    """A setting is missing or malformed. Each line of the message names one setting and says
    what is wrong with it and how to fix it."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    period: float

    @classmethod
    def parse(cls, text: str, name: str = "the rate") -> RateLimit:
        """'5/10' means 5 requests per 10 seconds."""
        try:
            count, period = text.split("/")
            limit = cls(int(count), float(period))
        except ValueError as exc:
            raise ValueError(f"{name} must look like '5/10' (requests/seconds)") from exc
        limit.check()
        return limit

    def check(self) -> None:
        if self.limit < 1 or not self.period > 0:
            raise ValueError("must allow at least 1 request in a positive number of seconds")


def _rate(value: Any) -> Any:
    if isinstance(value, str):
        return RateLimit.parse(value.strip(), "the value")
    if isinstance(value, RateLimit):
        value.check()
    return value


Rate = Annotated[RateLimit, BeforeValidator(_rate)]


class RateLimits(BaseModel):
    """REST rate limits; each rule is CHAT_RATE_<RULE> ("5/10"), the switch CHAT_RATE_LIMITS."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    register_per_ip: Rate = RateLimit(10, 3600)
    login_per_ip: Rate = RateLimit(20, 60)
    login_per_account: Rate = RateLimit(5, 60)
    message_per_channel: Rate = RateLimit(5, 5)
    typing_per_channel: Rate = RateLimit(5, 10)
    search_per_user: Rate = RateLimit(10, 10)
    """Message searches (server and channel), per user."""
    reaction_per_user: Rate = RateLimit(10, 5)
    """Adding and removing your own reactions, per user (all messages together)."""
    per_user: Rate = RateLimit(50, 1)
    """Every authenticated request, all routes together (Discord's global limit)."""
    upload_per_user: Rate = RateLimit(10, 60)
    """Messages with files, per user (each may carry up to 50 MiB)."""
    dm_open_per_user: Rate = RateLimit(10, 600)
    """New DMs and group DMs opened, per user (reopening one you have is free): spam."""


RATE_VARIABLES: Final = {
    name: "CHAT_RATE_LIMITS" if name == "enabled" else f"CHAT_RATE_{name.upper()}"
    for name in RateLimits.model_fields
}


def _words(value: Any) -> Any:
    """A comma-separated list ("a, b") from the environment; a sequence from code."""
    if isinstance(value, str):
        return tuple(word.strip() for word in value.split(",") if word.strip())
    return value


Words = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_words)]
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
_DATABASE_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9]*)(\+(?P<driver>[A-Za-z0-9_]+))?://")
_REDIS_SCHEMES: Final = ("redis://", "rediss://", "unix://")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_by_name=True,
        validate_default=False,
    )

    data_dir: Path = Path("data")
    database_url: str | None = None
    """Defaults to a SQLite file in data_dir."""
    redis_url: str | None = None
    redis_prefix: str = "concord:"
    secret_key: str | None = Field(default=None, repr=False)
    """Defaults to a random key kept in data_dir/secret.key."""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    log_format: Literal["text", "json"] = "text"
    """"text" for people, "json" (one object per line) for log collectors."""
    token_ttl_hours: float = Field(default=720.0, gt=0)
    cors_origins: Words = ()
    ws_origins: Words = ()
    forwarded_allow_ips: Words = ("127.0.0.1",)
    """Proxies whose X-Forwarded-For / -Proto uvicorn believes (`*` trusts every peer)."""
    max_body_bytes: int = Field(default=64 * 1024, ge=1)
    header_timeout_s: float = Field(default=10.0, gt=0)
    """A request's line and headers (a WebSocket upgrade included) must arrive within this."""
    body_timeout_s: float = Field(default=10.0, gt=0)
    """A request's body must arrive within this after its headers (plus 1 s per 16 KiB)."""
    db_pool_size: int = Field(default=10, ge=1)
    heartbeat_interval_ms: int = Field(default=41_250, ge=1, validation_alias="CHAT_HEARTBEAT_MS")
    resume_window_s: float = Field(default=60.0, ge=0)
    send_queue_max: int = Field(default=1000, ge=1)
    """Dispatches a socket may fall behind before it is closed (4000) as too slow."""
    relay_interval_s: float = Field(default=1.0, gt=0)
    """How often the relay compares this instance's topic streams with the outbox and reads
    what the bus did not bring (a crashed publisher, a Redis outage)."""
    outbox_retention_s: float = Field(default=900.0, ge=60)
    """How long committed events stay in the outbox. A session missing events older than
    this gets RESYNC (docs/gateway.md)."""
    ws_frames_per_minute: int = Field(default=120, ge=1)
    """Gateway frames one user may send per 60 s over all their sockets (4008 beyond)."""
    ws_identify_per_minute: int = Field(default=12, ge=1)
    """Gateway IDENTIFYs one user may send per 60 s, across instances (4008 beyond)."""
    large_server_members: int = Field(default=LARGE_SERVER_MEMBERS, ge=2, le=1_000_000)
    """Servers with at least this many members are large: their members' presence reaches
    only the sessions that subscribed to the part of the member list holding them (gateway
    op 14), and READY leaves it out."""
    ws_max_per_ip: int = Field(default=50, ge=1)
    """Gateway connections one IP address may hold open at once."""
    ws_max_per_user: int = Field(default=10, ge=1)
    """Identified gateway sessions one user may hold at once."""
    identify_timeout_s: float = Field(default=10.0, gt=0)
    """A gateway socket must IDENTIFY or RESUME within this after HELLO (and within one
    heartbeat interval, if that is shorter)."""
    worker_id: int | None = Field(default=None, ge=0, le=MAX_WORKER_ID)
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    migrate_on_start: bool = True
    metrics: bool = True
    """Serve Prometheus metrics at /metrics (keep it on an internal network)."""
    site_name: str = Field(default="Concord", min_length=1, max_length=100)
    """The name the front page (`/`) shows."""
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    # --- files: attachments, avatars, server icons ------------------------------------------
    storage: Literal["local", "s3"] = "local"
    """"local" (a folder, files_dir) or "s3" (S3-compatible object storage; scaled mode)."""
    files_dir: Path | None = None
    """The local storage folder; default <data dir>/files."""
    upload_dir: Path | None = None
    """Where uploads arrive before they are checked and stored; default <data dir>/uploads
    (keep it on the storage folder's file system: files move there by hard link)."""
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    """Unset for AWS; e.g. http://minio:9000 for MinIO."""
    s3_region: str | None = None
    s3_access_key_id: str | None = Field(default=None, repr=False)
    s3_secret_access_key: str | None = Field(default=None, repr=False)
    """Unset: boto3's usual sources (environment, config files, instance role)."""
    s3_prefix: str = ""
    upload_max_file_bytes: int = Field(default=25 * MIB, ge=1)
    upload_max_files: int = Field(default=10, ge=1, le=100)
    upload_max_request_bytes: int = Field(default=50 * MIB, ge=1)
    image_max_pixels: int = Field(default=40_000_000, ge=1)
    """Images with more pixels are refused before they are decoded (decompression bombs)."""
    avatar_max_bytes: int = Field(default=4 * MIB, ge=1, le=AVATAR_MAX_BYTES_CAP)
    file_url_ttl_s: float = Field(default=86_400.0, gt=0)
    """How long a signed attachment URL works (rounded up to the next hour)."""
    media_workers: int = Field(default=2, ge=1, le=64)
    """Images decoded at once (each may hold width x height x 4 bytes)."""
    file_sweep_interval_s: float = Field(default=300.0, gt=0)
    """How often due file deletions (and stale uploads) are swept."""

    # --- checks beyond the types ------------------------------------------------------------

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip()
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.match(value):
                raise ValueError(
                    "must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name"
                ) from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _DATABASE_URL.match(value)
        if match is None:
            raise ValueError(
                "must be a URL like sqlite:///path/to/concord.db or "
                "postgresql+asyncpg://user:password@host:5432/name"
            )
        scheme, driver = match["scheme"].lower(), match["driver"]
        if scheme == "sqlite":
            rest = value[match.end() :]
            if driver not in (None, "aiosqlite"):
                raise ValueError("SQLite is used through aiosqlite: write sqlite+aiosqlite:///")
            if not rest.startswith("/") or rest in ("/", "/:memory:") or "mode=memory" in rest:
                raise ValueError("must name a SQLite file: sqlite:///path/to/concord.db")
        elif scheme in ("postgresql", "postgres"):
            if driver not in (None, "asyncpg"):
                raise ValueError("PostgreSQL is used through asyncpg: write postgresql+asyncpg://")
        else:
            raise ValueError(f"the database {scheme!r} is not supported (sqlite or postgresql)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(_REDIS_SCHEMES):
            raise ValueError("must be a URL like redis://host:6379/0 (or rediss://, unix://)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"must be at least {MIN_SECRET_BYTES} bytes; generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return value

    @field_validator("redis_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value or any(ch.isspace() for ch in value):
            raise ValueError("must be a non-empty key prefix without spaces, e.g. 'concord:'")
        return value

    @model_validator(mode="after")
    def _s3(self) -> Settings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("CHAT_STORAGE=s3 needs CHAT_S3_BUCKET (the bucket to keep files in)")
        return self

    @model_validator(mode="after")
    def _argon2(self) -> Settings:
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError("CHAT_ARGON2_MEMORY_KIB must be at least 8 x CHAT_ARGON2_PARALLELISM")
        return self

    # --- derived values ---------------------------------------------------------------------

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @property
    def storage_path(self) -> Path:
        """The local storage folder."""
        return self.files_dir or self.data_dir / FILES_DIR

    @property
    def upload_path(self) -> Path:
        """Where uploads arrive."""
        return self.upload_dir or self.data_dir / UPLOADS_DIR

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        if not self.is_sqlite:
            return None
        return Path(self.effective_database_url.split(":///", 1)[1].split("?", 1)[0])

    def with_secret(self) -> Settings:
        """The secret from the environment, or the one kept in data_dir (created once)."""
        if self.secret_key:
            return self
        return self.model_copy(update={"secret_key": load_or_create_secret(self.data_dir)})

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed, checked like the originals."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        try:
            return Settings(**{**values, **changes})
        except ValidationError as exc:
            raise SettingsError(*describe(exc)) from None

    # --- reading the environment ------------------------------------------------------------

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """`Settings(...)` in code takes only what it is given (tests, embedding)."""
        return (init_settings,)

    @classmethod
    def from_env(cls, *, flags: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The settings from the environment and the `.env` file, with `overrides` (command-
        line flags) on top. `flags` maps a setting to the flag it came from, for messages."""
        env_file = _env_file()
        problems = _unknown_in_file(env_file) if env_file is not None else []
        try:
            sources: dict[str, Any] = {"_env_file": env_file}
            settings: Settings = _FromEnvironment(**sources, **overrides)
        except ValidationError as exc:
            problems += describe(exc, flags or {}, env_file)
        except PydanticSettingsError as exc:  # a value that could not even be decoded
            problems.append(str(exc))
        if problems:
            raise SettingsError(*problems)
        return settings


class _FromEnvironment(Settings):
    """Settings read from flags, then the environment, then the `.env` file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        env_file = getattr(dotenv_settings, "env_file", None)
        return (
            init_settings,
            _EnvSource(settings_cls),
            _DotEnvSource(settings_cls, env_file=env_file),
        )


class _FlatRateLimits:
    """Reads the nested `rate_limits` from flat names (CHAT_RATE_LOGIN_PER_IP, ...)."""

    env_vars: Mapping[str, str | None]

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name == "rate_limits":  # CHAT_RATE_LIMITS is the switch, read below
            return None, field_name, False
        found: tuple[Any, str, bool] = super().get_field_value(field, field_name)  # type: ignore[misc]
        return found

    def __call__(self) -> dict[str, Any]:
        data: dict[str, Any] = super().__call__()  # type: ignore[misc]
        rates = {
            name: value
            for name, variable in RATE_VARIABLES.items()
            if (value := self.env_vars.get(variable.lower())) is not None
        }
        if rates:
            data["rate_limits"] = rates
        return data


class _EnvSource(_FlatRateLimits, EnvSettingsSource):
    pass


class _DotEnvSource(_FlatRateLimits, DotEnvSettingsSource):
    """The `.env` file. Lines that are no setting are left out here: a CHAT_* typo is
    reported by `_unknown_in_file`, and other programs' variables may share the file."""

    def __call__(self) -> dict[str, Any]:
        fields = {name.lower() for name in (*Settings.model_fields, *variable_names().values())}
        return {key: value for key, value in super().__call__().items() if key.lower() in fields}


def _env_file() -> Path | None:
    named = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    if named:
        path = Path(named)
        if not path.is_file():
            raise SettingsError(f"{ENV_FILE_VARIABLE}: no such file: {path}")
        return path
    default = Path(ENV_FILE)
    return default if default.is_file() else None


def variable_names() -> dict[str, str]:
    """Every setting's variable name, by field name ("port" -> "CHAT_PORT")."""
    names = {}
    for name, info in Settings.model_fields.items():
        if name == "rate_limits":
            continue
        alias = info.validation_alias
        names[name] = alias if isinstance(alias, str) else f"{ENV_PREFIX}{name.upper()}"
    return names


def known_variables() -> set[str]:
    return {*variable_names().values(), *RATE_VARIABLES.values(), ENV_FILE_VARIABLE}


def _unknown_in_file(path: Path) -> list[str]:
    known = known_variables()
    return [
        f"{key} (in {path}): not a Concord setting; see .env.example for the list"
        for key in dotenv_values(path)
        if key.upper().startswith(ENV_PREFIX) and key.upper() not in known
    ]


def unknown_environment_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """CHAT_* variables in the environment that are no setting (probably a typo).
    CHAT_TEST_* belong to the test suite."""
    known = known_variables()
    return sorted(
        key
        for key in (os.environ if environ is None else environ)
        if key.upper().startswith(ENV_PREFIX)
        and not key.upper().startswith("CHAT_TEST_")
        and key.upper() not in known
    )


_HIDDEN_INPUT: Final = ("secret_key",)
_MESSAGES: Final = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false (also: 1/0, yes/no, on/off)",
}
_URLS: Final = ("database_url", "redis_url")


def describe(
    exc: ValidationError, flags: Mapping[str, str] | None = None, env_file: Path | None = None
) -> list[str]:
    """One line per problem: the setting's name (and flag), what is wrong, what it got."""
    names = variable_names()
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = loc[0] if loc else ""
        if field == "rate_limits" and len(loc) > 1:
            name = RATE_VARIABLES.get(loc[1], f"CHAT_RATE_{loc[1].upper()}")
        else:
            name = names.get(field) or names.get(_field_of_alias(field), field or "settings")
            field = _field_of_alias(field) or field
        if flags and field in flags:
            name = f"{flags[field]} ({name})"
        message = _MESSAGES.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
        if message.startswith(("Input ", "Value ", "Field ")):  # pydantic's own wording
            message = message[:1].lower() + message[1:]
        message = message.replace("input should be", "must be")
        value = error.get("input")
        if not loc:  # a check across settings: the message names them
            lines.append(message)
            continue
        if error["type"] == "extra_forbidden":
            where = f" in {env_file}" if env_file else ""
            lines.append(f"{name}{where}: not a Concord setting; see .env.example for the list")
            continue
        shown = ""
        if field not in _HIDDEN_INPUT and isinstance(value, str | int | float | bool):
            text = _mask_password(str(value)) if field in _URLS else str(value)
            shown = f" (got {text!r})"
        lines.append(f"{name}: {message}{shown}")
    return lines


def _field_of_alias(name: str) -> str:
    for field, variable in variable_names().items():
        if variable == name:
            return field
    return ""


def _mask_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url


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
