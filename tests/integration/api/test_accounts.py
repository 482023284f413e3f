"""Deleting your account and exporting data over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from .harness import Api, GatewayClient
from .test_races import crew


async def test_delete_me_signs_out_everywhere_and_frees_the_names(api: Api) -> None:
    owner, server, (bob,) = await crew(api, "bob")
    sid, cid = server["id"], server["channels"][0]["id"]
    posted = await api.send(bob, cid, "bye all")
    gw = await GatewayClient.identify(api.server.ws_url, bob.token)
    owner_gw = await GatewayClient.identify(api.server.ws_url, owner.token)
    r = await api.delete("/users/@me", bob, json={"password": "wrong password!"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials", r.text
    r = await api.delete("/users/@me", bob)
    assert r.status_code == 400, r.text
    r = await api.delete("/users/@me", bob, json={"password": bob.password})
    assert r.status_code == 204, r.text
    assert await gw.closed() == 4004
    removed = await owner_gw.wait_for("MEMBER_REMOVE")
    assert removed["user_id"] == bob.id
    assert (await api.get("/users/@me", bob)).status_code == 401
    login = await api.post("/auth/login", json={"login": bob.username, "password": bob.password})
    assert login.status_code == 401
    history = (await api.get(f"/channels/{cid}/messages", owner)).json()
    mine = next(m for m in history if m["id"] == posted["id"])
    assert mine["author"]["username"] == "Deleted user"
    members = (await api.get(f"/servers/{sid}/members", owner)).json()
    assert bob.id not in [m["user"]["id"] for m in members]
    again = await api.post(
        "/auth/register",
        json={"username": bob.username, "email": bob.email, "password": "another-pw-123"},
    )
    assert again.status_code == 201, again.text
    await owner_gw.close()


async def test_an_owner_cannot_delete_their_account(api: Api) -> None:
    owner, _, _ = await crew(api)
    r = await api.delete("/users/@me", owner, json={"password": owner.password})
    assert r.status_code == 409 and r.json()["code"] == "owner_cannot_leave", r.text
    assert (await api.get("/users/@me", owner)).status_code == 200


async def test_export_me_streams_my_profile_servers_and_messages(api: Api) -> None:
    owner, server, (bob,) = await crew(api, "bob")
    cid = server["channels"][0]["id"]
    sent = [await api.send(bob, cid, f"note {i}") for i in range(120)]
    await api.send(owner, cid, "not bob's")
    r = await api.get("/users/@me/export", bob)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    doc = json.loads(r.content)
    assert doc["format"] == "concord-user-export" and doc["version"] == 1
    assert doc["user"]["id"] == bob.id and doc["user"]["email"] == bob.email
    assert [s["id"] for s in doc["servers"]] == [server["id"]]
    assert [m["id"] for m in doc["messages"]] == [m["id"] for m in sent]
    assert (await api.get("/users/@me/export")).status_code == 401


async def test_server_export_is_the_owners_and_the_clis_format(api: Api) -> None:
    owner, server, (admin,) = await crew(api, "admin")
    sid, cid = server["id"], server["channels"][0]["id"]
    await api.set_role(owner, sid, admin, "admin")
    await api.post(f"/servers/{sid}/channels", owner, json={"name": "empty"})
    sent = [await api.send(admin, cid, f"m{i}") for i in range(3)]
    r = await api.get(f"/servers/{sid}/export", owner)
    assert r.status_code == 200, r.text
    doc = json.loads(r.content)
    assert doc["format"] == "concord-export" and doc["version"] == 1
    assert doc["server"]["id"] == sid
    assert [c["name"] for c in doc["channels"]] == ["general", "empty"]
    assert [m["id"] for m in doc["channels"][0]["messages"]] == [m["id"] for m in sent]
    assert doc["channels"][1]["messages"] == []
    assert {m["user"]["id"] for m in doc["members"]} == {owner.id, admin.id}
    r = await api.get(f"/servers/{sid}/export", admin)
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    stranger = await api.register("s")
    r = await api.get(f"/servers/{sid}/export", stranger)
    assert r.status_code == 404 and r.json()["code"] == "unknown_server"
