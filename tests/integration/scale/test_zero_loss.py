"""The zero-loss proof: two instances over PostgreSQL and a private Redis, gateway clients on
both, senders posting with nonces at a steady rate. Mid-stream one instance is SIGKILLed (what
it committed but had not published is lost from the bus) and restarted, and Redis is restarted
once. Every client follows docs/gateway.md (reconnect and RESUME; on INVALID_SESSION identify
and backfill). At the end each client's view equals the database: nothing missing, and no
message came live twice."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ..api.harness import Account, Api
from .cluster import Instance, RecoveringClient, free_port, history, instance_env
from .redis_server import RedisServer

SENDERS = 4
READERS_PER_INSTANCE = 3
RATE_PER_SENDER = 12  # messages per second
RUN_S = 24.0
KILL_AT_S, RESTART_AT_S, REDIS_AT_S = 5.0, 9.0, 15.0


@dataclass
class Sender:
    """Posts with a nonce at a steady rate; a post that gets no answer (its instance died,
    Redis was down) is sent again with the same nonce, to either instance, until answered."""

    account: Account
    channel_id: str
    urls: list[str]
    name: str
    sent: dict[str, str] = field(default_factory=dict)
    """nonce -> message id, once answered."""
    retries: int = 0
    replays: int = 0

    async def run(self, until: float) -> None:
        n = 0
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=5))
                for url in self.urls
            ]
            while time.monotonic() < until:
                n += 1
                started = time.monotonic()
                await self._post(clients, f"{self.name}-{n}", n)
                await asyncio.sleep(max(0.0, 1 / RATE_PER_SENDER - (time.monotonic() - started)))

    async def _post(self, clients: list[httpx.AsyncClient], nonce: str, n: int) -> None:
        body = {"content": f"{nonce} says hi", "nonce": nonce}
        attempt = 0
        while True:
            client = clients[(n + attempt) % len(clients)]
            try:
                r = await client.post(
                    f"/api/v1/channels/{self.channel_id}/messages",
                    json=body,
                    headers=self.account.headers,
                )
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code in (200, 201):
                self.sent[nonce] = r.json()["id"]
                self.replays += r.status_code == 200
                return
            assert r is None or r.status_code in (502, 503), (r.status_code, r.text)
            attempt += 1
            self.retries += 1
            await asyncio.sleep(0.1)


async def test_nothing_committed_is_missing_from_any_client(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_database_factory: Callable[[], str],
    redis_prefix: str,
) -> None:
    database_url = postgres_database_factory()
    with RedisServer(tmp_path_factory.mktemp("redis")) as redis:

        def instance(name: str) -> Instance:
            return Instance(
                name=name,
                port=free_port(),
                env=instance_env(
                    tmp_path / name,
                    database_url,
                    redis.url,
                    f"{redis_prefix}zl:",
                    CHAT_RELAY_INTERVAL_S="0.5",
                ),
                log_path=tmp_path / f"{name}.log",
            )

        a, b = instance("a").start(), instance("b").start()
        try:
            await _run(a, b, redis)
        finally:
            a.stop()
            b.stop()


async def _run(a: Instance, b: Instance, redis: RedisServer) -> None:
    async with httpx.AsyncClient(base_url=a.url, timeout=15) as ha:
        api = Api(ha, a)  # type: ignore[arg-type]
        owner = await api.register("owner")
        server = await api.create_server(owner)
        cid = server["channels"][0]["id"]
        readers: list[RecoveringClient] = []
        for i in range(READERS_PER_INSTANCE * 2):
            account = await api.register(f"r{i}")
            await api.join(account, server["id"], owner)
            home, other = (a, b) if i % 2 == 0 else (b, a)
            client = RecoveringClient(account, cid, [home.ws_url, other.ws_url], ha)
            client.start()
            readers.append(client)
        senders = []
        for i in range(SENDERS):
            account = await api.register(f"s{i}")
            await api.join(account, server["id"], owner)
            senders.append(Sender(account, cid, [a.url, b.url], f"s{i}"))
        await asyncio.sleep(1.0)  # every reader identified

        started = time.monotonic()
        sending = [asyncio.create_task(s.run(started + RUN_S)) for s in senders]
        await asyncio.sleep(KILL_AT_S)
        b.signal(signal.SIGKILL)
        b.wait()
        await asyncio.sleep(RESTART_AT_S - KILL_AT_S)
        b.start()
        await asyncio.sleep(REDIS_AT_S - RESTART_AT_S)
        await asyncio.to_thread(redis.restart, 1.5)
        await asyncio.gather(*sending)

        truth = await history(api, owner, cid)
        answered = {mid for s in senders for mid in s.sent.values()}
        assert answered == set(truth), "every answered send is stored once, and nothing else"
        for _ in range(80):  # up to 20 s for the last backfills
            if all(set(r.messages) == set(truth) for r in readers):
                break
            await asyncio.sleep(0.25)
        for reader in readers:
            await reader.stop()
        report = [
            (
                len(truth) - len(set(r.messages) & set(truth)),
                sum(count - 1 for count in r.live.values()),
                r.reconnects,
                r.invalid_sessions,
                r.resyncs,
                r.close_codes,
            )
            for r in readers
        ]
        print(
            f"\n{len(truth)} messages; senders retried {sum(s.retries for s in senders)} "
            f"and were answered from an earlier send {sum(s.replays for s in senders)} time(s); "
            "per reader (missing, live duplicates, reconnects, INVALID_SESSION, RESYNC, closes): "
            f"{report}"
        )
        assert len(truth) > 100
        for reader in readers:
            assert set(reader.messages) == set(truth)  # 0 missing, nothing extra
            assert max(reader.live.values()) == 1  # 0 duplicated live
