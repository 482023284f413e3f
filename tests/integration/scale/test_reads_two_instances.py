"""#15 across two instances (one PostgreSQL, one Redis): one user's sessions on both get the
MESSAGE_ACK of an ack made on either, and READY on each instance counts the same."""

from __future__ import annotations

from ..api.harness import Api, GatewayClient


async def test_acks_and_counts_are_the_same_on_both_instances(pair: tuple[Api, Api]) -> None:
    a, b = pair
    alice = await a.register("alice")
    bob = await b.register("bob")
    server = await a.create_server(alice)
    cid = server["channels"][0]["id"]
    await b.join(bob, server["id"], alice)
    first = await a.send(alice, cid, f"<@{bob.id}> one")
    await b.send(alice, cid, "@everyone two")  # the owner may
    last = await a.send(alice, cid, f"<@{bob.id}> three")
    on_a = await GatewayClient.identify(a.server.ws_url, bob.token)
    on_b = await GatewayClient.identify(b.server.ws_url, bob.token)
    alice_gw = await GatewayClient.identify(b.server.ws_url, alice.token)
    try:
        for session in (on_a, on_b):
            (state,) = [s for s in session.ready["read_states"] if s["channel_id"] == cid]
            assert state == {"channel_id": cid, "last_read_id": None, "mention_count": 3}
        # Read on one device (through instance B): both sessions hear it.
        r = await b.post(f"/channels/{cid}/messages/{first['id']}/ack", bob)
        assert r.status_code == 204, r.text
        want = {"channel_id": cid, "message_id": first["id"], "mention_count": 2}
        assert await on_a.wait_for("MESSAGE_ACK") == want
        assert await on_b.wait_for("MESSAGE_ACK") == want
        r = await a.post(f"/servers/{server['id']}/ack", bob)
        assert r.status_code == 204, r.text
        want = {"channel_id": cid, "message_id": last["id"], "mention_count": 0}
        assert await on_b.wait_for("MESSAGE_ACK", message_id=last["id"]) == want
        assert await on_a.wait_for("MESSAGE_ACK", message_id=last["id"]) == want
        frames = await alice_gw.quiet(0.5)
        assert "MESSAGE_ACK" not in [f.get("t") for f in frames]
    finally:
        for session in (on_a, on_b, alice_gw):
            await session.close()
    for api in (a, b):
        again = await GatewayClient.identify(api.server.ws_url, bob.token)
        try:
            (state,) = [s for s in again.ready["read_states"] if s["channel_id"] == cid]
            assert state == {"channel_id": cid, "last_read_id": last["id"], "mention_count": 0}
        finally:
            await again.close()
