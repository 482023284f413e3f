"""The Discord v10 facade over raw HTTP and WebSockets, on SQLite and PostgreSQL: object
shapes, Discord's error codes, rate-limit headers, history paging, and the v10 gateway
(READY + GUILD_CREATE, intents, message content, member events, presence, typing, RESUME,
INVALID_SESSION). The discord.py proof is test_discord_py.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from entrypoints.settings import RateLimit, RateLimits

from .harness import Account, Api, GatewayClient, live_server, make_settings

V10 = "/api/v10"
GUILDS, GUILD_MEMBERS, GUILD_PRESENCES, GUILD_MESSAGES = 1, 2, 1 << 8, 1 << 9
GUILD_MESSAGE_TYPING, MESSAGE_CONTENT = 1 << 11, 1 << 15


def bot_auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bot {token}"}


async def world(api: Api) -> dict[str, Any]:
    owner = await api.register("own")
    server = await api.create_server(owner, "Facade")
    r = await api.post("/users/@me/bots", owner, json={"username": f"v10{owner.id[-8:]}"})
    assert r.status_code == 201, r.text
    bot = r.json()
    r = await api.post(
        f"/servers/{server['id']}/members", owner, json={"user_id": bot["user"]["id"]}
    )
    assert r.status_code == 201, r.text
    return {
        "owner": owner,
        "server": server,
        "channel_id": server["channels"][0]["id"],
        "bot_id": bot["user"]["id"],
        "token": bot["token"],
    }


async def v10(api: Api, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
    headers = {**bot_auth(token), **kw.pop("headers", {})}
    return await api.http.request(method, V10 + path, headers=headers, **kw)


async def test_rest_shapes(api: Api) -> None:
    w = await world(api)
    token, sid, cid = w["token"], w["server"]["id"], w["channel_id"]
    me = (await v10(api, "GET", "/users/@me", token)).json()
    assert me["id"] == w["bot_id"] and me["bot"] is True and me["discriminator"] == "0"
    app = (await v10(api, "GET", "/oauth2/applications/@me", token)).json()
    assert app["id"] == w["bot_id"] and app["owner"]["id"] == w["owner"].id
    gw = (await v10(api, "GET", "/gateway/bot", token)).json()
    assert gw["url"] == api.server.url.replace("http", "ws") + "/api/v10/gateway"
    assert gw["shards"] == 1
    assert (await api.http.get(V10 + "/gateway")).json()["url"] == gw["url"]
    guilds = (await v10(api, "GET", "/users/@me/guilds", token)).json()
    assert [(g["id"], g["owner"]) for g in guilds] == [(sid, False)]
    guild = (await v10(api, "GET", f"/guilds/{sid}", token)).json()
    assert guild["owner_id"] == w["owner"].id and guild["name"] == "Facade"
    roles = {r["name"]: r for r in guild["roles"]}
    assert roles["@everyone"]["id"] == sid
    everyone, owner_perms = (
        int(roles["@everyone"]["permissions"]),
        int(roles["Owner"]["permissions"]),
    )
    assert everyone & (1 << 11) and not everyone & (1 << 13)  # send, not manage messages
    assert owner_perms & (1 << 3)  # administrator
    channels = (await v10(api, "GET", f"/guilds/{sid}/channels", token)).json()
    assert [(c["id"], c["type"], c["name"]) for c in channels] == [(cid, 0, "general")]
    members = (await v10(api, "GET", f"/guilds/{sid}/members?limit=10", token)).json()
    roles_of = {m["user"]["id"]: m["roles"] for m in members}
    assert roles_of == {w["owner"].id: ["3"], w["bot_id"]: []}
    member = (await v10(api, "GET", f"/guilds/{sid}/members/{w['owner'].id}", token)).json()
    assert member["user"]["username"] == w["owner"].username


async def test_messages_and_history(api: Api) -> None:
    w = await world(api)
    token, cid = w["token"], w["channel_id"]
    ids = []
    for n in range(5):
        r = await v10(
            api,
            "POST",
            f"/channels/{cid}/messages",
            token,
            json={"content": f"m{n}", "tts": False, "nonce": 1000 + n},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert isinstance(body["id"], str) and body["author"]["bot"] is True
        assert body["guild_id"] == w["server"]["id"] and body["type"] == 0
        ids.append(body["id"])
    page = (await v10(api, "GET", f"/channels/{cid}/messages?limit=2", token)).json()
    assert [m["content"] for m in page] == ["m4", "m3"]
    page = (
        await v10(api, "GET", f"/channels/{cid}/messages?before={ids[2]}&limit=10", token)
    ).json()
    assert [m["content"] for m in page] == ["m1", "m0"]
    page = (await v10(api, "GET", f"/channels/{cid}/messages?after={ids[2]}", token)).json()
    assert [m["content"] for m in page] == ["m4", "m3"]
    page = (
        await v10(api, "GET", f"/channels/{cid}/messages?around={ids[2]}&limit=3", token)
    ).json()
    assert [m["content"] for m in page] == ["m3", "m2", "m1"]
    r = await v10(
        api, "PATCH", f"/channels/{cid}/messages/{ids[0]}", token, json={"content": "edited"}
    )
    assert r.status_code == 200 and r.json()["edited_timestamp"] is not None
    got = (await v10(api, "GET", f"/channels/{cid}/messages/{ids[0]}", token)).json()
    assert got["content"] == "edited"
    embed = {"embeds": [{"title": "Title", "description": "Body"}]}
    r = await v10(api, "POST", f"/channels/{cid}/messages", token, json=embed)
    assert r.json()["content"] == "**Title**\nBody"
    assert (
        await v10(api, "DELETE", f"/channels/{cid}/messages/{ids[1]}", token)
    ).status_code == 204
    assert (await v10(api, "POST", f"/channels/{cid}/typing", token)).status_code == 204


async def test_discord_error_codes(api: Api) -> None:
    w = await world(api)
    token, cid = w["token"], w["channel_id"]
    r = await api.http.get(V10 + "/users/@me", headers=bot_auth("nope"))
    assert r.status_code == 401 and r.json() == {"message": "401: Unauthorized", "code": 0}
    r = await v10(api, "GET", "/channels/12345/messages", token)
    assert r.status_code == 404 and r.json()["code"] == 10003
    r = await v10(api, "GET", f"/channels/{cid}/messages/12345", token)
    assert r.status_code == 404 and r.json()["code"] == 10008
    r = await v10(api, "GET", "/guilds/12345", token)
    assert r.status_code == 404 and r.json()["code"] == 10004
    r = await v10(api, "POST", f"/channels/{cid}/messages", token, json={"content": "x" * 2001})
    assert r.status_code == 400 and r.json()["code"] == 50035 and "errors" in r.json()
    r = await v10(api, "POST", f"/channels/{cid}/messages", token, json={"content": "   "})
    assert r.status_code == 400 and r.json()["code"] == 50006
    r = await v10(
        api,
        "POST",
        f"/channels/{cid}/messages",
        token,
        content=b"{not json",
        headers={**bot_auth(token), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["code"] == 50035
    # a member (the bot) kicking the owner, deleting the owner's message
    r = await v10(api, "DELETE", f"/guilds/{w['server']['id']}/members/{w['owner'].id}", token)
    assert r.status_code == 403 and r.json()["code"] == 50013
    theirs = await api.send(w["owner"], cid, "mine")
    r = await v10(api, "DELETE", f"/channels/{cid}/messages/{theirs['id']}", token)
    assert r.status_code == 403 and r.json()["code"] == 50013
    r = await v10(
        api, "PATCH", f"/channels/{cid}/messages/{theirs['id']}", token, json={"content": "x"}
    )
    assert r.status_code == 403 and r.json()["code"] == 50005
    # a DM with someone the bot shares no server with: Discord's unknown user
    stranger = await api.register("str")
    r = await v10(api, "POST", "/users/@me/channels", token, json={"recipient_id": stranger.id})
    assert r.status_code == 404 and r.json()["code"] == 10013


async def test_bots_open_dms_and_hear_them(api: Api) -> None:
    w = await world(api)
    token, owner = w["token"], w["owner"]
    gw = await identify(api, token, GUILDS | 1 << 12)  # DIRECT_MESSAGES, no MESSAGE_CONTENT
    try:
        r = await v10(api, "POST", "/users/@me/channels", token, json={"recipient_id": owner.id})
        assert r.status_code == 200, r.text
        dm = r.json()
        assert dm["type"] == 1 and [u["id"] for u in dm["recipients"]] == [owner.id]
        again = await v10(
            api, "POST", "/users/@me/channels", token, json={"recipient_id": owner.id}
        )
        assert again.json()["id"] == dm["id"]
        fetched = (await v10(api, "GET", f"/channels/{dm['id']}", token)).json()
        assert fetched["type"] == 1 and fetched["recipients"][0]["id"] == owner.id
        created = await gw.wait_for("CHANNEL_CREATE")
        assert created["id"] == dm["id"] and created["type"] == 1
        await api.send(owner, dm["id"], "psst, bot")
        heard = await gw.wait_for("MESSAGE_CREATE")
        # A DM's content reaches a bot without the message-content intent, as on Discord.
        assert heard["content"] == "psst, bot" and "guild_id" not in heard
        r = await v10(api, "POST", f"/channels/{dm['id']}/messages", token, json={"content": "hi"})
        assert r.status_code == 200, r.text
        assert "guild_id" not in r.json()
    finally:
        await gw.close()


async def test_rate_limit_headers_and_429(tmp_path: Path) -> None:
    limits = RateLimits(
        enabled=True, message_per_channel=RateLimit(2, 5.0), per_user=RateLimit(100, 10)
    )
    with live_server(make_settings(tmp_path, rate_limits=limits)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
            api = Api(http, server)
            w = await world(api)
            url = f"/channels/{w['channel_id']}/messages"
            first = await v10(api, "POST", url, w["token"], json={"content": "a"})
            assert first.headers["X-RateLimit-Bucket"] == "message_per_channel"
            assert int(first.headers["X-RateLimit-Limit"]) == 2
            assert int(first.headers["X-RateLimit-Remaining"]) == 1
            assert float(first.headers["X-RateLimit-Reset-After"]) > 0
            await v10(api, "POST", url, w["token"], json={"content": "b"})
            limited = await v10(api, "POST", url, w["token"], json={"content": "c"})
            assert limited.status_code == 429
            body = limited.json()
            assert body["retry_after"] > 0 and body["global"] is False
            assert limited.headers["Via"] and limited.headers["Retry-After"]


async def identify(api: Api, token: str, intents: int) -> GatewayClient:
    client = await GatewayClient.open(
        api.server.url.replace("http", "ws")
        + "/api/v10/gateway?v=10&encoding=json&compress=zlib-stream"
    )
    await client.send(
        {"op": 2, "d": {"token": token, "intents": intents, "properties": {"os": "linux"}}}
    )
    client.ready = await client.wait_for("READY")
    return client


async def test_gateway_ready_and_intents(api: Api) -> None:
    w = await world(api)
    sid, cid, owner = w["server"]["id"], w["channel_id"], w["owner"]
    everything = (
        GUILDS
        | GUILD_MEMBERS
        | GUILD_PRESENCES
        | GUILD_MESSAGES
        | GUILD_MESSAGE_TYPING
        | MESSAGE_CONTENT
    )
    full = await identify(api, w["token"], everything)
    plain = await identify(api, w["token"], GUILDS | GUILD_MESSAGES)
    try:
        ready = full.ready
        assert ready["v"] == 10 and ready["user"]["bot"] is True
        assert ready["guilds"] == [{"id": sid, "unavailable": True}]
        assert ready["resume_gateway_url"].endswith("/api/v10/gateway")
        assert ready["application"]["id"] == w["bot_id"]
        guild = await full.wait_for("GUILD_CREATE")
        assert guild["id"] == sid and [c["name"] for c in guild["channels"]] == ["general"]
        assert {m["user"]["id"] for m in guild["members"]} == {owner.id, w["bot_id"]}
        small = await plain.wait_for("GUILD_CREATE")
        assert [m["user"]["id"] for m in small["members"]] == [w["bot_id"]]

        await api.send(owner, cid, "secret words")
        seen = await full.wait_for("MESSAGE_CREATE")
        assert seen["content"] == "secret words" and seen["guild_id"] == sid
        stripped = await plain.wait_for("MESSAGE_CREATE")
        assert stripped["content"] == "" and stripped["id"] == seen["id"]
        await api.send(owner, cid, f"hey <@{w['bot_id']}> @everyone")
        pinged = await plain.wait_for("MESSAGE_CREATE")
        assert pinged["content"].startswith("hey")
        assert [u["id"] for u in pinged["mentions"]] == [w["bot_id"]]
        assert pinged["mention_everyone"] is True  # the owner may
        assert isinstance(pinged["mentions"][0]["username"], str)

        r = await api.post(f"/channels/{cid}/typing", owner)
        assert r.status_code == 204
        typing = await full.wait_for("TYPING_START")
        assert typing["user_id"] == owner.id and isinstance(typing["timestamp"], int)

        joiner = await api.register("join")
        await api.join(joiner, sid, owner)
        added = await full.wait_for("GUILD_MEMBER_ADD")
        assert added["guild_id"] == sid and added["user"]["id"] == joiner.id
        gw = await GatewayClient.identify(api.server.ws_url, joiner.token)
        presence = await full.wait_for("PRESENCE_UPDATE", timeout=5, status="online")
        assert presence["user"]["id"] == joiner.id and presence["status"] == "online"
        await gw.close()
        r = await api.delete(f"/servers/{sid}/members/{joiner.id}", owner)
        assert r.status_code == 204
        removed = await full.wait_for("GUILD_MEMBER_REMOVE")
        assert removed["user"]["id"] == joiner.id and removed["user"]["username"] == joiner.username

        names = [f["t"] for f in plain.seen]
        assert "TYPING_START" not in names and "GUILD_MEMBER_ADD" not in names
        assert "PRESENCE_UPDATE" not in names
    finally:
        await full.close()
        await plain.close()


async def test_gateway_resume_and_invalid_session(api: Api) -> None:
    w = await world(api)
    url = api.server.url.replace("http", "ws") + "/api/v10/gateway?v=10&encoding=json"
    client = await identify(api, w["token"], GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT)
    await client.wait_for("GUILD_CREATE")
    session_id, seq = client.ready["session_id"], client.seq
    await client.ws.close(4000)  # a dropped link: the session waits for RESUME
    await api.send(w["owner"], w["channel_id"], "while away")
    again = await GatewayClient.open(url)
    again.seq = seq
    await again.send({"op": 6, "d": {"token": w["token"], "session_id": session_id, "seq": seq}})
    missed = await again.wait_for("MESSAGE_CREATE")
    assert missed["content"] == "while away"
    assert await again.wait_for("RESUMED") == {}
    await again.close()

    fresh = await GatewayClient.open(url)
    await fresh.send({"op": 6, "d": {"token": w["token"], "session_id": "nope", "seq": 1}})
    frame = await fresh.recv()
    assert frame == {"op": 9, "d": False}
    await fresh.send({"op": 2, "d": {"token": w["token"], "intents": GUILDS}})
    assert (await fresh.wait_for("READY"))["v"] == 10
    await fresh.close()

    bad = await GatewayClient.open(url)
    await bad.send({"op": 2, "d": {"token": w["token"]}})  # v10 requires intents
    assert await bad.closed() == 4013
    wrong = await GatewayClient.open(url)
    await wrong.send({"op": 2, "d": {"token": "not-a-token", "intents": 1}})
    assert await wrong.closed() == 4004


async def test_gateway_presence_and_member_chunks(api: Api) -> None:
    w = await world(api)
    client = await identify(api, w["token"], GUILDS | GUILD_MEMBERS)
    try:
        await client.wait_for("GUILD_CREATE")
        await client.send(
            {"op": 3, "d": {"status": "idle", "since": 0, "activities": [], "afk": False}}
        )
        await client.send(
            {"op": 8, "d": {"guild_id": w["server"]["id"], "query": "", "limit": 0, "nonce": "n1"}}
        )
        chunk = await client.wait_for("GUILD_MEMBERS_CHUNK")
        assert chunk["nonce"] == "n1" and len(chunk["members"]) == 2
        await asyncio.sleep(0.2)
        me = (await v10(api, "GET", "/users/@me", w["token"])).json()
        assert me["id"] == w["bot_id"]
        v1 = (await api.http.get("/api/v1/users/@me", headers=bot_auth(w["token"]))).json()
        assert v1["status"] == "away"
    finally:
        await client.close()
    assert json.dumps(chunk)  # plain JSON, snowflakes as strings
    assert all(isinstance(m["user"]["id"], str) for m in chunk["members"])


async def test_reset_token_closes_v10_sockets(api: Api) -> None:
    w = await world(api)
    client = await identify(api, w["token"], GUILDS)
    r = await api.post(f"/users/@me/bots/{w['bot_id']}/token", w["owner"])
    assert r.status_code == 200
    assert await client.closed() == 4004
    _ = Account  # (the harness's account type, for readers)


async def test_replies_reactions_and_pins(api: Api) -> None:
    w = await world(api)
    token, cid, owner, sid = w["token"], w["channel_id"], w["owner"], w["server"]["id"]
    thumbs = "\N{THUMBS UP SIGN}"
    gw = await identify(api, token, GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT | (1 << 10))
    try:
        await gw.wait_for("GUILD_CREATE")
        original = await api.send(owner, cid, "question?")
        ref = {"message_id": original["id"], "channel_id": cid, "guild_id": sid}
        r = await v10(
            api,
            "POST",
            f"/channels/{cid}/messages",
            token,
            json={"content": "answer", "message_reference": ref},
        )
        assert r.status_code == 200, r.text
        reply = r.json()
        assert reply["type"] == 19 and reply["message_reference"]["message_id"] == original["id"]
        assert reply["referenced_message"]["content"] == "question?"
        bad = {"message_id": "12345", "fail_if_not_exists": True}
        r = await v10(
            api,
            "POST",
            f"/channels/{cid}/messages",
            token,
            json={"content": "x", "message_reference": bad},
        )
        assert r.status_code == 400 and r.json()["code"] == 50035

        path = f"/channels/{cid}/messages/{original['id']}/reactions"
        r = await v10(api, "PUT", f"{path}/{thumbs}/@me", token)
        assert r.status_code == 204, r.text
        who = (await v10(api, "GET", f"{path}/{thumbs}", token)).json()
        assert [u["id"] for u in who] == [w["bot_id"]]
        r = await v10(api, "PUT", f"{path}/notanemoji/@me", token)
        assert r.status_code == 400 and r.json()["code"] == 10014
        r = await api.http.put(f"/api/v1{path}/{thumbs}/@me", headers=owner.headers)
        assert r.status_code == 204, r.text
        added = await gw.wait_for("MESSAGE_REACTION_ADD", user_id=owner.id)
        assert added["emoji"] == {"id": None, "name": thumbs} and added["guild_id"] == sid
        got = (await v10(api, "GET", f"/channels/{cid}/messages/{original['id']}", token)).json()
        assert got["reactions"][0]["count"] == 2 and got["reactions"][0]["me"] is True
        assert (await v10(api, "DELETE", f"{path}/{thumbs}/@me", token)).status_code == 204
        removed = await gw.wait_for("MESSAGE_REACTION_REMOVE", user_id=w["bot_id"])
        assert removed["message_id"] == original["id"]

        # pins need a moderator: the bot's owner promotes it, as for anyone
        pin = f"/channels/{cid}/messages/pins/{original['id']}"
        r = await v10(api, "PUT", pin, token)
        assert r.status_code == 403 and r.json()["code"] == 50013
        await api.patch(f"/servers/{sid}/members/{w['bot_id']}", owner, json={"role": "moderator"})
        assert (await v10(api, "PUT", pin, token)).status_code == 204
        pins_update = await gw.wait_for("CHANNEL_PINS_UPDATE")
        assert pins_update["channel_id"] == cid and pins_update["last_pin_timestamp"]
        pins = (await v10(api, "GET", f"/channels/{cid}/messages/pins", token)).json()
        assert [i["message"]["id"] for i in pins["items"]] == [original["id"]]
        assert pins["items"][0]["message"]["pinned"] is True
        old_style = (await v10(api, "GET", f"/channels/{cid}/pins", token)).json()
        assert [m["id"] for m in old_style] == [original["id"]]
        assert (await v10(api, "DELETE", pin, token)).status_code == 204
    finally:
        await gw.close()
