"""DMs, group DMs and blocks over real HTTP and WebSockets, on both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from discord_core import limits
from entrypoints.settings import RateLimit, RateLimits

from .harness import Account, Api, GatewayClient, live_server, make_settings

DM_PATH = "/users/@me/channels"


async def friends(api: Api, count: int = 2) -> tuple[list[Account], dict[str, Any]]:
    """`count` people sharing one server (the first owns it)."""
    people = [await api.register("dm") for _ in range(count)]
    server = await api.create_server(people[0])
    for person in people[1:]:
        await api.join(person, server["id"], people[0])
    return people, server


async def open_dm(api: Api, who: Account, other: Account) -> httpx.Response:
    return await api.post(DM_PATH, who, json={"recipient_id": other.id})


async def group(api: Api, who: Account, *others: Account, name: str | None = None) -> Any:
    body: dict[str, Any] = {"recipient_ids": [o.id for o in others]}
    if name is not None:
        body["name"] = name
    r = await api.post(DM_PATH, who, json=body)
    assert r.status_code == 201, r.text
    return r.json()


def ids(users: list[dict[str, Any]]) -> set[str]:
    return {u["id"] for u in users}


async def test_a_dm_is_the_same_channel_every_time_from_either_side(api: Api) -> None:
    (a, b), _ = await friends(api)
    first = await open_dm(api, a, b)
    assert first.status_code == 201, first.text
    dm = first.json()
    assert dm["type"] == "dm" and dm["server_id"] is None and dm["name"] == ""
    assert ids(dm["recipients"]) == {a.id, b.id}
    again = await open_dm(api, a, b)
    back = await open_dm(api, b, a)
    assert again.status_code == back.status_code == 200
    assert again.json()["id"] == back.json()["id"] == dm["id"]
    listed = (await api.get(DM_PATH, b)).json()
    assert [c["id"] for c in listed] == [dm["id"]]
    assert (await api.get(f"/channels/{dm['id']}", b)).json()["type"] == "dm"


async def test_only_people_who_share_a_server_can_be_reached(api: Api) -> None:
    (a, _), _ = await friends(api)
    stranger = await api.register("str")
    for target in (stranger.id, "999999999999"):
        r = await api.post(DM_PATH, a, json={"recipient_id": target})
        assert r.status_code == 404 and r.json()["code"] == "unknown_user", r.text
    r = await api.post(DM_PATH, a, json={"recipient_id": a.id})
    assert r.status_code == 400 and r.json()["code"] == "self_dm"
    for body in ({}, {"recipient_id": a.id, "recipient_ids": [a.id]}, {"recipient_id": "x"}):
        assert (await api.post(DM_PATH, a, json=body)).status_code == 400, body
    assert (await api.get(DM_PATH, stranger)).json() == []


async def test_messages_typing_and_history_in_a_dm_reach_exactly_its_people(api: Api) -> None:
    (a, b, c), _ = await friends(api, 3)
    dm = (await open_dm(api, a, b)).json()
    cid = dm["id"]
    gws = {p.id: await GatewayClient.identify(api.server.ws_url, p.token) for p in (a, b, c)}
    try:
        assert [ch["id"] for ch in gws[b.id].ready["private_channels"]] == [cid]
        assert gws[c.id].ready["private_channels"] == []
        sent = await api.send(a, cid, "hello b")
        assert sent["server_id"] is None and sent["channel_id"] == cid
        for person in (a, b):
            event = await gws[person.id].wait_for("MESSAGE_CREATE", channel_id=cid)
            assert event["content"] == "hello b" and event["server_id"] is None
        assert (await api.post(f"/channels/{cid}/typing", b)).status_code == 204
        assert (await gws[a.id].wait_for("TYPING_START", channel_id=cid))["user_id"] == b.id
        edited = await api.patch(
            f"/channels/{cid}/messages/{sent['id']}", a, json={"content": "hi"}
        )
        assert edited.status_code == 200, edited.text
        await gws[b.id].wait_for("MESSAGE_UPDATE", id=sent["id"])
        # Nobody moderates a DM: b cannot delete a's message; a can.
        r = await api.delete(f"/channels/{cid}/messages/{sent['id']}", b)
        assert r.status_code == 403, r.text
        reply = await api.send(b, cid, "hey a")
        page = (await api.get(f"/channels/{cid}/messages", a)).json()
        assert [m["id"] for m in page] == [reply["id"], sent["id"]]
        assert (await api.delete(f"/channels/{cid}/messages/{sent['id']}", a)).status_code == 204
        await gws[b.id].wait_for("MESSAGE_DELETE", id=sent["id"])
        frames = await gws[c.id].quiet(0.5)
        assert not [f for f in frames if f.get("d", {}).get("channel_id") == cid], frames
    finally:
        for gw in gws.values():
            await gw.close()


async def test_a_stranger_cannot_tell_a_dm_exists(api: Api) -> None:
    (a, b, c), _ = await friends(api, 3)
    cid = (await open_dm(api, a, b)).json()["id"]
    message = await api.send(a, cid, "private")
    mid = message["id"]
    for method, path, body in (
        ("GET", f"/channels/{cid}", None),
        ("GET", f"/channels/{cid}/messages", None),
        ("GET", f"/channels/{cid}/messages/{mid}", None),
        ("POST", f"/channels/{cid}/messages", {"content": "x"}),
        ("POST", f"/channels/{cid}/typing", None),
        ("GET", f"/channels/{cid}/pins", None),
        ("PATCH", f"/channels/{cid}", {"name": "x"}),
        ("DELETE", f"/channels/{cid}", None),
        ("GET", f"/channels/{cid}/messages/search?content=private", None),
    ):
        r = await api.request(method, path, c, json=body)
        missing = await api.request(method, path.replace(cid, "999999999999"), c, json=body)
        assert r.status_code == missing.status_code == 404, (path, r.text)
        assert r.json()["code"] == missing.json()["code"]


async def test_reactions_pins_and_search_work_in_a_dm_for_either_person(api: Api) -> None:
    (a, b), _ = await friends(api)
    cid = (await open_dm(api, a, b)).json()["id"]
    message = await api.send(a, cid, "pin this banana")
    mid = message["id"]
    r = await api.request("PUT", f"/channels/{cid}/messages/{mid}/reactions/%F0%9F%91%8D/@me", b)
    assert r.status_code == 204, r.text
    assert (await api.request("PUT", f"/channels/{cid}/pins/{mid}", b)).status_code == 204
    pins = (await api.get(f"/channels/{cid}/pins", a)).json()
    assert [p["id"] for p in pins] == [mid]
    r = await api.delete(f"/channels/{cid}/messages/{mid}/reactions", a)
    assert r.status_code == 403, r.text  # clearing everyone's reactions is a moderator's
    found = (await api.get(f"/channels/{cid}/messages/search?content=banana", b)).json()
    assert found["total_results"] == 1, found


async def test_blocking_stops_new_dms_and_posting_but_not_reading(api: Api) -> None:
    (a, b), _ = await friends(api)
    cid = (await open_dm(api, a, b)).json()["id"]
    earlier = await api.send(a, cid, "before the block")
    gw = await GatewayClient.identify(api.server.ws_url, b.token)
    try:
        assert (await api.request("PUT", f"/users/@me/blocks/{a.id}", b)).status_code == 204
        event = await gw.wait_for("USER_BLOCK_ADD")
        assert event["user"]["id"] == a.id
        assert ids((await api.get("/users/@me/blocks", b)).json()) == {a.id}
        for who in (a, b):
            r = await api.post(f"/channels/{cid}/messages", who, json={"content": "x"})
            assert r.status_code == 403 and r.json()["code"] == "blocked", r.text
            r = await api.post(f"/channels/{cid}/typing", who)
            assert r.status_code == 403, r.text
        page = (await api.get(f"/channels/{cid}/messages", a)).json()
        assert [m["id"] for m in page] == [earlier["id"]]
        assert (await api.request("PUT", f"/users/@me/blocks/{a.id}", b)).status_code == 204
        assert (await api.delete(f"/users/@me/blocks/{a.id}", b)).status_code == 204
        await gw.wait_for("USER_BLOCK_REMOVE", user_id=a.id)
        assert (await api.get("/users/@me/blocks", b)).json() == []
        assert (
            await api.post(f"/channels/{cid}/messages", a, json={"content": "ok"})
        ).status_code == 201
    finally:
        await gw.close()
    r = await api.request("PUT", f"/users/@me/blocks/{b.id}", b)
    assert r.status_code == 400, r.text
    r = await api.request("PUT", "/users/@me/blocks/999999999999", b)
    assert r.status_code == 404, r.text


async def test_a_block_stops_a_dm_from_being_opened_either_way(api: Api) -> None:
    (a, b, c), _ = await friends(api, 3)
    assert (await api.request("PUT", f"/users/@me/blocks/{a.id}", b)).status_code == 204
    for who, other in ((a, b), (b, a)):
        r = await open_dm(api, who, other)
        assert r.status_code == 403 and r.json()["code"] == "blocked", r.text
    r = await api.post(DM_PATH, a, json={"recipient_ids": [b.id, c.id]})
    assert r.status_code == 403 and r.json()["code"] == "blocked", r.text
    assert (await api.get(DM_PATH, a)).json() == []


async def test_group_dms_add_remove_leave_and_rename(api: Api) -> None:
    (a, b, c, d), _ = await friends(api, 4)
    gws = {p.id: await GatewayClient.identify(api.server.ws_url, p.token) for p in (a, b, c, d)}
    try:
        g = await group(api, a, b, c, name="trip")
        gid = g["id"]
        assert g["type"] == "group_dm" and g["owner_id"] == a.id and g["name"] == "trip"
        assert ids(g["recipients"]) == {a.id, b.id, c.id}
        for person in (a, b, c):
            await gws[person.id].wait_for("CHANNEL_CREATE", id=gid)
        # Only the creator adds and removes.
        r = await api.request("PUT", f"/channels/{gid}/recipients/{d.id}", b)
        assert r.status_code == 403 and r.json()["code"] == "not_group_owner", r.text
        assert (
            await api.request("PUT", f"/channels/{gid}/recipients/{d.id}", a)
        ).status_code == 204
        created = await gws[d.id].wait_for("CHANNEL_CREATE", id=gid)
        assert ids(created["recipients"]) == {a.id, b.id, c.id, d.id}
        added = await gws[b.id].wait_for("CHANNEL_RECIPIENT_ADD", channel_id=gid)
        assert added["user"]["id"] == d.id
        await api.send(d, gid, "hi all")
        await gws[b.id].wait_for("MESSAGE_CREATE", channel_id=gid)
        # A removed person stops hearing the group at once.
        assert (await api.delete(f"/channels/{gid}/recipients/{c.id}", a)).status_code == 204
        gone = await gws[c.id].wait_for("CHANNEL_DELETE", id=gid)
        assert c.id not in ids(gone["recipients"])
        await gws[b.id].wait_for("CHANNEL_RECIPIENT_REMOVE", channel_id=gid)
        await api.send(a, gid, "after c left")
        await gws[b.id].wait_for("MESSAGE_CREATE", channel_id=gid, content="after c left")
        frames = await gws[c.id].quiet(0.5)
        assert not [f for f in frames if f.get("t") == "MESSAGE_CREATE"], frames
        r = await api.get(f"/channels/{gid}/messages", c)
        assert r.status_code == 404, r.text
        # Anyone renames; the creator leaving hands the group on.
        renamed = await api.patch(f"/channels/{gid}", b, json={"name": "road trip"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "road trip", renamed.text
        update = await gws[d.id].wait_for("CHANNEL_UPDATE", id=gid)
        assert update["name"] == "road trip"
        await gws[b.id].wait_for("CHANNEL_UPDATE", id=gid)
        r = await api.patch(f"/channels/{gid}", b, json={"topic": "x"})
        assert r.status_code == 400, r.text
        assert (await api.delete(f"/channels/{gid}", a)).status_code == 204
        await gws[a.id].wait_for("CHANNEL_DELETE", id=gid)
        update = await gws[b.id].wait_for("CHANNEL_UPDATE", id=gid)
        assert update["owner_id"] in {b.id, d.id}
        left = (await api.get(f"/channels/{gid}", b)).json()
        assert ids(left["recipients"]) == {b.id, d.id}
        assert [c["id"] for c in (await api.get(DM_PATH, a)).json()] == []
    finally:
        for gw in gws.values():
            await gw.close()


async def test_the_last_one_out_deletes_the_group(api: Api) -> None:
    (a, b), _ = await friends(api)
    gid = (await group(api, a, b))["id"]
    await api.send(a, gid, "x")
    assert (await api.delete(f"/channels/{gid}/recipients/{a.id}", a)).status_code == 204
    assert (await api.delete(f"/channels/{gid}", b)).status_code == 204
    for who in (a, b):
        assert (await api.get(f"/channels/{gid}", who)).status_code == 404


async def test_a_group_holds_at_most_ten_people(api: Api) -> None:
    people, _ = await friends(api, limits.GROUP_DM_MAX_RECIPIENTS + 1)
    owner, rest = people[0], people[1:]
    r = await api.post(DM_PATH, owner, json={"recipient_ids": [p.id for p in rest]})
    assert r.status_code == 409 and r.json()["code"] == "group_full", r.text
    g = await group(api, owner, *rest[:-1])
    assert len(g["recipients"]) == limits.GROUP_DM_MAX_RECIPIENTS
    r = await api.request("PUT", f"/channels/{g['id']}/recipients/{rest[-1].id}", owner)
    assert r.status_code == 409 and r.json()["code"] == "group_full", r.text
    # A DM cannot gain people, be renamed or be left.
    dm = (await open_dm(api, owner, rest[0])).json()
    for method, path, body in (
        ("PUT", f"/channels/{dm['id']}/recipients/{rest[1].id}", None),
        ("PATCH", f"/channels/{dm['id']}", {"name": "x"}),
        ("DELETE", f"/channels/{dm['id']}", None),
    ):
        r = await api.request(method, path, owner, json=body)
        assert r.status_code == 400 and r.json()["code"] == "not_group_dm", (path, r.text)


async def test_concurrent_opens_of_one_dm_make_one_channel(api: Api) -> None:
    for _ in range(3):
        (a, b), _ = await friends(api)
        answers = await asyncio.gather(
            *[open_dm(api, who, other) for who, other in [(a, b), (b, a)] * 5]
        )
        assert not [r.text for r in answers if r.status_code >= 500]
        assert sorted({r.status_code for r in answers}) in ([200, 201], [201]), [
            r.text for r in answers
        ]
        assert len({r.json()["id"] for r in answers}) == 1
        assert len((await api.get(DM_PATH, a)).json()) == 1


async def test_concurrent_adds_never_overfill_a_group(api: Api) -> None:
    people, _ = await friends(api, limits.GROUP_DM_MAX_RECIPIENTS + 4)
    owner, rest = people[0], people[1:]
    g = await group(api, owner, *rest[:7])  # 8 people: 2 places left, 6 asking
    answers = await asyncio.gather(
        *[api.request("PUT", f"/channels/{g['id']}/recipients/{p.id}", owner) for p in rest[7:]]
    )
    assert not [r.text for r in answers if r.status_code >= 500]
    assert sorted(r.status_code for r in answers) == [204, 204, 409, 409, 409, 409]
    final = (await api.get(f"/channels/{g['id']}", owner)).json()
    assert len(final["recipients"]) == limits.GROUP_DM_MAX_RECIPIENTS


async def test_block_racing_a_dm_open_leaves_no_dm_behind_a_block(api: Api) -> None:
    for _ in range(3):
        (a, b), _ = await friends(api)
        opened, blocked = await asyncio.gather(
            open_dm(api, a, b), api.request("PUT", f"/users/@me/blocks/{a.id}", b)
        )
        assert opened.status_code in (201, 403) and blocked.status_code == 204, opened.text
        if opened.status_code == 201:
            cid = opened.json()["id"]
            r = await api.post(f"/channels/{cid}/messages", a, json={"content": "x"})
            assert r.status_code == 403 and r.json()["code"] == "blocked"


async def test_deleting_an_account_leaves_groups_and_keeps_dms(api: Api) -> None:
    (a, b, c), _ = await friends(api, 3)
    dm = (await open_dm(api, c, b)).json()
    g = await group(api, a, b, c)
    await api.send(c, dm["id"], "from c")
    r = await api.request("DELETE", "/users/@me", c, json={"password": c.password})
    assert r.status_code == 204, r.text
    left = (await api.get(f"/channels/{g['id']}", a)).json()
    assert ids(left["recipients"]) == {a.id, b.id}
    page = (await api.get(f"/channels/{dm['id']}/messages", b)).json()
    assert page[0]["author"]["username"] == "Deleted user"


async def test_opening_new_dms_is_rate_limited_but_reopening_is_not(tmp_path: Path) -> None:
    budget = RateLimits(
        enabled=True, dm_open_per_user=RateLimit(2, 600), per_user=RateLimit(100, 1)
    )
    with live_server(make_settings(tmp_path, rate_limits=budget)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as http:
            api = Api(http, server)
            (a, b, c, d), _ = await friends(api, 4)
            assert (await open_dm(api, a, b)).status_code == 201
            assert (await api.post(DM_PATH, a, json={"recipient_ids": [c.id]})).status_code == 201
            limited = await open_dm(api, a, d)
            assert limited.status_code == 429, limited.text
            assert limited.headers["X-RateLimit-Bucket"] == "dm_open_per_user"
            assert limited.json()["retry_after"] > 0
            assert (await open_dm(api, a, b)).status_code == 200  # the one you have: free
            assert len((await api.get(DM_PATH, a)).json()) == 2
