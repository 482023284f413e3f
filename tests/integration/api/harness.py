"""Run the real app under uvicorn in a thread, and talk to it over real HTTP and WebSockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from entrypoints.app import create_app
from entrypoints.settings import RateLimits, Settings

TEST_SECRET = "test-secret-" + "x" * 40


def make_settings(data_dir: Path, database_url: str | None = None, **overrides: Any) -> Settings:
    """Fast, deterministic settings: cheap argon2, no rate limits unless a test turns them on."""
    base = Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=TEST_SECRET,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        rate_limits=RateLimits(enabled=False),
        log_level="warning",
    )
    return base.replace(**overrides)


class LiveServer:
    """uvicorn serving the app on a free port, in its own thread and event loop.

    `send_buffer` pins the kernel send buffer of accepted sockets (they inherit it from the
    listening socket), so a client that stops reading fills it quickly. `ws` picks uvicorn's
    WebSocket protocol ("websockets-sansio" is what `concord serve` runs).
    """

    def __init__(
        self, settings: Settings, send_buffer: int | None = None, ws: str = "auto"
    ) -> None:
        self.settings = settings
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            ws=ws,  # type: ignore[arg-type]
            ws_per_message_deflate=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer is not None:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/gateway"

    @property
    def container(self) -> Any:
        return self.app.state.container


@contextlib.contextmanager
def live_server(
    settings: Settings, send_buffer: int | None = None, ws: str = "auto"
) -> Iterator[LiveServer]:
    server = LiveServer(settings, send_buffer, ws).start()
    try:
        yield server
    finally:
        server.stop()


def unique(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(6)}"


@dataclass
class Account:
    id: str
    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Api:
    """A thin HTTP client for tests: real requests, JSON answers, helper flows."""

    http: httpx.AsyncClient
    server: LiveServer
    accounts: list[Account] = field(default_factory=list)

    async def request(
        self,
        method: str,
        path: str,
        who: Account | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if who is not None:
            headers.update(who.headers)
        return await self.http.request(method, "/api/v1" + path, headers=headers, **kwargs)

    async def get(self, path: str, who: Account | None = None, **kw: Any) -> httpx.Response:
        return await self.request("GET", path, who, **kw)

    async def post(self, path: str, who: Account | None = None, **kw: Any) -> httpx.Response:
        return await self.request("POST", path, who, **kw)

    async def patch(self, path: str, who: Account | None = None, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", path, who, **kw)

    async def delete(self, path: str, who: Account | None = None, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", path, who, **kw)

    async def register(self, prefix: str = "u", password: str = "uncommon-pw") -> Account:
        username = unique(prefix)
        email = f"{username}@example.com"
        r = await self.post(
            "/auth/register", json={"username": username, "email": email, "password": password}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        account = Account(body["user"]["id"], username, email, password, body["token"])
        self.accounts.append(account)
        return account

    async def create_server(self, owner: Account, name: str = "Test server") -> dict[str, Any]:
        r = await self.post("/servers", owner, json={"name": name})
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    async def join(self, account: Account, server_id: str, owner: Account) -> dict[str, Any]:
        invite = await self.post(f"/servers/{server_id}/invites", owner, json={})
        assert invite.status_code == 201, invite.text
        r = await self.post(f"/invites/{invite.json()['code']}", account)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def set_role(self, owner: Account, server_id: str, account: Account, role: str) -> None:
        r = await self.patch(
            f"/servers/{server_id}/members/{account.id}", owner, json={"role": role}
        )
        assert r.status_code == 200, r.text

    async def send(
        self, who: Account, channel_id: str, content: str, **extra: Any
    ) -> dict[str, Any]:
        r = await self.post(
            f"/channels/{channel_id}/messages", who, json={"content": content, **extra}
        )
        assert r.status_code in (200, 201), r.text
        return r.json()  # type: ignore[no-any-return]


class GatewayClient:
    """A test client for the gateway: frames as dicts, with waits and timeouts."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._beat: asyncio.Task[None] | None = None
        self.hello: dict[str, Any] = {}
        self.ready: dict[str, Any] = {}
        self.seq = 0
        self.seen: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> GatewayClient:
        ws = await connect(url, max_size=8 * 1024 * 1024, compression=None, **kwargs)
        client = cls(ws)
        client.hello = await client.recv()
        assert client.hello["op"] == 10, client.hello
        return client

    @classmethod
    async def identify(cls, url: str, token: str) -> GatewayClient:
        client = await cls.open(url)
        await client.send({"op": 2, "d": {"token": token}})
        client.ready = await client.wait_for("READY")
        return client

    async def send(self, frame: Any) -> None:
        await self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = json.loads(raw)
        if frame.get("op") == 0:
            assert frame["s"] == self.seq + 1, f"sequence gap: {self.seq} -> {frame['s']}"
            self.seq = frame["s"]
            self.seen.append(frame)
        return frame

    async def wait_for(self, name: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next dispatch named `name` whose payload has the given key/values."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"no {name} {match} within {timeout}s; seen {self.names()}")
            frame = await self.recv(left)
            if frame.get("t") == name and all(frame["d"].get(k) == v for k, v in match.items()):
                return frame["d"]  # type: ignore[no-any-return]

    async def quiet(self, within: float = 0.5) -> list[dict[str, Any]]:
        """Every frame that arrives within `within` seconds."""
        frames = []
        with contextlib.suppress(TimeoutError):
            while True:
                frames.append(await self.recv(within))
        return frames

    async def closed(self, timeout: float = 5.0) -> int | None:
        """Wait for the server to close the socket; return its close code."""
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while asyncio.get_running_loop().time() < deadline:
                await asyncio.wait_for(self.ws.recv(), deadline - asyncio.get_running_loop().time())
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        raise TimeoutError("the socket stayed open")

    def keep_alive(self) -> None:
        """Heartbeat in the background at half the server's interval."""
        interval = self.hello["d"]["heartbeat_interval"] / 2000

        async def beat() -> None:
            with contextlib.suppress(ConnectionClosed):
                while True:
                    await asyncio.sleep(interval)
                    await self.ws.send(json.dumps({"op": 1, "d": self.seq}))

        self._beat = asyncio.create_task(beat())

    def names(self) -> list[str]:
        return [f["t"] for f in self.seen]

    async def close(self, code: int = 1000) -> None:
        if self._beat is not None:
            self._beat.cancel()
        await self.ws.close(code)
