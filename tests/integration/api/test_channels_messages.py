"""Channels, messages, pagination and the idempotent nonce over real HTTP."""

from __future__ import annotations

import asyncio

from .harness import Api


async def test_channel_crud_and_reorder(api: Api) -> None:
    owner = await api.register("owner")
    member = await api.register("member")
    server = await api.create_server(owner)
    sid = server["id"]
    await api.join(member, sid, owner)
    made = []
    for name in ("a", "b", "c"):
        r = await api.post(f"/servers/{sid}/channels", owner, json={"name": name, "topic": "t"})
        assert r.status_code == 201
        made.append(r.json())
    assert [c["position"] for c in made] == [1, 2, 3]
    r = await api.patch(f"/channels/{made[2]['id']}", owner, json={"position": 0, "name": "first"})
    assert r.status_code == 200 and r.json()["position"] == 0 and r.json()["name"] == "first"
    listed = (await api.get(f"/servers/{sid}/channels", member)).json()
    assert [c["name"] for c in listed] == ["first", "general", "a", "b"]
    assert [c["position"] for c in listed] == [0, 1, 2, 3]
    assert (
        await api.post(f"/servers/{sid}/channels", member, json={"name": "x"})
    ).status_code == 403
    assert (await api.delete(f"/channels/{made[0]['id']}", member)).status_code == 403
    assert (await api.delete(f"/channels/{made[0]['id']}", owner)).status_code == 204
    assert (await api.get(f"/channels/{made[0]['id']}", owner)).status_code == 404


async def test_post_edit_delete_messages(api: Api) -> None:
    owner = await api.register("owner")
    mod = await api.register("mod")
    member = await api.register("member")
    server = await api.create_server(owner)
    sid, cid = server["id"], server["channels"][0]["id"]
    await api.join(mod, sid, owner)
    await api.join(member, sid, owner)
    await api.set_role(owner, sid, mod, "moderator")
    msg = await api.send(member, cid, "  hello\nworld  ")
    assert msg["content"] == "hello\nworld"
    assert msg["author"] == {"id": member.id, "username": member.username, "avatar_url": None}
    assert msg["edited_at"] is None and msg["server_id"] == sid and msg["channel_id"] == cid
    r = await api.patch(f"/channels/{cid}/messages/{msg['id']}", mod, json={"content": "hacked"})
    assert r.status_code == 403 and r.json()["code"] == "not_author"
    r = await api.patch(f"/channels/{cid}/messages/{msg['id']}", member, json={"content": "edited"})
    assert r.status_code == 200 and r.json()["content"] == "edited" and r.json()["edited_at"]
    fetched = (await api.get(f"/channels/{cid}/messages/{msg['id']}", owner)).json()
    assert fetched["content"] == "edited"
    other = await api.send(mod, cid, "mine")
    assert (await api.delete(f"/channels/{cid}/messages/{other['id']}", member)).status_code == 403
    assert (await api.delete(f"/channels/{cid}/messages/{msg['id']}", mod)).status_code == 204
    assert (await api.get(f"/channels/{cid}/messages/{msg['id']}", owner)).status_code == 404


async def test_message_limits(api: Api) -> None:
    owner = await api.register("owner")
    cid = (await api.create_server(owner))["channels"][0]["id"]
    assert (await api.send(owner, cid, "x" * 2000))["content"] == "x" * 2000
    for content in ("", "   ", "x" * 2001, "nul\x00byte"):
        r = await api.post(f"/channels/{cid}/messages", owner, json={"content": content})
        assert r.status_code == 400, content[:10]
        assert r.json()["field"] == "content"
    r = await api.post(f"/channels/{cid}/messages", owner, json={"content": "x", "nonce": "n" * 26})
    assert r.status_code == 400 and r.json()["field"] == "nonce"
    history = (await api.get(f"/channels/{cid}/messages", owner)).json()
    assert len(history) == 1


async def test_nonce_makes_a_send_idempotent_under_concurrent_retries(api: Api) -> None:
    owner = await api.register("owner")
    cid = (await api.create_server(owner))["channels"][0]["id"]
    body = {"content": "only once", "nonce": "retry-123"}
    answers = await asyncio.gather(
        *(api.post(f"/channels/{cid}/messages", owner, json=body) for _ in range(8))
    )
    assert all(r.status_code in (200, 201) for r in answers), [r.text for r in answers]
    assert sum(r.status_code == 201 for r in answers) == 1
    assert len({r.json()["id"] for r in answers}) == 1
    history = (await api.get(f"/channels/{cid}/messages", owner)).json()
    assert [m["content"] for m in history] == ["only once"]


async def test_nonce_reused_in_another_channel_is_a_conflict(api: Api) -> None:
    owner = await api.register("owner")
    server = await api.create_server(owner)
    other = (
        await api.post(f"/servers/{server['id']}/channels", owner, json={"name": "two"})
    ).json()
    await api.send(owner, server["channels"][0]["id"], "a", nonce="same")
    r = await api.post(
        f"/channels/{other['id']}/messages", owner, json={"content": "b", "nonce": "same"}
    )
    assert r.status_code == 409 and r.json()["code"] == "nonce_reused"


async def test_history_pages_in_every_direction(api: Api) -> None:
    owner = await api.register("owner")
    cid = (await api.create_server(owner))["channels"][0]["id"]
    sent = [await api.send(owner, cid, f"m{i}") for i in range(30)]
    ids = [m["id"] for m in sent]  # oldest first

    async def page(**params: object) -> list[str]:
        r = await api.get(f"/channels/{cid}/messages", owner, params=params)
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()]

    assert await page() == ids[::-1]
    assert await page(limit=5) == ids[::-1][:5]
    assert await page(before=ids[10], limit=5) == ids[5:10][::-1]
    assert await page(before=ids[2]) == ids[:2][::-1]
    assert await page(after=ids[10], limit=5) == ids[11:16][::-1]
    assert await page(after=ids[-1]) == []
    assert await page(around=ids[15], limit=5) == ids[13:18][::-1]
    # walking back page by page returns every message exactly once
    walked: list[str] = []
    cursor: dict[str, object] = {"limit": 7}
    while chunk := await page(**cursor):
        walked += chunk
        cursor = {"limit": 7, "before": chunk[-1]}
    assert walked == ids[::-1]


async def test_typing_is_accepted_for_members_only(api: Api) -> None:
    owner = await api.register("owner")
    eve = await api.register("eve")
    cid = (await api.create_server(owner))["channels"][0]["id"]
    assert (await api.post(f"/channels/{cid}/typing", owner)).status_code == 204
    assert (await api.post(f"/channels/{cid}/typing", eve)).status_code == 404


async def test_member_cannot_reach_another_servers_message_through_own_channel(api: Api) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    a_channel = (await api.create_server(alice))["channels"][0]["id"]
    b_channel = (await api.create_server(bob))["channels"][0]["id"]
    secret = await api.send(alice, a_channel, "secret")
    for method, body in (("GET", None), ("PATCH", {"content": "x"}), ("DELETE", None)):
        r = await api.request(
            method, f"/channels/{b_channel}/messages/{secret['id']}", bob, json=body
        )
        assert r.status_code == 404, method
        assert r.json()["code"] == "unknown_message"
    assert (await api.get(f"/channels/{a_channel}/messages/{secret['id']}", alice)).json()[
        "content"
    ] == "secret"
