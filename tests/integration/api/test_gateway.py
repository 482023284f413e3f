"""The gateway over real WebSockets: lifecycle, every event type, presence, membership."""

from __future__ import annotations

import asyncio
from typing import Any

from .harness import Api, GatewayClient


async def test_hello_then_identify_then_ready(api: Api) -> None:
    alice = await api.register("alice")
    server = await api.create_server(alice, "Home")
    client = await GatewayClient.open(api.server.ws_url)
    assert client.hello["d"]["heartbeat_interval"] == api.server.settings.heartbeat_interval_ms
    assert await client.quiet(0.3) == []  # nothing but HELLO before IDENTIFY
    await client.send({"op": 2, "d": {"token": alice.token}})
    frame = await client.recv()
    assert frame["op"] == 0 and frame["t"] == "READY" and frame["s"] == 1
    ready = frame["d"]
    assert ready["v"] == 1 and ready["session_id"]
    assert ready["user"]["id"] == alice.id and ready["user"]["email"] == alice.email
    assert [(s["id"], s["role"]) for s in ready["servers"]] == [(server["id"], "owner")]
    assert ready["servers"][0]["channels"][0]["name"] == "general"
    assert {"user_id": alice.id, "status": "online"} in ready["presences"]
    # Her first session makes her online in her servers; she hears it too (s = 2). Waiting
    # for it first keeps the heartbeat's ACK the next frame (the two race otherwise).
    online = await client.wait_for("PRESENCE_UPDATE")
    assert online == {"server_id": server["id"], "user_id": alice.id, "status": "online"}
    await client.send({"op": 1, "d": 2})
    assert (await client.recv())["op"] == 11
    await client.close()


async def test_every_message_event_reaches_members(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    cid = server["channels"][0]["id"]
    await api.join(bob, server["id"], alice)
    bob_gw = await GatewayClient.identify(api.server.ws_url, bob.token)
    msg = await api.send(alice, cid, "hello bob", nonce="n-1")
    created = await bob_gw.wait_for("MESSAGE_CREATE")
    # The REST answer has `reactions` (yours); gateway events leave them out (docs/gateway.md).
    assert created == {k: v for k, v in msg.items() if k != "reactions"}
    await api.patch(f"/channels/{cid}/messages/{msg['id']}", alice, json={"content": "edited"})
    updated = await bob_gw.wait_for("MESSAGE_UPDATE")
    assert updated["id"] == msg["id"] and updated["content"] == "edited" and updated["edited_at"]
    await api.delete(f"/channels/{cid}/messages/{msg['id']}", alice)
    deleted = await bob_gw.wait_for("MESSAGE_DELETE")
    assert deleted == {"id": msg["id"], "channel_id": cid, "server_id": server["id"]}
    await api.post(f"/channels/{cid}/typing", alice)
    typing = await bob_gw.wait_for("TYPING_START")
    assert typing["user_id"] == alice.id and typing["username"] == alice.username
    assert typing["channel_id"] == cid
    await bob_gw.close()


async def test_channel_server_and_member_events(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    sid = server["id"]
    await api.join(bob, sid, alice)
    alice_gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    bob_gw = await GatewayClient.identify(api.server.ws_url, bob.token)
    made = (await api.post(f"/servers/{sid}/channels", alice, json={"name": "news"})).json()
    assert (await bob_gw.wait_for("CHANNEL_CREATE"))["id"] == made["id"]
    await api.patch(f"/channels/{made['id']}", alice, json={"name": "updates"})
    assert (await bob_gw.wait_for("CHANNEL_UPDATE", id=made["id"]))["name"] == "updates"
    await api.delete(f"/channels/{made['id']}", alice)
    assert (await bob_gw.wait_for("CHANNEL_DELETE"))["id"] == made["id"]
    await api.patch(f"/servers/{sid}", alice, json={"name": "Renamed"})
    assert (await bob_gw.wait_for("SERVER_UPDATE"))["name"] == "Renamed"
    await api.set_role(alice, sid, bob, "moderator")
    member = await bob_gw.wait_for("MEMBER_UPDATE")
    assert member["user"]["id"] == bob.id and member["role"] == "moderator"
    carol = await api.register("carol")
    await api.join(carol, sid, alice)
    added = await alice_gw.wait_for("MEMBER_ADD")
    assert added["user"] == {"id": carol.id, "username": carol.username, "avatar_url": None}
    await api.delete(f"/users/@me/servers/{sid}", carol)
    removed = await alice_gw.wait_for("MEMBER_REMOVE")
    assert removed == {"server_id": sid, "user_id": carol.id, "kicked": False}
    await alice_gw.close()
    await bob_gw.close()


async def test_joining_and_creating_servers_subscribe_at_once(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    bob_gw = await GatewayClient.identify(api.server.ws_url, bob.token)
    server = await api.create_server(alice)
    await api.join(bob, server["id"], alice)
    appeared = await bob_gw.wait_for("SERVER_CREATE")
    assert appeared["id"] == server["id"] and appeared["role"] == "member"
    assert appeared["channels"][0]["id"] == server["channels"][0]["id"]
    msg = await api.send(alice, server["channels"][0]["id"], "welcome")
    assert (await bob_gw.wait_for("MESSAGE_CREATE"))["id"] == msg["id"]
    own = await api.create_server(bob, "Bob's")
    assert (await bob_gw.wait_for("SERVER_CREATE"))["id"] == own["id"]
    await bob_gw.close()


async def test_kicked_member_stops_receiving_at_once(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    sid, cid = server["id"], server["channels"][0]["id"]
    await api.join(bob, sid, alice)
    bob_gw = await GatewayClient.identify(api.server.ws_url, bob.token)
    await api.delete(f"/servers/{sid}/members/{bob.id}", alice)
    gone = await bob_gw.wait_for("SERVER_DELETE")
    assert gone == {"id": sid}
    await api.send(alice, cid, "secret after kick")
    await api.post(f"/channels/{cid}/typing", alice)
    later = await bob_gw.quiet(0.5)
    assert not [
        f
        for f in later
        if f.get("d") and isinstance(f["d"], dict) and f["d"].get("server_id") == sid
    ], later
    await bob_gw.close()


async def test_deleted_server_goes_away_for_everyone(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    await api.join(bob, server["id"], alice)
    bob_gw = await GatewayClient.identify(api.server.ws_url, bob.token)
    await api.delete(f"/servers/{server['id']}", alice)
    assert await bob_gw.wait_for("SERVER_DELETE") == {"id": server["id"]}
    await bob_gw.close()


async def test_presence_online_status_and_offline(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    sid = server["id"]
    await api.join(bob, sid, alice)
    alice_gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    bob_gw = await GatewayClient.identify(api.server.ws_url, bob.token)
    online = await alice_gw.wait_for("PRESENCE_UPDATE", user_id=bob.id)
    assert online == {"server_id": sid, "user_id": bob.id, "status": "online"}
    members = (await api.get(f"/servers/{sid}/members", alice)).json()
    assert {m["user"]["id"]: m["presence"] for m in members}[bob.id] == "online"
    await api.patch("/users/@me", bob, json={"status": "away"})
    assert (await alice_gw.wait_for("PRESENCE_UPDATE", user_id=bob.id))["status"] == "away"
    assert (await bob_gw.wait_for("USER_UPDATE"))["status"] == "away"
    await bob_gw.send({"op": 3, "d": {"status": "invisible"}})
    assert (await alice_gw.wait_for("PRESENCE_UPDATE", user_id=bob.id))["status"] == "offline"
    await bob_gw.send({"op": 3, "d": {"status": "dnd"}})
    assert (await alice_gw.wait_for("PRESENCE_UPDATE", user_id=bob.id))["status"] == "dnd"
    await bob_gw.close()
    assert (await alice_gw.wait_for("PRESENCE_UPDATE", user_id=bob.id))["status"] == "offline"
    await alice_gw.close()


async def test_two_sessions_keep_a_user_online(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    await api.join(bob, server["id"], alice)
    alice_gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    first = await GatewayClient.identify(api.server.ws_url, bob.token)
    await alice_gw.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="online")
    second = await GatewayClient.identify(api.server.ws_url, bob.token)
    await first.close()
    frames = await alice_gw.quiet(0.5)
    assert not [f for f in frames if f.get("t") == "PRESENCE_UPDATE"]
    await second.close()
    await alice_gw.wait_for("PRESENCE_UPDATE", user_id=bob.id, status="offline")
    await alice_gw.close()


async def test_logout_closes_that_tokens_sockets_with_4004(api: Api) -> None:
    alice = await api.register("alice")
    other = await api.post(
        "/auth/login", json={"login": alice.username, "password": alice.password}
    )
    gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    other_gw = await GatewayClient.identify(api.server.ws_url, other.json()["token"])
    await api.post("/auth/logout", alice)
    assert await gw.closed() == 4004
    assert await other_gw.quiet(0.3) == []  # the other token's session is untouched
    await other_gw.close()


async def test_sequence_numbers_have_no_gaps(api: Api) -> None:
    alice = await api.register("alice")
    cid = (await api.create_server(alice))["channels"][0]["id"]
    gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    sent = await asyncio.gather(*(api.send(alice, cid, f"m{i}") for i in range(20)))
    got: list[Any] = []
    while len(got) < 20:
        got.append(await gw.wait_for("MESSAGE_CREATE"))
    assert {m["id"] for m in got} == {m["id"] for m in sent}
    assert [f["s"] for f in gw.seen] == list(range(1, len(gw.seen) + 1))
    await gw.close()
