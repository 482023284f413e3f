"""Durable delivery through the real app, on both databases: events come from the outbox when
the publish after COMMIT never happened, a nonce replay sends its event again (sessions drop the
copy), and RESYNC is followed at once by INVALID_SESSION."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from adapters.wire import Envelope

from .harness import Api, GatewayClient, live_server, make_settings


def _loop_of(api: Api) -> asyncio.AbstractEventLoop:
    task = api.server.container.relay._task
    assert task is not None
    return task.get_loop()  # type: ignore[no-any-return]


async def _in_app(api: Api, fn: Any, *args: Any) -> None:
    """Run `fn(*args)` on the app's event loop (it runs in another thread)."""
    done = asyncio.get_running_loop().create_future()
    outer = asyncio.get_running_loop()

    def call() -> None:
        try:
            fn(*args)
        finally:
            outer.call_soon_threadsafe(done.set_result, None)

    _loop_of(api).call_soon_threadsafe(call)
    await done


async def test_a_committed_event_whose_publish_was_lost_still_arrives(api: Api) -> None:
    """As if the instance died between COMMIT and PUBLISH: the relay reads it from the outbox."""
    alice = await api.register("alice")
    server = await api.create_server(alice)
    cid = server["channels"][0]["id"]
    gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    factory = api.server.container.database.uow_factory
    send = factory.send
    factory.send = None  # the fast path is gone
    try:
        lost = await api.send(alice, cid, "published by nobody")
    finally:
        factory.send = send
    got = await gw.wait_for("MESSAGE_CREATE", timeout=5, id=lost["id"])
    assert got["content"] == "published by nobody"
    after = await api.send(alice, cid, "and the next one")
    await gw.wait_for("MESSAGE_CREATE", id=after["id"])
    assert [f["d"]["id"] for f in gw.seen if f["t"] == "MESSAGE_CREATE"] == [
        lost["id"],
        after["id"],
    ]
    await gw.close()


async def test_a_nonce_replay_sends_its_event_again_and_sessions_drop_the_copy(api: Api) -> None:
    alice = await api.register("alice")
    server = await api.create_server(alice)
    cid = server["channels"][0]["id"]
    gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    first = await api.send(alice, cid, "once", nonce="n-1")
    await gw.wait_for("MESSAGE_CREATE", id=first["id"])
    bus = api.server.container.bus
    sent: list[Envelope] = []
    send = bus.send

    async def watched(envelopes: Sequence[Envelope]) -> None:
        sent.extend(envelopes)
        await send(envelopes)

    bus.send = watched  # type: ignore[method-assign]  # the server is shared: count ours only
    try:
        again = await api.post(
            f"/channels/{cid}/messages", alice, json={"content": "once", "nonce": "n-1"}
        )
    finally:
        bus.send = send  # type: ignore[method-assign]
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    # Its MESSAGE_CREATE went out once more (the message's id is the event's key); other
    # events of the moment (alice's own connect-time presence) may go out too.
    assert [e.id for e in sent if e.name == "MESSAGE_CREATE"] == [int(first["id"])]
    await api.send(alice, cid, "next")
    await gw.wait_for("MESSAGE_CREATE", content="next")
    creates = [f["d"]["id"] for f in gw.seen if f["t"] == "MESSAGE_CREATE"]
    assert creates.count(first["id"]) == 1
    await gw.close()


async def test_resync_is_followed_at_once_by_invalid_session(tmp_path: Path) -> None:
    """No client frame is needed for INVALID_SESSION to come (it used to wait for one: the
    RESYNC frame went out on the fast path of uvicorn's sans-I/O protocol, which `concord
    serve` runs, and nothing woke the writer for what follows it)."""
    with live_server(make_settings(tmp_path), ws="websockets-sansio") as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
            api = Api(http, server)
            alice = await api.register("alice")
            gw = await GatewayClient.identify(server.ws_url, alice.token)
            await asyncio.sleep(0.3)  # the socket is idle: no writer task runs
            await _in_app(api, server.container.hub.invalidate_all, "test", 4242)
            resync = await gw.wait_for("RESYNC", timeout=2)
            assert resync == {"after": "4242"}
            invalid = await gw.recv(timeout=2)
            assert invalid["op"] == 9 and invalid["d"] is False
            await gw.close()
