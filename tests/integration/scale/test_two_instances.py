"""Two app processes over one PostgreSQL and one Redis: events, presence and rate limits are
shared; failures of Redis, PostgreSQL and of an instance lose nothing."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import httpx
import pytest

from ..api.harness import Api, GatewayClient
from .cluster import RecoveringClient, history
from .conftest import Launch


async def test_messages_cross_instances_both_ways(pair: tuple[Api, Api]) -> None:
    a, b = pair
    alice = await a.register("alice")
    bob = await b.register("bob")
    server = await a.create_server(alice)
    cid = server["channels"][0]["id"]
    await b.join(bob, server["id"], alice)
    alice_gw = await GatewayClient.identify(a.server.ws_url, alice.token)
    bob_gw = await GatewayClient.identify(b.server.ws_url, bob.token)
    from_a = await a.send(alice, cid, "posted on A")
    assert (await bob_gw.wait_for("MESSAGE_CREATE"))["id"] == from_a["id"]
    from_b = await b.send(bob, cid, "posted on B")
    assert (await alice_gw.wait_for("MESSAGE_CREATE", id=from_b["id"]))["content"] == "posted on B"
    # membership changes made on one instance re-route sessions on the other
    await a.delete(f"/servers/{server['id']}/members/{bob.id}", alice)
    assert await bob_gw.wait_for("SERVER_DELETE") == {"id": server["id"]}
    await a.send(alice, cid, "after the kick")
    assert not [f for f in await bob_gw.quiet(0.5) if f.get("t") == "MESSAGE_CREATE"]
    await alice_gw.close()
    await bob_gw.close()


async def test_presence_set_on_one_instance_is_seen_on_the_other(pair: tuple[Api, Api]) -> None:
    a, b = pair
    alice = await a.register("alice")
    bob = await a.register("bob")
    server = await a.create_server(alice)
    await a.join(bob, server["id"], alice)
    watcher = await GatewayClient.identify(b.server.ws_url, alice.token)
    watcher.keep_alive()
    bob_gw = await GatewayClient.identify(a.server.ws_url, bob.token)
    bob_gw.keep_alive()
    await watcher.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="online")
    members = (await b.get(f"/servers/{server['id']}/members", alice)).json()
    assert {m["user"]["id"]: m["presence"] for m in members}[bob.id] == "online"
    await a.patch("/users/@me", bob, json={"status": "dnd"})
    await watcher.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="dnd")
    await bob_gw.close()
    await watcher.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="offline")
    await watcher.close()


async def test_rate_limits_are_shared(launch: Launch) -> None:
    limits = {
        "CHAT_RATE_LIMITS": "true",
        "CHAT_RATE_MESSAGE_PER_CHANNEL": "4/60",
        "CHAT_RATE_REGISTER_PER_IP": "100/60",
        "CHAT_RATE_PER_USER": "100/1",
    }
    a, b = launch("a", **limits), launch("b", **limits)
    async with httpx.AsyncClient(base_url=a.url) as ha, httpx.AsyncClient(base_url=b.url) as hb:
        api_a, api_b = Api(ha, a), Api(hb, b)  # type: ignore[arg-type]
        alice = await api_a.register("alice")
        cid = (await api_a.create_server(alice))["channels"][0]["id"]
        statuses = []
        for i in range(6):
            api = api_a if i % 2 == 0 else api_b
            r = await api.post(f"/channels/{cid}/messages", alice, json={"content": f"m{i}"})
            statuses.append(r.status_code)
        assert statuses == [201, 201, 201, 201, 429, 429]
        assert r.json()["code"] == "rate_limited" and r.json()["retry_after"] > 0
        assert int(r.headers["Retry-After"]) >= 1


async def test_snowflake_workers_differ_between_instances(pair: tuple[Api, Api]) -> None:
    a, b = pair
    alice = await a.register("alice")
    cid = (await a.create_server(alice))["channels"][0]["id"]
    ma = await a.send(alice, cid, "a")
    mb = await b.send(alice, cid, "b")
    worker = lambda snowflake: (int(snowflake) >> 12) & 1023  # noqa: E731
    assert worker(ma["id"]) != worker(mb["id"])


async def test_a_killed_instance_leaves_nobody_online(launch: Launch) -> None:
    a, b = launch("a"), launch("b")
    async with httpx.AsyncClient(base_url=a.url) as ha:
        api = Api(ha, a)  # type: ignore[arg-type]
        alice = await api.register("alice")
        bob = await api.register("bob")
        server = await api.create_server(alice)
        await api.join(bob, server["id"], alice)
        watcher = await GatewayClient.identify(a.ws_url, alice.token)
        watcher.keep_alive()
        victim = await GatewayClient.identify(b.ws_url, bob.token)
        victim.keep_alive()
        await watcher.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="online")
        b.signal(signal.SIGKILL)
        b.wait()
        # heartbeat 1 s -> presence entries live 1.5 s; allow for the sweep period
        offline = await watcher.wait_for("PRESENCE_UPDATE", timeout=6, user_id=bob.id)
        assert offline["status"] == "offline"
        members = (await api.get(f"/servers/{server['id']}/members", alice)).json()
        assert {m["user"]["id"]: m["presence"] for m in members}[bob.id] == "offline"
        await watcher.close()


async def test_sigterm_clients_reconnect_elsewhere_and_miss_nothing(launch: Launch) -> None:
    a, b = launch("a"), launch("b")
    async with httpx.AsyncClient(base_url=a.url, timeout=15) as ha:
        api = Api(ha, a)  # type: ignore[arg-type]
        alice = await api.register("alice")
        bob = await api.register("bob")
        server = await api.create_server(alice)
        cid = server["channels"][0]["id"]
        await api.join(bob, server["id"], alice)
        client = RecoveringClient(bob, cid, [b.ws_url, a.ws_url], ha)
        client.start()
        await asyncio.sleep(0.5)
        for i in range(5):
            await api.send(alice, cid, f"before {i}")
        b.signal(signal.SIGTERM)
        b.wait()  # uvicorn re-raises the signal after its graceful shutdown
        assert "Application shutdown complete" in b.log()
        for i in range(5):
            await api.send(alice, cid, f"after {i}")
        await asyncio.sleep(2)
        await client.stop()
        assert client.close_codes[:1] == [1012]
        assert client.messages == await history(api, alice, cid)
        assert len(client.messages) == 10


async def test_redis_restart_loses_nothing(
    launch: Launch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from .redis_server import RedisServer

    with RedisServer(tmp_path_factory.mktemp("redis")) as redis:
        a, b = launch("a", redis=redis.url), launch("b", redis=redis.url)
        async with httpx.AsyncClient(base_url=a.url, timeout=15) as ha:
            api = Api(ha, a)  # type: ignore[arg-type]
            alice = await api.register("alice")
            server = await api.create_server(alice)
            cid = server["channels"][0]["id"]
            readers = []
            for i, instance in enumerate((a, b, a, b)):
                reader = await api.register(f"r{i}")
                await api.join(reader, server["id"], alice)
                client = RecoveringClient(reader, cid, [instance.ws_url], ha)
                client.start()
                readers.append(client)
            await asyncio.sleep(0.5)
            sent = 0
            for phase in ("before", "during", "after"):
                if phase == "during":
                    redis.restart(down_for=1.5)
                for i in range(10):
                    await api.send(alice, cid, f"{phase} {i}")
                    sent += 1
                    await asyncio.sleep(0.05)
            await asyncio.sleep(4)  # ticks detect the gap; clients resync
            truth = await history(api, alice, cid)
            assert len(truth) == sent
            for client in readers:
                await client.stop()
                assert client.messages == truth


async def test_postgres_outage_is_503_not_a_hang(launch: Launch, postgres_database_factory) -> None:  # type: ignore[no-untyped-def]
    from .tcp_proxy import TcpProxy

    with TcpProxy.to_postgres(postgres_database_factory) as proxy:
        a = launch("a", CHAT_DATABASE_URL=proxy.database_url)
        async with httpx.AsyncClient(base_url=a.url, timeout=15) as http:
            api = Api(http, a)  # type: ignore[arg-type]
            alice = await api.register("alice")
            cid = (await api.create_server(alice))["channels"][0]["id"]
            proxy.cut()
            loop = asyncio.get_running_loop()
            started = loop.time()
            r = await api.post(f"/channels/{cid}/messages", alice, json={"content": "down"})
            assert loop.time() - started < 10
            assert r.status_code == 503
            assert r.json()["code"] == "service_unavailable"
            assert int(r.headers["Retry-After"]) >= 1
            ready = await http.get("/ready")
            assert ready.status_code == 503
            proxy.restore()
            r = await api.post(f"/channels/{cid}/messages", alice, json={"content": "up again"})
            assert r.status_code == 201
            assert (await http.get("/ready")).status_code == 200


async def test_a_ban_on_one_instance_holds_on_the_other(pair: tuple[Api, Api]) -> None:
    a, b = pair
    alice = await a.register("alice")
    bob = await b.register("bob")
    server = await a.create_server(alice)
    sid, cid = server["id"], server["channels"][0]["id"]
    invite = (await b.post(f"/servers/{sid}/invites", alice, json={"max_age": 0})).json()
    assert (await b.post(f"/invites/{invite['code']}", bob)).status_code == 200
    bob_gw = await GatewayClient.identify(b.server.ws_url, bob.token)
    r = await a.request("PUT", f"/servers/{sid}/bans/{bob.id}", alice, json={"reason": "x"})
    assert r.status_code == 204, r.text
    assert await bob_gw.wait_for("SERVER_DELETE") == {"id": sid}
    await a.send(alice, cid, "after the ban")
    assert not [f for f in await bob_gw.quiet(0.5) if f.get("t") == "MESSAGE_CREATE"]
    for api in (a, b):
        r = await api.post(f"/invites/{invite['code']}", bob)
        assert r.status_code == 403 and r.json()["code"] == "banned", r.text
    await bob_gw.close()


async def test_a_group_dm_across_instances_stops_at_once_for_the_removed(
    pair: tuple[Api, Api],
) -> None:
    a, b = pair
    alice = await a.register("alice")
    bob = await b.register("bob")
    carol = await b.register("carol")
    server = await a.create_server(alice)
    await b.join(bob, server["id"], alice)
    await b.join(carol, server["id"], alice)
    bob_gw = await GatewayClient.identify(b.server.ws_url, bob.token)
    carol_gw = await GatewayClient.identify(b.server.ws_url, carol.token)
    r = await a.post("/users/@me/channels", alice, json={"recipient_ids": [bob.id, carol.id]})
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    for gw in (bob_gw, carol_gw):  # created on A, heard on B: they join the group's topic
        await gw.wait_for("CHANNEL_CREATE", id=gid)
    sent = await a.send(alice, gid, "hello group")
    for gw in (bob_gw, carol_gw):
        assert (await gw.wait_for("MESSAGE_CREATE", channel_id=gid))["id"] == sent["id"]
    assert (await a.delete(f"/channels/{gid}/recipients/{carol.id}", alice)).status_code == 204
    await carol_gw.wait_for("CHANNEL_DELETE", id=gid)
    await a.send(alice, gid, "after carol")
    await bob_gw.wait_for("MESSAGE_CREATE", channel_id=gid, content="after carol")
    assert not [f for f in await carol_gw.quiet(0.5) if f.get("t") == "MESSAGE_CREATE"]
    await bob_gw.close()
    await carol_gw.close()


async def test_sigterm_tells_every_gateway_client_to_reconnect_first(launch: Launch) -> None:
    """Op 7 RECONNECT on the v1 gateway and on the Discord v10 one, then uvicorn's 1012."""
    a = launch("a")
    async with httpx.AsyncClient(base_url=a.url, timeout=15) as http:
        api = Api(http, a)  # type: ignore[arg-type]
        alice = await api.register("alice")
        r = await api.post("/users/@me/bots", alice, json={"username": f"rc{alice.id[-8:]}"})
        assert r.status_code == 201, r.text
        v1 = await GatewayClient.identify(a.ws_url, alice.token)
        v10 = await GatewayClient.open(a.url.replace("http", "ws") + "/api/v10/gateway?v=10")
        await v10.send({"op": 2, "d": {"token": r.json()["token"], "intents": 1}})
        await v10.wait_for("READY")
        a.signal(signal.SIGTERM)
        for client in (v1, v10):
            frames = []
            with contextlib.suppress(Exception):
                while True:
                    frames.append(await client.recv(5))
            assert {"op": 7, "d": None} in frames, frames
            assert await client.closed() == 1012
        a.wait()
