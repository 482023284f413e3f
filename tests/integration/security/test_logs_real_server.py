"""Log lines of a real `concord serve` process (stderr, as an operator's journal gets them):
no query string, token, password, password hash or email at any level, SQL parameters
included; and INFO is readable (one line per request and per socket, no library noise)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import httpx
import pytest
import websockets

from ..ops.cli import RunningServer, clean_env

PASSWORD = "first-Secret-pw-1"
NEW_PASSWORD = "second-Secret-pw-2"
WRONG = "wrong-Secret-pw-3"


async def _exercise(server: RunningServer) -> tuple[list[str], int]:
    """Everything that carries a secret; returns the secrets and how many HTTP requests."""
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, WRONG, "alice-logs@example.com"]
    requests = 0
    async with httpx.AsyncClient(base_url=server.url + "/api/v1", timeout=15) as api:
        r = await api.post(
            "/auth/register",
            json={"username": "alicelogs", "email": "alice-logs@example.com", "password": PASSWORD},
        )
        token = r.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        secrets.append(token)
        r = await api.post(
            "/auth/login", json={"login": "alice-logs@example.com", "password": WRONG}
        )
        assert r.status_code == 401
        r = await api.post("/auth/login", json={"login": "alicelogs", "password": PASSWORD})
        second = r.json()["token"]
        secrets.append(second)
        # A careless client: tokens and an email in query strings, on REST and the gateway.
        r = await api.get(f"/users/@me?token={second}&email=alice-logs@example.com", headers=auth)
        assert r.status_code == 200
        r = await api.get(f"/no-such-route?token={second}")
        assert r.status_code == 404
        r = await api.get("/users/@me", headers={"Authorization": f"Bearer {second}x"})
        assert r.status_code == 401
        r = await api.post(
            "/users/@me/servers",
            headers={**auth, "Content-Type": "application/json"},
            content=b'{"name": "\xff"}',
        )
        assert r.status_code in (400, 404, 405)
        url = f"{server.ws_url}?token={second}&v=1"
        async with websockets.connect(url, additional_headers=auth) as ws:
            json.loads(await ws.recv())  # HELLO
            await ws.send(json.dumps({"op": 2, "d": {"token": second}}))
            ready = json.loads(await ws.recv())
            assert ready["t"] == "READY"
        r = await api.patch(
            "/users/@me",
            headers=auth,
            json={"password": NEW_PASSWORD, "current_password": PASSWORD},
        )
        assert r.status_code == 200
        r = await api.post("/auth/refresh", headers=auth)
        secrets.append(r.json()["token"])
        r = await api.post("/auth/logout", headers=auth)
        assert r.status_code == 204
        requests = 10
    await asyncio.sleep(0.3)  # let the access lines reach the log
    return secrets, requests


def _serve(tmp_path: Path, level: str, fmt: str = "text") -> tuple[str, list[str], int]:
    env = clean_env(CHAT_LOG_LEVEL=level, CHAT_LOG_FORMAT=fmt, CHAT_DATA_DIR=str(tmp_path / "d"))
    server = RunningServer(tmp_path, env)
    try:
        secrets, requests = asyncio.run(_exercise(server))
    finally:
        output = server.stop()
    with sqlite3.connect(tmp_path / "d" / "concord.db") as db:
        secrets += [row[0] for row in db.execute("SELECT password_hash FROM users")]
        secrets += [row[0] for row in db.execute("SELECT id FROM auth_sessions")]
    return output, secrets, requests


@pytest.mark.parametrize(("level", "fmt"), [("info", "text"), ("debug", "text"), ("debug", "json")])
def test_no_secret_in_any_line(tmp_path: Path, level: str, fmt: str) -> None:
    output, secrets, _ = _serve(tmp_path, level, fmt)
    lines = output.splitlines()
    assert any("/api/v1/auth/login" in line for line in lines), output[-3000:]
    if level == "debug":
        assert any("DEBUG" in line or '"debug"' in line for line in lines)
    for secret in secrets:
        leaks = [line for line in lines if secret in line]
        assert not leaks, (secret, leaks[:3])
    assert not [line for line in lines if "token=" in line or "email=" in line]
    assert not [line for line in lines if "$argon2" in line]


def test_info_is_one_line_per_request_and_socket(tmp_path: Path) -> None:
    output, _, requests = _serve(tmp_path, "info")
    lines = output.splitlines()
    access = [line for line in lines if "concord.access:" in line]
    http_lines = [line for line in access if " WS " not in line]
    assert len([line for line in http_lines if "/api/v1/" in line]) == requests, access
    socket_lines = [line for line in lines if "/api/v1/gateway" in line]
    assert len(socket_lines) == 1 and "concord.access: WS /api/v1/gateway 101" in socket_lines[0]
    for noise in ("uvicorn.error", "Context impl", "Will assume", "connection open", "[accepted]"):
        assert not [line for line in lines if noise in line], noise
