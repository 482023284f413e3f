"""Separate app processes (`python -m entrypoints serve`) on one PostgreSQL and one Redis,
plus a client that recovers the way docs/gateway.md tells clients to."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed

from ..api.harness import TEST_SECRET, Account, Api, GatewayClient

SRC = Path(__file__).resolve().parents[3] / "src"
BACKFILL_MARGIN_MS = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Instance:
    name: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/gateway"

    def start(self, timeout: float = 30) -> Instance:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/ready", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready: {self.log()}")

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 20) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def instance_env(
    data_dir: Path, database_url: str, redis_url: str, prefix: str, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
    env.update(
        PYTHONPATH=str(SRC),
        CHAT_DATA_DIR=str(data_dir),
        CHAT_DATABASE_URL=database_url,
        CHAT_REDIS_URL=redis_url,
        CHAT_REDIS_PREFIX=prefix,
        CHAT_SECRET_KEY=TEST_SECRET,
        CHAT_ARGON2_TIME_COST="1",
        CHAT_ARGON2_MEMORY_KIB="1024",
        CHAT_ARGON2_PARALLELISM="1",
        CHAT_RATE_LIMITS="false",
        CHAT_HEARTBEAT_MS="1000",
        CHAT_LOG_LEVEL="info",
    )
    env.update(extra)
    return env


@dataclass
class RecoveringClient:
    """Follows docs/gateway.md: on a lost socket reconnect (to any instance) and RESUME; on
    INVALID_SESSION identify again and backfill the channel over REST. Keeps every message of
    one channel by id, so tests can compare its final state with the database's."""

    account: Account
    channel_id: str
    urls: list[str]
    http: httpx.AsyncClient
    messages: dict[str, str] = field(default_factory=dict)
    live: Counter[str] = field(default_factory=Counter)
    """How often each message came live (MESSAGE_CREATE): the gateway sends each once."""
    invalid_sessions: int = 0
    resyncs: int = 0
    gateway: GatewayClient | None = None
    session_id: str = ""
    last_seq: int = 0
    resync_after: str | None = None
    reconnects: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            # Cancel until it is done: on Python 3.11 asyncio.wait_for (the reader's recv) can
            # swallow a cancellation that lands as its frame arrives, and the reader would go
            # on reading for ever (the suite hung on this twice on a loaded machine).
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=1)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                self._task.result()
        if self.gateway is not None:
            with contextlib.suppress(Exception):
                await self.gateway.close()

    async def _run(self) -> None:
        attempt = 0
        while True:
            url = self.urls[attempt % len(self.urls)]
            try:
                await self._session(url)
            except (OSError, ConnectionClosed, TimeoutError, httpx.HTTPError) as exc:
                if isinstance(exc, ConnectionClosed):
                    self.close_codes.append(exc.rcvd.code if exc.rcvd else None)
            attempt += 1
            self.reconnects += 1
            await asyncio.sleep(min(0.2 * attempt, 1.0))

    async def _session(self, url: str) -> None:
        gw = await GatewayClient.open(url)
        self.gateway = gw
        gw.keep_alive()
        if self.session_id:
            gw.seq = self.last_seq
            await gw.send(
                {
                    "op": 6,
                    "d": {
                        "token": self.account.token,
                        "session_id": self.session_id,
                        "seq": self.last_seq,
                    },
                }
            )
        else:
            await self._identify(gw)
        while True:
            frame = await gw.recv(3600)
            if frame.get("op") == 9:  # INVALID_SESSION: identify again on this socket
                self.invalid_sessions += 1
                await self._identify(gw)
            else:
                self._take(frame)

    async def _identify(self, gw: GatewayClient) -> None:
        gw.seq = 0
        await gw.send({"op": 2, "d": {"token": self.account.token}})
        ready = await gw.wait_for("READY", timeout=10)
        self.session_id = ready["session_id"]
        self.last_seq = gw.seq
        await self.backfill(self.resync_after)
        self.resync_after = None

    def _take(self, frame: dict[str, Any]) -> None:
        if frame.get("op") != 0:
            return
        self.last_seq = frame["s"]
        if frame["t"] == "RESYNC":
            self.resyncs += 1
            self.resync_after = frame["d"]["after"]
        elif frame["t"] == "MESSAGE_CREATE" and frame["d"]["channel_id"] == self.channel_id:
            self.messages[frame["d"]["id"]] = frame["d"]["content"]
            self.live[frame["d"]["id"]] += 1

    async def backfill(self, resync_after: str | None = None) -> None:
        """Fetch everything newer than the server's RESYNC hint when it gave one, else than
        BACKFILL_MARGIN_MS before the newest message held (docs/gateway.md: ids are taken a
        moment before their commit), page by page, merging by id."""
        newest = max(self.messages, key=int, default=None)
        margin = str(max(0, int(newest) - (BACKFILL_MARGIN_MS << 22))) if newest else None
        after = resync_after or margin
        while True:
            params = {"limit": 100, **({"after": after} if after else {})}
            r = await self.http.get(
                f"/api/v1/channels/{self.channel_id}/messages",
                params=params,
                headers=self.account.headers,
            )
            r.raise_for_status()
            page = r.json()
            for m in page:
                self.messages[m["id"]] = m["content"]
            if len(page) < 100:
                return
            after = page[0]["id"]


async def history(api: Api, who: Account, channel_id: str) -> dict[str, str]:
    out: dict[str, str] = {}
    before: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"before": before} if before else {})}
        page = (await api.get(f"/channels/{channel_id}/messages", who, params=params)).json()
        out.update({m["id"]: m["content"] for m in page})
        if len(page) < 100:
            return out
        before = page[-1]["id"]
