"""Settings from the environment and `.env`: types, ranges, URL schemes, and one clear line per
mistake naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import (
    RateLimit,
    Settings,
    SettingsError,
    known_variables,
    unknown_environment_variables,
)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean environment (no CHAT_* but the test's) in an empty working directory."""
    import os

    for key in list(os.environ):
        if key.upper().startswith("CHAT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def problems(**variables: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    return list(caught.value.problems)


def test_defaults_without_anything(env: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env()
    assert settings.port == 8000 and settings.host == "127.0.0.1"
    assert settings.is_sqlite and settings.rate_limits.enabled


def test_every_variable_is_read(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHAT_PORT", "9001")
    env.setenv("CHAT_LOG_LEVEL", "DEBUG")
    env.setenv("CHAT_CORS_ORIGINS", "https://a.example, https://b.example")
    env.setenv("CHAT_HEARTBEAT_MS", "5000")
    env.setenv("CHAT_RATE_LIMITS", "off")
    env.setenv("CHAT_RATE_LOGIN_PER_IP", "7/30")
    env.setenv("CHAT_WORKER_ID", "")  # empty means unset
    settings = Settings.from_env()
    assert settings.port == 9001 and settings.log_level == "debug"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.heartbeat_interval_ms == 5000 and settings.worker_id is None
    assert not settings.rate_limits.enabled
    assert settings.rate_limits.login_per_ip == RateLimit(7, 30)
    assert settings.rate_limits.per_user == RateLimit(50, 1)


def test_dotenv_is_read_and_the_environment_wins(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHAT_PORT=9100\nCHAT_HOST=0.0.0.0\nCHAT_RATE_PER_USER=9/1\n")
    env.setenv("CHAT_PORT", "9200")
    settings = Settings.from_env()
    assert settings.port == 9200 and settings.host == "0.0.0.0"
    assert settings.rate_limits.per_user == RateLimit(9, 1)
    assert Settings.from_env(port="9300").port == 9300  # a flag wins over both


def test_chat_env_file_names_another_file(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = tmp_path / "concord.env"
    other.write_text("CHAT_PORT=9400\n")
    env.setenv("CHAT_ENV_FILE", str(other))
    assert Settings.from_env().port == 9400
    env.setenv("CHAT_ENV_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(SettingsError, match="CHAT_ENV_FILE: no such file"):
        Settings.from_env()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CHAT_DATABASE_URL", "garbage", "CHAT_DATABASE_URL: must be a URL like"),
        ("CHAT_DATABASE_URL", "mysql://u@h/db", "CHAT_DATABASE_URL: the database 'mysql' is"),
        ("CHAT_DATABASE_URL", "sqlite:///:memory:", "CHAT_DATABASE_URL: must name a SQLite"),
        ("CHAT_DATABASE_URL", "postgresql+psycopg://h/db", "CHAT_DATABASE_URL: PostgreSQL is"),
        ("CHAT_REDIS_URL", "localhost:6379", "CHAT_REDIS_URL: must be a URL like redis://"),
        ("CHAT_WORKER_ID", "abc", "CHAT_WORKER_ID: must be a whole number (got 'abc')"),
        ("CHAT_WORKER_ID", "5000", "CHAT_WORKER_ID: must be less than or equal to 1023"),
        ("CHAT_LOG_LEVEL", "bogus", "CHAT_LOG_LEVEL: must be 'debug', 'info'"),
        ("CHAT_LOG_FORMAT", "xml", "CHAT_LOG_FORMAT: must be 'text' or 'json'"),
        ("CHAT_PORT", "99999", "CHAT_PORT: must be less than or equal to 65535"),
        ("CHAT_PORT", "0", "CHAT_PORT: must be greater than or equal to 1"),
        ("CHAT_HOST", "not a host", "CHAT_HOST: must be an IP address"),
        ("CHAT_WORKERS", "0", "CHAT_WORKERS: must be greater than or equal to 1"),
        ("CHAT_METRICS", "maybe", "CHAT_METRICS: must be true or false"),
        ("CHAT_RATE_LOGIN_PER_IP", "5", "CHAT_RATE_LOGIN_PER_IP: the value must look like"),
        ("CHAT_RATE_PER_USER", "0/1", "CHAT_RATE_PER_USER: must allow at least 1 request"),
        ("CHAT_SECRET_KEY", "short", "CHAT_SECRET_KEY: must be at least 32 bytes"),
        ("CHAT_HEARTBEAT_MS", "-1", "CHAT_HEARTBEAT_MS: must be greater than or equal to 1"),
        ("CHAT_TOKEN_TTL_HOURS", "soon", "CHAT_TOKEN_TTL_HOURS: must be a number"),
    ],
)
def test_each_mistake_is_one_line_naming_the_setting(
    env: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    env.setenv(name, value)
    lines = problems()
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith(expected), lines


def test_secrets_are_not_echoed(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHAT_SECRET_KEY", "tooshort-secret")
    env.setenv("CHAT_DATABASE_URL", "mysql://user:hunter2@db/chat")
    text = "\n".join(problems())
    assert "tooshort-secret" not in text and "hunter2" not in text
    assert "mysql://user:***@db/chat" in text


def test_several_mistakes_are_several_lines(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHAT_PORT", "x")
    env.setenv("CHAT_WORKER_ID", "y")
    assert len(problems()) == 2


def test_unknown_names(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("CHAT_PORTT=1\nOTHER=2\n")
    assert problems() == [
        "CHAT_PORTT (in .env): not a Concord setting; see .env.example for the list"
    ]
    assert unknown_environment_variables({"CHAT_PORTT": "1", "CHAT_TEST_X": "2"}) == ["CHAT_PORTT"]


def test_flags_are_named_as_flags(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(flags={"port": "--port"}, port="99999")
    assert caught.value.problems[0].startswith("--port (CHAT_PORT): ")


def test_code_built_settings_read_no_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHAT_PORT", "9999")
    assert Settings().port == 8000
    assert Settings(port=1234).replace(port=4321).port == 4321
    with pytest.raises(SettingsError, match="CHAT_PORT"):
        Settings().replace(port=0)


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    missing = sorted(name for name in known_variables() if f"# {name}=" not in text)
    assert not missing, f".env.example does not list {missing}"
