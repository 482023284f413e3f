"""Servers, invites, members and roles over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from .harness import Api


async def test_create_server_makes_owner_and_general(api: Api) -> None:
    alice = await api.register("alice")
    server = await api.create_server(alice, "  Friends  ")
    assert server["name"] == "Friends"
    assert server["owner_id"] == alice.id and server["role"] == "owner"
    assert server["member_count"] == 1
    assert [c["name"] for c in server["channels"]] == ["general"]
    mine = (await api.get("/users/@me/servers", alice)).json()
    assert [(s["id"], s["role"]) for s in mine] == [(server["id"], "owner")]


async def test_non_member_cannot_tell_a_server_exists(api: Api) -> None:
    alice = await api.register("alice")
    eve = await api.register("eve")
    server = await api.create_server(alice)
    channel = server["channels"][0]["id"]
    for path in (
        f"/servers/{server['id']}",
        "/servers/4611686018427387904",
        f"/servers/{server['id']}/members",
        f"/servers/{server['id']}/channels",
    ):
        r = await api.get(path, eve)
        assert r.status_code == 404, path
        assert r.json()["code"] == "unknown_server"
    for path in (f"/channels/{channel}", f"/channels/{channel}/messages"):
        r = await api.get(path, eve)
        assert r.status_code == 404 and r.json()["code"] == "unknown_channel"
    missing = await api.get("/channels/4611686018427387904", eve)
    assert missing.json() == (await api.get(f"/channels/{channel}", eve)).json()


async def test_invite_flow(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    server = await api.create_server(alice)
    r = await api.post(
        f"/servers/{server['id']}/invites", alice, json={"max_uses": 1, "max_age": 3600}
    )
    assert r.status_code == 201
    invite = r.json()
    assert invite["max_uses"] == 1 and invite["uses"] == 0 and invite["expires_at"]
    preview = await api.get(f"/invites/{invite['code']}", bob)
    assert preview.status_code == 200
    assert preview.json()["server"]["id"] == server["id"]
    assert preview.json()["member_count"] == 1
    joined = await api.post(f"/invites/{invite['code']}", bob)
    assert joined.status_code == 200
    assert joined.json()["role"] == "member" and joined.json()["member_count"] == 2
    # used up: unknown to everyone else now
    carol = await api.register("carol")
    assert (await api.get(f"/invites/{invite['code']}", carol)).status_code == 404
    assert (await api.post(f"/invites/{invite['code']}", carol)).status_code == 404
    # joining again as a member is a no-op
    again = await api.post(f"/invites/{invite['code']}", bob)
    assert again.status_code == 200 and again.json()["member_count"] == 2


async def test_invite_max_uses_holds_under_concurrent_accepts(api: Api) -> None:
    owner = await api.register("owner")
    server = await api.create_server(owner)
    invite = (
        await api.post(f"/servers/{server['id']}/invites", owner, json={"max_uses": 3})
    ).json()
    joiners = [await api.register("j") for _ in range(8)]
    answers = await asyncio.gather(*(api.post(f"/invites/{invite['code']}", j) for j in joiners))
    assert sorted(r.status_code for r in answers) == [200] * 3 + [404] * 5
    members = (await api.get(f"/servers/{server['id']}/members", owner)).json()
    assert len(members) == 4


async def test_only_admins_manage_invites(api: Api) -> None:
    owner = await api.register("owner")
    member = await api.register("member")
    server = await api.create_server(owner)
    await api.join(member, server["id"], owner)
    r = await api.post(f"/servers/{server['id']}/invites", member, json={})
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    assert (await api.get(f"/servers/{server['id']}/invites", member)).status_code == 403
    code = (await api.post(f"/servers/{server['id']}/invites", owner, json={})).json()["code"]
    assert (await api.delete(f"/invites/{code}", member)).status_code == 403
    assert (await api.delete(f"/invites/{code}", owner)).status_code == 204
    assert (await api.get(f"/invites/{code}", member)).status_code == 404


async def test_members_pagination_and_roles(api: Api) -> None:
    owner = await api.register("owner")
    server = await api.create_server(owner)
    people = [await api.register("m") for _ in range(5)]
    for person in people:
        await api.join(person, server["id"], owner)
    first = (await api.get(f"/servers/{server['id']}/members", owner, params={"limit": 4})).json()
    assert len(first) == 4
    rest = (
        await api.get(
            f"/servers/{server['id']}/members",
            owner,
            params={"limit": 4, "after": first[-1]["user"]["id"]},
        )
    ).json()
    ids = [m["user"]["id"] for m in first + rest]
    assert len(ids) == 6 and ids == sorted(ids, key=int)
    roles = {m["user"]["id"]: m["role"] for m in first + rest}
    assert roles[owner.id] == "owner"
    assert all(m["presence"] == "offline" for m in first + rest)


async def test_role_ladder_over_http(api: Api) -> None:
    owner = await api.register("owner")
    admin = await api.register("admin")
    mod = await api.register("mod")
    member = await api.register("member")
    server = await api.create_server(owner)
    sid = server["id"]
    for person in (admin, mod, member):
        await api.join(person, sid, owner)
    await api.set_role(owner, sid, admin, "admin")
    await api.set_role(admin, sid, mod, "moderator")
    # an admin cannot make an admin, nor touch another admin
    r = await api.patch(f"/servers/{sid}/members/{member.id}", admin, json={"role": "admin"})
    assert r.status_code == 403 and r.json()["code"] == "role_hierarchy"
    # nobody becomes owner by a role change
    r = await api.patch(f"/servers/{sid}/members/{member.id}", owner, json={"role": "owner"})
    assert r.status_code == 403
    # a moderator kicks a member but not an admin, and cannot change roles
    assert (await api.delete(f"/servers/{sid}/members/{admin.id}", mod)).status_code == 403
    r = await api.patch(f"/servers/{sid}/members/{member.id}", mod, json={"role": "moderator"})
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    assert (await api.delete(f"/servers/{sid}/members/{member.id}", mod)).status_code == 204
    assert (await api.get(f"/servers/{sid}", member)).status_code == 404
    # a bad role name is a 400
    r = await api.patch(f"/servers/{sid}/members/{mod.id}", owner, json={"role": "king"})
    assert r.status_code == 400 and r.json()["field"] == "role"


async def test_leave_transfer_and_delete(api: Api) -> None:
    owner = await api.register("owner")
    bob = await api.register("bob")
    server = await api.create_server(owner)
    sid = server["id"]
    await api.join(bob, sid, owner)
    r = await api.delete(f"/users/@me/servers/{sid}", owner)
    assert r.status_code == 409 and r.json()["code"] == "owner_cannot_leave"
    r = await api.post(f"/servers/{sid}/transfer", owner, json={"user_id": bob.id})
    assert r.status_code == 200 and r.json()["owner_id"] == bob.id
    me = (await api.get(f"/servers/{sid}/members/{owner.id}", bob)).json()
    assert me["role"] == "admin"
    assert (await api.delete(f"/servers/{sid}", owner)).status_code == 403
    assert (await api.delete(f"/users/@me/servers/{sid}", owner)).status_code == 204
    assert (await api.get(f"/servers/{sid}", owner)).status_code == 404
    assert (await api.delete(f"/servers/{sid}", bob)).status_code == 204
    assert (await api.get(f"/servers/{sid}", bob)).status_code == 404
    assert (await api.get("/users/@me/servers", bob)).json() == []


async def test_update_server_settings(api: Api) -> None:
    owner = await api.register("owner")
    member = await api.register("member")
    server = await api.create_server(owner)
    await api.join(member, server["id"], owner)
    r = await api.patch(f"/servers/{server['id']}", owner, json={"name": "New", "description": "d"})
    assert r.status_code == 200 and r.json()["name"] == "New" and r.json()["description"] == "d"
    r = await api.patch(f"/servers/{server['id']}", member, json={"name": "Mine"})
    assert r.status_code == 403
    assert (await api.get(f"/servers/{server['id']}", member)).json()["name"] == "New"
