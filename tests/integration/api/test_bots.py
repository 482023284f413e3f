"""Bot accounts over the real API, on SQLite and PostgreSQL: create (token once), list, reset,
delete; `Authorization: Bot <token>` on REST and the token in IDENTIFY; admins add the bots
they own to a server; `bot: true` wherever the bot's user shows."""

from __future__ import annotations

import asyncio
from typing import Any

from discord_core import limits

from .harness import Account, Api, GatewayClient
from .test_races import at_once, statuses


def bot_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bot {token}"}


async def make_bot(api: Api, owner: Account, name: str = "helper") -> dict[str, Any]:
    r = await api.post("/users/@me/bots", owner, json={"username": f"{name}{owner.id[-6:]}"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_create_list_and_use_a_bot(api: Api) -> None:
    owner = await api.register("own")
    created = await make_bot(api, owner)
    assert created["user"]["bot"] is True and created["owner_id"] == owner.id
    token = created["token"]
    me = await api.http.get("/api/v1/users/@me", headers=bot_headers(token))
    assert me.status_code == 200, me.text
    assert me.json()["id"] == created["user"]["id"] and me.json()["bot"] is True
    # the Bearer scheme works too; a wrong token does not
    assert (
        await api.http.get("/api/v1/users/@me", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200
    bad = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    r = await api.http.get("/api/v1/users/@me", headers=bot_headers(bad))
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    listed = (await api.get("/users/@me/bots", owner)).json()
    assert [b["user"]["id"] for b in listed] == [created["user"]["id"]]
    assert "token" not in listed[0]
    # a bot cannot sign in with a password, nor own bots
    r = await api.post(
        "/auth/login", json={"login": created["user"]["username"], "password": "!bot"}
    )
    assert r.status_code == 401
    r = await api.http.post(
        "/api/v1/users/@me/bots", headers=bot_headers(token), json={"username": "minion"}
    )
    assert r.status_code == 403


async def test_admin_adds_own_bot_and_everyone_sees_bot_true(api: Api) -> None:
    owner = await api.register("own")
    server = await api.create_server(owner)
    channel_id = server["channels"][0]["id"]
    member = await api.register("mem")
    await api.join(member, server["id"], owner)
    created = await make_bot(api, owner)
    bot_id, token = created["user"]["id"], created["token"]
    watcher = await GatewayClient.identify(api.server.ws_url, member.token)
    bot_gw = await GatewayClient.identify(api.server.ws_url, token)
    try:
        assert bot_gw.ready["user"]["bot"] is True and bot_gw.ready["servers"] == []
        r = await api.post(f"/servers/{server['id']}/members", owner, json={"user_id": bot_id})
        assert r.status_code == 201, r.text
        assert r.json()["user"]["bot"] is True and r.json()["role"] == "member"
        added = await watcher.wait_for("MEMBER_ADD")
        assert added["user"] == {**added["user"], "id": bot_id, "bot": True}
        joined = await bot_gw.wait_for("SERVER_CREATE", id=server["id"])
        assert joined["role"] == "member"
        again = await api.post(f"/servers/{server['id']}/members", owner, json={"user_id": bot_id})
        assert again.status_code == 200
        # a member (not admin) cannot add bots; nobody adds a person this way
        other = await make_bot(api, member, "mine")
        r = await api.post(
            f"/servers/{server['id']}/members", member, json={"user_id": other["user"]["id"]}
        )
        assert r.status_code == 403
        r = await api.post(f"/servers/{server['id']}/members", owner, json={"user_id": member.id})
        assert r.status_code == 403
        # the bot posts with its token; people see its messages with bot: true
        r = await api.http.post(
            f"/api/v1/channels/{channel_id}/messages",
            headers=bot_headers(token),
            json={"content": "beep"},
        )
        assert r.status_code == 201, r.text
        assert r.json()["author"]["bot"] is True
        seen = await watcher.wait_for("MESSAGE_CREATE", content="beep")
        assert seen["author"]["bot"] is True
        history = (await api.get(f"/channels/{channel_id}/messages", member)).json()
        assert history[0]["author"]["bot"] is True
        members = (await api.get(f"/servers/{server['id']}/members", member)).json()
        assert {m["user"]["id"]: m["user"].get("bot") for m in members}[bot_id] is True
        assert (await api.get(f"/users/{bot_id}", member)).json()["bot"] is True
        assert "bot" not in (await api.get(f"/users/{member.id}", owner)).json()
    finally:
        await watcher.close()
        await bot_gw.close()


async def test_reset_token_closes_the_old_tokens_sessions(api: Api) -> None:
    owner = await api.register("own")
    created = await make_bot(api, owner)
    bot_id, old = created["user"]["id"], created["token"]
    gw = await GatewayClient.identify(api.server.ws_url, old)
    try:
        r = await api.post(f"/users/@me/bots/{bot_id}/token", owner)
        assert r.status_code == 200, r.text
        new = r.json()["token"]
        assert new != old
        assert await gw.closed() == 4004
    finally:
        await gw.close()
    assert (await api.http.get("/api/v1/users/@me", headers=bot_headers(old))).status_code == 401
    assert (await api.http.get("/api/v1/users/@me", headers=bot_headers(new))).status_code == 200
    stranger = await api.register("str")
    assert (await api.post(f"/users/@me/bots/{bot_id}/token", stranger)).status_code == 404


async def test_delete_bot(api: Api) -> None:
    owner = await api.register("own")
    server = await api.create_server(owner)
    created = await make_bot(api, owner)
    bot_id, token = created["user"]["id"], created["token"]
    r = await api.post(f"/servers/{server['id']}/members", owner, json={"user_id": bot_id})
    assert r.status_code == 201
    await api.http.post(
        f"/api/v1/channels/{server['channels'][0]['id']}/messages",
        headers=bot_headers(token),
        json={"content": "bye"},
    )
    assert (await api.delete(f"/users/@me/bots/{bot_id}", owner)).status_code == 204
    assert (await api.http.get("/api/v1/users/@me", headers=bot_headers(token))).status_code == 401
    members = (await api.get(f"/servers/{server['id']}/members", owner)).json()
    assert bot_id not in [m["user"]["id"] for m in members]
    history = (await api.get(f"/channels/{server['channels'][0]['id']}/messages", owner)).json()
    assert history[0]["author"]["username"] == "Deleted user"
    assert (await api.get("/users/@me/bots", owner)).json() == []
    assert (await api.delete(f"/users/@me/bots/{bot_id}", owner)).status_code == 404


async def test_bad_input(api: Api) -> None:
    owner = await api.register("own")
    for body in ({}, {"username": "x"}, {"username": "a" * 33}, {"username": "ok_name", "x": 1}):
        r = await api.post("/users/@me/bots", owner, json=body)
        assert r.status_code == 400, (body, r.text)
    server = await api.create_server(owner)
    for body in ({}, {"user_id": "abc"}, {"user_id": "99999999999999999999"}):
        r = await api.post(f"/servers/{server['id']}/members", owner, json=body)
        assert r.status_code == 400, (body, r.text)
    assert (await api.get("/users/@me/bots", owner)).json() == []


async def test_race_bot_quota(api: Api) -> None:
    """Concurrent creates by one owner never exceed the quota (PostgreSQL: the owner's row
    lock), and nothing answers 5xx."""
    owner = await api.register("own")
    original = limits.BOTS_PER_USER_MAX
    limits.BOTS_PER_USER_MAX = 3  # type: ignore[misc]
    try:
        responses = await at_once(
            *(
                api.post("/users/@me/bots", owner, json={"username": f"r{i}{owner.id[-8:]}"})
                for i in range(8)
            )
        )
    finally:
        limits.BOTS_PER_USER_MAX = original  # type: ignore[misc]
    assert statuses(responses) == [201] * 3 + [409] * 5
    assert len((await api.get("/users/@me/bots", owner)).json()) == 3


async def test_race_adding_a_bot_twice(api: Api) -> None:
    owner = await api.register("own")
    server = await api.create_server(owner)
    bot_id = (await make_bot(api, owner))["user"]["id"]
    responses = await at_once(
        *(
            api.post(f"/servers/{server['id']}/members", owner, json={"user_id": bot_id})
            for _ in range(6)
        )
    )
    assert statuses(responses) == [200] * 5 + [201]
    members = (await api.get(f"/servers/{server['id']}/members", owner)).json()
    assert [m["user"]["id"] for m in members].count(bot_id) == 1
    await asyncio.sleep(0)
