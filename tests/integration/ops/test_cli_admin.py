"""The admin commands, run as the real `concord` CLI against the database of a real running
`concord serve`: accounts, servers, backup / restore, export."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from ..api.harness import GatewayClient
from .cli import RunningServer, clean_env, concord

PASSWORD = "Operator-set-pw-1"


def register(url: str, name: str, password: str = PASSWORD) -> dict[str, str]:
    r = httpx.post(
        f"{url}/api/v1/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": password},
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def login(url: str, name: str, password: str) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/auth/login", json={"login": name, "password": password})


def me(url: str, auth: dict[str, str]) -> int:
    return httpx.get(f"{url}/api/v1/users/@me", headers=auth).status_code


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return clean_env(CHAT_DATA_DIR=str(tmp_path / "data"), CHAT_RATE_LIMITS="false")


def test_accounts_while_the_service_runs(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    server = RunningServer(tmp_path, sqlite_env)
    try:
        url = server.url
        done = concord(
            "user",
            "create",
            "carol",
            "--email",
            "carol@example.com",
            "--password-stdin",
            cwd=tmp_path,
            env=sqlite_env,
            stdin=PASSWORD + "\n",
        )
        assert done.returncode == 0 and "created user carol" in done.stdout, done.stderr
        assert login(url, "carol", PASSWORD).status_code == 200
        done = concord(
            "user",
            "create",
            "carol",
            "--email",
            "x@example.com",
            "--password-stdin",
            cwd=tmp_path,
            env=sqlite_env,
            stdin=PASSWORD + "\n",
        )
        assert done.returncode == 1 and "username is taken" in done.stderr
        done = concord(
            "user",
            "create",
            "dave",
            "--email",
            "dave@example.com",
            "--password-stdin",
            cwd=tmp_path,
            env=sqlite_env,
            stdin="short\n",
        )
        assert done.returncode == 2 and "password must be at least 8" in done.stderr
        done = concord(
            "user",
            "create",
            "dave",
            "--email",
            "d@example.com",
            cwd=tmp_path,
            env=sqlite_env,
            stdin="",
        )
        assert done.returncode == 2 and "--password-stdin" in done.stderr  # no terminal

        alice = register(url, "alice")
        listing = concord("user", "list", cwd=tmp_path, env=sqlite_env)
        assert listing.returncode == 0
        assert "alice@example.com" in listing.stdout and "carol" in listing.stdout

        reset = concord("user", "reset-password", "alice", cwd=tmp_path, env=sqlite_env)
        assert reset.returncode == 0, reset.stderr
        temporary = reset.stdout.strip().rsplit(" ", 1)[-1]
        assert me(url, alice) == 401  # signed out everywhere, at once (same process cache)
        assert login(url, "alice", PASSWORD).status_code == 401
        assert login(url, "alice", temporary).status_code == 200

        done = concord("user", "disable", "alice", cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 0, done.stderr
        r = login(url, "alice", temporary)
        assert r.status_code == 401 and r.json()["code"] == "account_disabled"
        assert "disabled" in concord("user", "list", cwd=tmp_path, env=sqlite_env).stdout
        assert concord("user", "enable", "alice", cwd=tmp_path, env=sqlite_env).returncode == 0
        assert login(url, "alice", temporary).status_code == 200

        done = concord("user", "delete", "alice", cwd=tmp_path, env=sqlite_env, stdin="")
        assert done.returncode == 2 and "--yes" in done.stderr  # no terminal to confirm
        done = concord("user", "delete", "alice", "--yes", cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 0, done.stderr
        assert login(url, "alice", temporary).status_code == 401
        register(url, "alice")  # the name and the email are free again
        assert "Deleted user" in concord("user", "list", cwd=tmp_path, env=sqlite_env).stdout

        done = concord("user", "disable", "nobody", cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 1 and done.stderr.startswith("concord: Unknown user")
    finally:
        server.stop()


def test_servers_backup_restore_and_export(tmp_path: Path, sqlite_env: dict[str, str]) -> None:
    server = RunningServer(tmp_path, sqlite_env)
    backup = tmp_path / "backup.db"
    export = tmp_path / "export.json"
    try:
        url = server.url
        owner = register(url, "owner")
        created = httpx.post(f"{url}/api/v1/servers", json={"name": "Book club"}, headers=owner)
        guild = created.json()
        channel = guild["channels"][0]["id"]
        for i in range(120):
            r = httpx.post(
                f"{url}/api/v1/channels/{channel}/messages",
                json={"content": f"message {i}"},
                headers=owner,
            )
            assert r.status_code in (200, 201), r.text
        listing = concord("server", "list", cwd=tmp_path, env=sqlite_env)
        assert guild["id"] in listing.stdout and "Book club" in listing.stdout

        done = concord("backup", str(backup), cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 0 and backup.stat().st_mode & 0o777 == 0o600, done.stderr
        done = concord("export", "server", guild["id"], str(export), cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 0 and "120 message(s)" in done.stdout, done.stderr
        document = json.loads(export.read_text())
        assert document["format"] == "concord-export" and document["server"]["name"] == "Book club"
        [general] = document["channels"]
        assert [m["content"] for m in general["messages"]] == [f"message {i}" for i in range(120)]
        assert [m["user"]["username"] for m in document["members"]] == ["owner"]
        bar = export_on_a_terminal(tmp_path, sqlite_env, guild["id"])
        assert "exporting" in bar and "1/1" in bar and "120 messages" in bar, bar

        done = concord("restore", str(backup), cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 1 and "is running" in done.stderr
        done = concord("server", "delete", guild["id"], "--yes", cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 0, done.stderr
        assert httpx.get(f"{url}/api/v1/servers/{guild['id']}", headers=owner).status_code == 404
        done = concord("server", "delete", "abc", "--yes", cwd=tmp_path, env=sqlite_env)
        assert done.returncode == 2
    finally:
        server.stop()
    done = concord("restore", str(backup), cwd=tmp_path, env=sqlite_env)
    assert done.returncode == 0, done.stderr
    server = RunningServer(tmp_path, sqlite_env)
    try:
        got = httpx.get(f"{server.url}/api/v1/servers/{guild['id']}", headers=owner)
        assert got.status_code == 200 and got.json()["name"] == "Book club"
    finally:
        server.stop()


def export_on_a_terminal(tmp_path: Path, env: dict[str, str], guild: str) -> str:
    """`concord export` with its stderr on a pseudo-terminal: what a person sees."""
    import os
    import pty
    import subprocess

    from .cli import COMMAND

    leader, follower = pty.openpty()
    done = subprocess.run(
        [*COMMAND, "export", "server", guild, str(tmp_path / "tty.json")],
        cwd=tmp_path,
        env={**env, "COLUMNS": "100"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        timeout=120,
        check=False,
    )
    os.close(follower)
    seen = b""
    try:
        while chunk := os.read(leader, 65536):
            seen += chunk
    except OSError:  # the terminal's other end is closed: all was read
        pass
    finally:
        os.close(leader)
    assert done.returncode == 0
    return seen.decode(errors="replace")


def test_scaled_disable_closes_sockets_at_once_and_pg_backup(
    tmp_path: Path, postgres_url: str, redis_url: str, redis_prefix: str
) -> None:
    env = clean_env(
        CHAT_DATA_DIR=str(tmp_path / "data"),
        CHAT_DATABASE_URL=postgres_url,
        CHAT_REDIS_URL=redis_url,
        CHAT_REDIS_PREFIX=redis_prefix,
        CHAT_RATE_LIMITS="false",
    )
    server = RunningServer(tmp_path, env)
    try:
        bob = register(server.url, "bob")

        async def disable_while_connected() -> int | None:
            token = bob["Authorization"].split()[1]
            gateway = await GatewayClient.identify(server.ws_url, token)
            done = await asyncio.to_thread(concord, "user", "disable", "bob", cwd=tmp_path, env=env)
            assert done.returncode == 0, done.stderr
            return await gateway.closed(timeout=5)

        assert asyncio.run(disable_while_connected()) == 4004
        assert me(server.url, bob) == 401
        backup = tmp_path / "pg.dump"
        done = concord("backup", str(backup), cwd=tmp_path, env=env)
        assert done.returncode == 0 and backup.stat().st_size > 0, done.stderr
        elsewhere = str(tmp_path / "another-host")  # the instances run on other machines
        done = concord("restore", str(backup), "--data-dir", elsewhere, cwd=tmp_path, env=env)
        assert done.returncode == 1 and "connection(s) use this database" in done.stderr
    finally:
        server.stop()
    done = concord("restore", str(backup), cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    listing = concord("user", "list", cwd=tmp_path, env=env)
    assert "bob" in listing.stdout and "disabled" in listing.stdout


def test_admin_commands_have_help(tmp_path: Path) -> None:
    for command in (
        "user create",
        "user list",
        "user reset-password",
        "user disable",
        "user enable",
        "user delete",
        "server list",
        "server delete",
        "backup",
        "restore",
        "export server",
    ):
        done = concord(*command.split(), "--help", cwd=tmp_path)
        assert done.returncode == 0 and "--data-dir" in done.stdout, command
