"""Resume, timeouts and abuse on a gateway with short heartbeats and resume windows."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from .harness import Api, GatewayClient, LiveServer, live_server, make_settings

HEARTBEAT_MS = 800
RESUME_WINDOW_S = 2.0


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = make_settings(
        tmp_path_factory.mktemp("quick"),
        heartbeat_interval_ms=HEARTBEAT_MS,
        resume_window_s=RESUME_WINDOW_S,
        send_queue_max=50,
    )
    with live_server(settings, send_buffer=16 * 1024) as server:
        yield server


@pytest.fixture
async def qapi(quick: LiveServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=quick.url, timeout=15) as http:
        yield Api(http, quick)


async def owner_with_channel(qapi: Api) -> tuple[Any, str]:
    owner = await qapi.register("owner")
    server = await qapi.create_server(owner)
    return owner, server["channels"][0]["id"]


def drop(client: GatewayClient) -> None:
    """Lose the connection without a close handshake (like a network failure)."""
    client.ws.transport.abort()


async def test_resume_replays_what_was_missed_in_order(qapi: Api) -> None:
    owner, cid = await owner_with_channel(qapi)
    gw = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    first = await qapi.send(owner, cid, "before")
    await gw.wait_for("MESSAGE_CREATE", id=first["id"])
    seq, session_id = gw.seq, gw.ready["session_id"]
    drop(gw)
    missed = [await qapi.send(owner, cid, f"missed {i}") for i in range(5)]
    again = await GatewayClient.open(qapi.server.ws_url)
    again.seq = seq
    await again.send({"op": 6, "d": {"token": owner.token, "session_id": session_id, "seq": seq}})
    replayed = [await again.wait_for("MESSAGE_CREATE") for _ in missed]
    assert [m["id"] for m in replayed] == [m["id"] for m in missed]
    await again.wait_for("RESUMED")
    live = await qapi.send(owner, cid, "after")
    assert (await again.wait_for("MESSAGE_CREATE"))["id"] == live["id"]
    await again.close()


async def test_resume_after_the_window_is_an_invalid_session(qapi: Api) -> None:
    owner, _ = await owner_with_channel(qapi)
    gw = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    seq, session_id = gw.seq, gw.ready["session_id"]
    drop(gw)
    await asyncio.sleep(RESUME_WINDOW_S + 1.0)
    again = await GatewayClient.open(qapi.server.ws_url)
    await again.send({"op": 6, "d": {"token": owner.token, "session_id": session_id, "seq": seq}})
    invalid = await again.recv()
    assert invalid == {"op": 9, "d": False}
    await again.send({"op": 2, "d": {"token": owner.token}})
    assert (await again.wait_for("READY"))["user"]["id"] == owner.id
    await again.close()


async def test_clean_close_ends_the_session(qapi: Api) -> None:
    owner, _ = await owner_with_channel(qapi)
    gw = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    seq, session_id = gw.seq, gw.ready["session_id"]
    await gw.close(1000)
    await asyncio.sleep(0.3)  # let the server see the close before we try to resume
    again = await GatewayClient.open(qapi.server.ws_url)
    await again.send({"op": 6, "d": {"token": owner.token, "session_id": session_id, "seq": seq}})
    assert await again.recv() == {"op": 9, "d": False}
    await again.close()


async def test_missed_heartbeats_close_with_4009_and_go_offline(qapi: Api) -> None:
    alice, _ = await owner_with_channel(qapi)
    server = (await qapi.get("/users/@me/servers", alice)).json()[0]
    bob = await qapi.register("bob")
    await qapi.join(bob, server["id"], alice)
    watcher = await GatewayClient.identify(qapi.server.ws_url, alice.token)
    watcher.keep_alive()
    silent = await GatewayClient.identify(qapi.server.ws_url, bob.token)
    await watcher.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="online")
    assert await silent.closed(timeout=HEARTBEAT_MS / 1000 * 3) == 4009
    await watcher.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="offline")
    await watcher.close()


async def test_heartbeats_keep_a_session_alive(qapi: Api) -> None:
    owner, _ = await owner_with_channel(qapi)
    gw = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    for _ in range(6):
        await gw.send({"op": 1, "d": gw.seq})
        while (frame := await gw.recv())["op"] == 0:
            pass
        assert frame["op"] == 11
        await asyncio.sleep(HEARTBEAT_MS / 2000)
    await gw.close()


async def test_identify_must_come_in_time(qapi: Api) -> None:
    gw = await GatewayClient.open(qapi.server.ws_url)
    assert await gw.closed(timeout=HEARTBEAT_MS / 1000 * 3) == 4009


ABUSE = [
    ("oversize frame", lambda token: json.dumps({"op": 1, "d": None, "pad": "x" * 5000}), 4002),
    ("not json", lambda token: "{nope", 4002),
    ("not an object", lambda token: "[1, 2]", 4002),
    ("binary garbage", lambda token: b"\xff\xfe\x00", 4002),
    ("unknown opcode", lambda token: json.dumps({"op": 99, "d": None}), 4001),
    ("server-only opcode", lambda token: json.dumps({"op": 10, "d": None}), 4001),
    ("status before identify", lambda token: json.dumps({"op": 3, "d": {"status": "dnd"}}), 4003),
    ("bad token", lambda token: json.dumps({"op": 2, "d": {"token": "forged.token.here"}}), 4004),
    ("identify without token", lambda token: json.dumps({"op": 2, "d": {}}), 4002),
]


@pytest.mark.parametrize(("case", "frame", "code"), ABUSE, ids=[a[0] for a in ABUSE])
async def test_abuse_closes_only_the_abuser(qapi: Api, case: str, frame: Any, code: int) -> None:
    owner, cid = await owner_with_channel(qapi)
    bystander = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    abuser = await GatewayClient.open(qapi.server.ws_url)
    await abuser.send(frame(owner.token))
    assert await abuser.closed() == code, case
    msg = await qapi.send(owner, cid, "still here")
    assert (await bystander.wait_for("MESSAGE_CREATE"))["id"] == msg["id"]
    await bystander.close()


async def test_second_identify_is_4005(qapi: Api) -> None:
    owner, _ = await owner_with_channel(qapi)
    gw = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    await gw.send({"op": 2, "d": {"token": owner.token}})
    assert await gw.closed() == 4005


async def test_resuming_someone_elses_session_is_4004(qapi: Api) -> None:
    alice, _ = await owner_with_channel(qapi)
    eve = await qapi.register("eve")
    gw = await GatewayClient.identify(qapi.server.ws_url, alice.token)
    drop(gw)
    thief = await GatewayClient.open(qapi.server.ws_url)
    await thief.send(
        {"op": 6, "d": {"token": eve.token, "session_id": gw.ready["session_id"], "seq": gw.seq}}
    )
    assert await thief.closed() == 4004


async def test_resume_with_a_seq_from_the_future_is_4007(qapi: Api) -> None:
    alice, _ = await owner_with_channel(qapi)
    gw = await GatewayClient.identify(qapi.server.ws_url, alice.token)
    drop(gw)
    again = await GatewayClient.open(qapi.server.ws_url)
    await again.send(
        {
            "op": 6,
            "d": {"token": alice.token, "session_id": gw.ready["session_id"], "seq": gw.seq + 50},
        }
    )
    assert await again.closed() == 4007


async def test_frame_flood_is_4008(qapi: Api) -> None:
    owner, cid = await owner_with_channel(qapi)
    bystander = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    flooder = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    for _ in range(130):
        await flooder.send({"op": 1, "d": None})
    assert await flooder.closed() == 4008
    msg = await qapi.send(owner, cid, "unaffected")
    assert (await bystander.wait_for("MESSAGE_CREATE"))["id"] == msg["id"]
    await bystander.close()


async def test_a_reader_that_stops_reading_is_dropped_and_never_delays_others(qapi: Api) -> None:
    owner, cid = await owner_with_channel(qapi)
    healthy = await GatewayClient.identify(qapi.server.ws_url, owner.token)
    healthy.keep_alive()
    # The stalled client: a tiny receive buffer, and it never reads after READY.
    raw = socket.create_connection(("127.0.0.1", qapi.server.port))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled_ws = await connect(qapi.server.ws_url, sock=raw, max_queue=1, compression=None)
    stalled = GatewayClient(stalled_ws)
    stalled.hello = await stalled.recv()
    await stalled.send({"op": 2, "d": {"token": owner.token}})
    stalled.ready = await stalled.wait_for("READY")
    stalled.keep_alive()  # it heartbeats, so only its full queue can get it dropped
    dropped_before = qapi.server.container.hub.dropped_slow
    body = "x" * 1900
    worst = 0.0
    loop = asyncio.get_running_loop()
    for i in range(200):
        sent_at = loop.time()
        msg = await qapi.send(owner, cid, f"{i} {body}")
        await healthy.wait_for("MESSAGE_CREATE", id=msg["id"], timeout=5)
        worst = max(worst, loop.time() - sent_at)
    assert worst < 2.0, f"a healthy client waited {worst:.2f}s"
    assert qapi.server.container.hub.dropped_slow == dropped_before + 1
    await healthy.close()
