"""#15 over real HTTP and WebSockets, on both databases: mentions on messages and events,
last_message_id, acks and MESSAGE_ACK (only to the user's own sessions), counts that READY
gets right after any reconnect, server acks, read-states, notification settings, and racing
acks that never move a read point back."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from .harness import Account, Api, GatewayClient
from .test_races import at_once

ROUNDS = 3


async def place(api: Api) -> tuple[Account, Account, Account, dict[str, Any], str]:
    """An owner, a moderator and a member in one server; its general channel's id."""
    owner = await api.register("own")
    mod = await api.register("mod")
    member = await api.register("mem")
    server = await api.create_server(owner)
    await api.join(mod, server["id"], owner)
    await api.join(member, server["id"], owner)
    await api.set_role(owner, server["id"], mod, "moderator")
    return owner, mod, member, server, server["channels"][0]["id"]


def ack_path(channel: str, message: str) -> str:
    return f"/channels/{channel}/messages/{message}/ack"


async def read_state(api: Api, who: Account, channel: str) -> dict[str, Any]:
    r = await api.get("/users/@me/read-states", who)
    assert r.status_code == 200, r.text
    (found,) = [s for s in r.json() if s["channel_id"] == channel]
    return found  # type: ignore[no-any-return]


async def test_messages_carry_mentions_and_edits_parse_them_again(api: Api) -> None:
    owner, mod, member, _, cid = await place(api)
    stranger = await api.register("str")
    watcher = await GatewayClient.identify(api.server.ws_url, owner.token)
    try:
        text = f"<@{member.id}> <@{stranger.id}> <@{member.id}> <@123456789> @everyone"
        sent = await api.send(owner, cid, text)
        assert sent["mentions"] == [member.id]  # the stranger is no member: plain text
        assert sent["mention_everyone"] is True  # the owner may
        event = await watcher.wait_for("MESSAGE_CREATE", id=sent["id"])
        assert (event["mentions"], event["mention_everyone"]) == ([member.id], True)
        plain = await api.send(member, cid, "@everyone hello")
        assert (plain["mentions"], plain["mention_everyone"]) == ([], False)
        r = await api.patch(
            f"/channels/{cid}/messages/{plain['id']}", member, json={"content": f"<@{mod.id}>"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["mentions"] == [mod.id]
        update = await watcher.wait_for("MESSAGE_UPDATE", id=plain["id"])
        assert update["mentions"] == [mod.id]
        page = (await api.get(f"/channels/{cid}/messages", member)).json()
        assert [m["mentions"] for m in page] == [[mod.id], [member.id]]
    finally:
        await watcher.close()


async def test_channels_carry_last_message_id(api: Api) -> None:
    owner, _, member, server, cid = await place(api)
    assert server["channels"][0]["last_message_id"] is None
    first = await api.send(owner, cid, "one")
    second = await api.send(owner, cid, "two")
    channel = (await api.get(f"/channels/{cid}", member)).json()
    assert channel["last_message_id"] == second["id"]
    listed = (await api.get(f"/servers/{server['id']}/channels", member)).json()
    assert listed[0]["last_message_id"] == second["id"]
    detail = (await api.get(f"/servers/{server['id']}", member)).json()
    assert detail["channels"][0]["last_message_id"] == second["id"]
    assert (await api.delete(f"/channels/{cid}/messages/{second['id']}", owner)).status_code == 204
    gateway = await GatewayClient.identify(api.server.ws_url, member.token)
    try:
        (snap,) = gateway.ready["servers"]
        assert snap["channels"][0]["last_message_id"] == first["id"]
    finally:
        await gateway.close()


async def test_an_ack_reaches_every_session_of_the_user_and_nobody_else(api: Api) -> None:
    owner, mod, member, _, cid = await place(api)
    one = await GatewayClient.identify(api.server.ws_url, member.token)
    two = await GatewayClient.identify(api.server.ws_url, member.token)
    other = await GatewayClient.identify(api.server.ws_url, owner.token)
    try:
        first = await api.send(mod, cid, f"<@{member.id}> one")
        await api.send(mod, cid, f"<@{member.id}> two")
        r = await api.post(ack_path(cid, first["id"]), member)
        assert r.status_code == 204, r.text
        want = {"channel_id": cid, "message_id": first["id"], "mention_count": 1}
        for session in (one, two):
            assert await session.wait_for("MESSAGE_ACK") == want
        frames = await other.quiet(0.5)
        assert "MESSAGE_ACK" not in [f.get("t") for f in frames]
    finally:
        for session in (one, two, other):
            await session.close()


async def test_counts_are_right_after_a_reconnect(api: Api) -> None:
    _, mod, member, server, cid = await place(api)
    first = await api.send(mod, cid, f"<@{member.id}> a")
    await api.send(mod, cid, "nothing for you")
    await api.send(mod, cid, "@here all of you")
    await api.send(member, cid, f"<@{member.id}> myself")  # and marks read up to here
    last = await api.send(mod, cid, f"<@{member.id}> b")
    session = await GatewayClient.identify(api.server.ws_url, member.token)
    try:
        states = session.ready["read_states"]
        mine = [s for s in states if s["channel_id"] == cid]
        assert len(mine) == 1
        assert mine[0]["mention_count"] == 1  # only `last` is after the member's own post
        assert session.ready["notification_settings"] == {"servers": [], "channels": []}
        # Another device reads it all; a fresh IDENTIFY sees it.
        assert (await api.post(ack_path(cid, last["id"]), member)).status_code == 204
        await session.wait_for("MESSAGE_ACK", mention_count=0)
    finally:
        await session.close()
    again = await GatewayClient.identify(api.server.ws_url, member.token)
    try:
        (state,) = [s for s in again.ready["read_states"] if s["channel_id"] == cid]
        assert state == {"channel_id": cid, "last_read_id": last["id"], "mention_count": 0}
    finally:
        await again.close()
    # An older ack changes nothing.
    assert (await api.post(ack_path(cid, first["id"]), member)).status_code == 204
    assert (await read_state(api, member, cid))["last_read_id"] == last["id"]
    assert server["id"]


async def test_ack_refusals(api: Api) -> None:
    owner, _, member, server, cid = await place(api)
    outsider = await api.register("out")
    other = (await api.post(f"/servers/{server['id']}/channels", owner, json={"name": "x"})).json()
    elsewhere = await api.send(owner, other["id"], "there")
    here = await api.send(owner, cid, "here")
    r = await api.post(ack_path(cid, elsewhere["id"]), member)
    assert (r.status_code, r.json()["code"]) == (404, "unknown_message")
    r = await api.post(ack_path(cid, "999999999"), member)
    assert (r.status_code, r.json()["code"]) == (404, "unknown_message")
    r = await api.post(ack_path(cid, here["id"]), outsider)
    assert (r.status_code, r.json()["code"]) == (404, "unknown_channel")
    r = await api.post(f"/servers/{server['id']}/ack", outsider)
    assert (r.status_code, r.json()["code"]) == (404, "unknown_server")
    for bad in ("0", "abc", "99999999999999999999"):
        assert (await api.post(ack_path(cid, bad), member)).status_code in (400, 404)
    assert (await api.post(ack_path(cid, here["id"]))).status_code == 401
    assert (await read_state(api, member, cid))["last_read_id"] is None


async def test_a_server_ack_reads_every_channel(api: Api) -> None:
    owner, mod, member, server, cid = await place(api)
    other = (await api.post(f"/servers/{server['id']}/channels", owner, json={"name": "x"})).json()
    await api.post(f"/servers/{server['id']}/channels", owner, json={"name": "empty"})
    a = await api.send(mod, cid, f"<@{member.id}>")
    b = await api.send(mod, other["id"], "@everyone")
    session = await GatewayClient.identify(api.server.ws_url, member.token)
    try:
        before = {s["channel_id"]: s["mention_count"] for s in session.ready["read_states"]}
        assert (before[cid], before[other["id"]]) == (1, 1)
        r = await api.post(f"/servers/{server['id']}/ack", member)
        assert r.status_code == 204, r.text
        acks = [await session.wait_for("MESSAGE_ACK") for _ in range(2)]
        got = sorted((x["channel_id"], x["message_id"], x["mention_count"]) for x in acks)
        assert got == sorted([(cid, a["id"], 0), (other["id"], b["id"], 0)])
    finally:
        await session.close()
    states = (await api.get("/users/@me/read-states", member)).json()
    assert len(states) == 3
    assert {s["channel_id"]: s["mention_count"] for s in states}[other["id"]] == 0


async def test_notification_settings(api: Api) -> None:
    owner, _, member, server, cid = await place(api)
    path = "/users/@me/notification-settings"
    assert (await api.get(path, member)).json() == {"servers": [], "channels": []}
    one = await GatewayClient.identify(api.server.ws_url, member.token)
    other = await GatewayClient.identify(api.server.ws_url, owner.token)
    try:
        r = await api.patch(path, member, json={"server_id": server["id"], "level": "mentions"})
        assert r.status_code == 200, r.text
        assert r.json() == {"server_id": server["id"], "level": "mentions", "muted_until": None}
        assert await one.wait_for("NOTIFICATION_SETTINGS_UPDATE") == r.json()
        until = "2030-01-01T00:00:00Z"
        r = await api.patch(path, member, json={"channel_id": cid, "muted_until": until})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["channel_id"], body["level"]) == (cid, None)
        assert body["muted_until"].startswith("2030-01-01T00:00:00")
        r = await api.patch(path, member, json={"channel_id": cid, "level": "nothing"})
        assert r.json()["level"] == "nothing"
        assert r.json()["muted_until"].startswith("2030-01-01")  # kept
        frames = await other.quiet(0.4)
        assert "NOTIFICATION_SETTINGS_UPDATE" not in [f.get("t") for f in frames]
    finally:
        await one.close()
        await other.close()
    got = (await api.get(path, member)).json()
    assert got["servers"] == [{"server_id": server["id"], "level": "mentions", "muted_until": None}]
    assert [(c["channel_id"], c["level"]) for c in got["channels"]] == [(cid, "nothing")]
    again = await GatewayClient.identify(api.server.ws_url, member.token)
    try:
        assert again.ready["notification_settings"] == got
    finally:
        await again.close()
    outsider = await api.register("out")
    for who, body, status in [
        (member, {}, 400),
        (member, {"server_id": server["id"], "channel_id": cid}, 400),
        (member, {"server_id": server["id"], "level": None}, 400),
        (member, {"server_id": server["id"], "level": "loud"}, 400),
        (member, {"server_id": server["id"], "muted_until": "2030-01-01T00:00:00"}, 400),
        (member, {"server_id": server["id"], "extra": 1}, 400),
        (outsider, {"server_id": server["id"], "level": "all"}, 404),
        (outsider, {"channel_id": cid, "level": "all"}, 404),
    ]:
        r = await api.patch(path, who, json=body)
        assert r.status_code == status, (body, r.text)
    assert (await api.get(path, outsider)).json() == {"servers": [], "channels": []}


async def test_racing_acks_never_move_back(api: Api) -> None:
    """On PostgreSQL the acks really race (one conditional upsert each); whatever order they
    commit in, the read point ends at the newest and no answer is a 5xx."""
    owner, _, member, _, cid = await place(api)
    ids = [(await api.send(owner, cid, f"m{i}"))["id"] for i in range(8)]
    for _ in range(ROUNDS):
        shuffled = ids[:]
        random.shuffle(shuffled)
        responses = await at_once(*(api.post(ack_path(cid, mid), member) for mid in shuffled))
        assert {r.status_code for r in responses} == {204}
        assert (await read_state(api, member, cid))["last_read_id"] == ids[-1]
    # Posting (which marks read) racing acks of older messages: the post wins.
    older = ids[:4]
    posted, *rest = await asyncio.gather(
        api.post(f"/channels/{cid}/messages", member, json={"content": "mine"}),
        *(api.post(ack_path(cid, mid), member) for mid in older),
    )
    assert posted.status_code == 201 and all(r.status_code == 204 for r in rest)
    assert (await read_state(api, member, cid))["last_read_id"] == posted.json()["id"]


async def test_dms_count_every_message_by_the_other(api: Api) -> None:
    _, _, member, _, _ = await place(api)
    friend = await api.register("fr")
    server = await api.create_server(friend)
    await api.join(member, server["id"], friend)
    r = await api.post("/users/@me/channels", member, json={"recipient_id": friend.id})
    assert r.status_code == 201, r.text
    dm = r.json()
    assert dm["last_message_id"] is None
    first = await api.send(friend, dm["id"], "hello")
    last = await api.send(friend, dm["id"], "are you there?")
    listed = (await api.get("/users/@me/channels", member)).json()
    assert [c["last_message_id"] for c in listed if c["id"] == dm["id"]] == [last["id"]]
    session = await GatewayClient.identify(api.server.ws_url, member.token)
    try:
        (mine,) = [s for s in session.ready["read_states"] if s["channel_id"] == dm["id"]]
        assert mine == {"channel_id": dm["id"], "last_read_id": None, "mention_count": 2}
        assert (await api.post(ack_path(dm["id"], first["id"]), member)).status_code == 204
        ack = await session.wait_for("MESSAGE_ACK")
        assert ack == {"channel_id": dm["id"], "message_id": first["id"], "mention_count": 1}
    finally:
        await session.close()
    assert (await read_state(api, member, dm["id"]))["mention_count"] == 1
    assert (await read_state(api, friend, dm["id"]))["last_read_id"] == last["id"]  # posted
    r = await api.patch(
        "/users/@me/notification-settings",
        member,
        json={"channel_id": dm["id"], "level": "nothing"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"channel_id": dm["id"], "level": "nothing", "muted_until": None}
