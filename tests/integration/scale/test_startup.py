"""Start-up refuses unreachable backends and unsafe configurations with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .cluster import free_port, instance_env


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints", "serve", "--port", str(free_port()), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_unreachable_redis_is_a_clear_exit(tmp_path: Path, postgres_url: str) -> None:
    env = instance_env(tmp_path, postgres_url, f"redis://127.0.0.1:{free_port()}/0", "x:")
    done = serve(env)
    assert done.returncode == 1
    assert "Redis at redis://127.0.0.1:" in done.stderr and "unreachable" in done.stderr


def test_unreachable_postgres_is_a_clear_exit(tmp_path: Path, redis_url: str) -> None:
    dead = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    done = serve(instance_env(tmp_path, dead, redis_url, "x:"))
    assert done.returncode == 1
    assert "cannot reach the database" in done.stderr


def test_several_workers_without_redis_are_refused(tmp_path: Path, postgres_url: str) -> None:
    env = instance_env(tmp_path, postgres_url, "", "x:")
    env.pop("CHAT_REDIS_URL")
    done = serve(env, "--workers", "2")
    assert done.returncode == 2
    assert "CHAT_WORKERS > 1 needs CHAT_REDIS_URL" in done.stderr
