"""Replies, reactions and pins over real HTTP and WebSockets, on both databases."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .harness import Account, Api, GatewayClient

THUMB = "👍"
PARTY = "🎉"


def r_path(channel: str, message: str, emoji: str = "", rest: str = "") -> str:
    path = f"/channels/{channel}/messages/{message}/reactions"
    if emoji:
        path += "/" + quote(emoji, safe="")
    return path + rest


async def place(api: Api) -> tuple[Account, Account, Account, dict[str, Any], str]:
    """An owner, a moderator and a member in one server; returns them, the server, its
    general channel's id."""
    owner = await api.register("own")
    mod = await api.register("mod")
    member = await api.register("mem")
    server = await api.create_server(owner)
    await api.join(mod, server["id"], owner)
    await api.join(member, server["id"], owner)
    await api.set_role(owner, server["id"], mod, "moderator")
    return owner, mod, member, server, server["channels"][0]["id"]


async def test_replies_quote_the_original_until_it_is_deleted(api: Api) -> None:
    owner, _, member, _, cid = await place(api)
    original = await api.send(member, cid, "what time?")
    assert original["message_reference"] is None and original["referenced_message"] is None
    assert original["pinned"] is False and original["reactions"] == []
    reply = await api.send(
        owner,
        cid,
        "noon",
        message_reference={"message_id": original["id"]},
        allowed_mentions={"replied_user": False},
    )
    assert reply["message_reference"] == {
        "message_id": original["id"],
        "channel_id": cid,
        "server_id": original["server_id"],
    }
    quoted = reply["referenced_message"]
    assert quoted["id"] == original["id"] and quoted["content"] == "what time?"
    assert quoted["author"]["username"] == member.username
    page = (await api.get(f"/channels/{cid}/messages", member)).json()
    assert page[0]["referenced_message"]["id"] == original["id"]
    assert (
        await api.delete(f"/channels/{cid}/messages/{original['id']}", member)
    ).status_code == 204
    again = (await api.get(f"/channels/{cid}/messages/{reply['id']}", owner)).json()
    assert again["message_reference"]["message_id"] == original["id"]
    assert again["referenced_message"] is None


async def test_bad_references_are_a_400_unless_asked_to_ignore_them(api: Api) -> None:
    owner, _, _, server, cid = await place(api)
    other = (await api.post(f"/servers/{server['id']}/channels", owner, json={"name": "x"})).json()
    elsewhere = await api.send(owner, other["id"], "there")
    for ref in (
        {"message_id": elsewhere["id"]},
        {"message_id": "999999999"},
        {"message_id": elsewhere["id"], "channel_id": other["id"]},
    ):
        r = await api.post(
            f"/channels/{cid}/messages", owner, json={"content": "x", "message_reference": ref}
        )
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "unknown_message_reference"
    for ref in ({"message_id": "0"}, {"message_id": "abc"}, {"message_id": "1", "extra": 1}):
        r = await api.post(
            f"/channels/{cid}/messages", owner, json={"content": "x", "message_reference": ref}
        )
        assert r.status_code == 400, r.text
    dropped = await api.send(
        owner,
        cid,
        "plain",
        message_reference={"message_id": elsewhere["id"], "fail_if_not_exists": False},
    )
    assert dropped["message_reference"] is None
    history = (await api.get(f"/channels/{cid}/messages", owner)).json()
    assert [m["content"] for m in history] == ["plain"]


async def test_reactions_routes(api: Api) -> None:
    owner, mod, member, _, cid = await place(api)
    mid = (await api.send(member, cid, "react to me"))["id"]
    for who in (member, mod, mod):  # the second PUT of mod's is idempotent
        r = await api.request("PUT", r_path(cid, mid, THUMB, "/@me"), who)
        assert r.status_code == 204, r.text
    assert (await api.request("PUT", r_path(cid, mid, PARTY, "/@me"), owner)).status_code == 204
    seen = (await api.get(f"/channels/{cid}/messages/{mid}", member)).json()["reactions"]
    assert seen == [
        {"emoji": THUMB, "count": 2, "me": True},
        {"emoji": PARTY, "count": 1, "me": False},
    ]
    # "❤" without its variation selector is the same reaction as "❤️".
    await api.request("PUT", r_path(cid, mid, "❤", "/@me"), member)
    await api.request("PUT", r_path(cid, mid, "❤️", "/@me"), owner)
    seen = (await api.get(f"/channels/{cid}/messages", owner)).json()[0]["reactions"]
    assert seen[-1] == {"emoji": "❤️", "count": 2, "me": True}
    users = (await api.get(r_path(cid, mid, THUMB), owner)).json()
    ids = sorted([member.id, mod.id], key=int)
    assert [u["id"] for u in users] == ids and set(users[0]) == {"id", "username", "avatar_url"}
    page = (await api.get(r_path(cid, mid, THUMB), owner, params={"after": ids[0]})).json()
    assert [u["id"] for u in page] == ids[1:]
    assert (await api.get(r_path(cid, mid, THUMB), owner, params={"limit": 101})).status_code == 400
    # Removing: one's own (twice is fine), someone else's (moderators), an emoji, all.
    assert (await api.delete(r_path(cid, mid, THUMB, "/@me"), member)).status_code == 204
    assert (await api.delete(r_path(cid, mid, THUMB, "/@me"), member)).status_code == 204
    r = await api.delete(r_path(cid, mid, PARTY, f"/{owner.id}"), member)
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    assert (await api.delete(r_path(cid, mid, PARTY, f"/{owner.id}"), mod)).status_code == 204
    assert (await api.delete(r_path(cid, mid, "❤️"), member)).status_code == 403
    assert (await api.delete(r_path(cid, mid, "❤️"), mod)).status_code == 204
    assert (await api.delete(r_path(cid, mid), member)).status_code == 403
    assert (await api.delete(r_path(cid, mid), mod)).status_code == 204
    seen = (await api.get(f"/channels/{cid}/messages/{mid}", member)).json()["reactions"]
    assert seen == []


async def test_reaction_input_is_checked(api: Api) -> None:
    owner, _, _, _, cid = await place(api)
    mid = (await api.send(owner, cid, "x"))["id"]
    for emoji in ("a", "👍👍", ":thumbsup:", "%00", "x" * 200, "🏻"):
        r = await api.request("PUT", r_path(cid, mid, emoji, "/@me"), owner)
        assert r.status_code == 400, (emoji, r.text)
        assert r.json()["code"] in ("unknown_emoji", "validation_failed"), r.text
    r = await api.request("PUT", f"/channels/{cid}/messages/{mid}/reactions/%F0/@me", owner)
    assert r.status_code == 400, r.text
    r = await api.request("PUT", r_path(cid, "999999999", THUMB, "/@me"), owner)
    assert r.status_code == 404 and r.json()["code"] == "unknown_message"
    emoji = [chr(0x1F600 + i) for i in range(21)]
    for e in emoji[:20]:
        assert (await api.request("PUT", r_path(cid, mid, e, "/@me"), owner)).status_code == 204
    r = await api.request("PUT", r_path(cid, mid, emoji[20], "/@me"), owner)
    assert r.status_code == 400 and r.json()["code"] == "max_reactions"


async def test_strangers_get_404_everywhere(api: Api) -> None:
    owner, _, _, _, cid = await place(api)
    stranger = await api.register("eve")
    mid = (await api.send(owner, cid, "private"))["id"]
    await api.request("PUT", r_path(cid, mid, THUMB, "/@me"), owner)
    await api.request("PUT", f"/channels/{cid}/pins/{mid}", owner)
    for method, path in (
        ("PUT", r_path(cid, mid, THUMB, "/@me")),
        ("DELETE", r_path(cid, mid, THUMB, "/@me")),
        ("DELETE", r_path(cid, mid, THUMB, f"/{owner.id}")),
        ("DELETE", r_path(cid, mid)),
        ("GET", r_path(cid, mid, THUMB)),
        ("GET", f"/channels/{cid}/pins"),
        ("PUT", f"/channels/{cid}/pins/{mid}"),
        ("DELETE", f"/channels/{cid}/pins/{mid}"),
    ):
        r = await api.request(method, path, stranger)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["code"] == "unknown_channel"


async def test_pins(api: Api) -> None:
    owner, mod, member, _, cid = await place(api)
    ids = [(await api.send(member, cid, f"m{i}"))["id"] for i in range(3)]
    r = await api.request("PUT", f"/channels/{cid}/pins/{ids[0]}", member)
    assert r.status_code == 403 and r.json()["code"] == "missing_permission"
    for mid in (ids[0], ids[2], ids[2]):
        assert (await api.request("PUT", f"/channels/{cid}/pins/{mid}", mod)).status_code == 204
    pins = (await api.get(f"/channels/{cid}/pins", member)).json()
    assert [m["id"] for m in pins] == [ids[2], ids[0]] and all(m["pinned"] for m in pins)
    assert pins[0]["reactions"] == []
    assert (await api.get(f"/channels/{cid}/messages/{ids[1]}", member)).json()["pinned"] is False
    found = (
        await api.get(f"/channels/{cid}/messages/search", member, params={"pinned": "true"})
    ).json()
    assert sorted(m["id"] for m in found["messages"]) == sorted([ids[0], ids[2]])
    assert (await api.delete(f"/channels/{cid}/pins/{ids[2]}", member)).status_code == 403
    assert (await api.delete(f"/channels/{cid}/pins/{ids[2]}", owner)).status_code == 204
    assert (await api.delete(f"/channels/{cid}/pins/{ids[2]}", owner)).status_code == 204
    pins = (await api.get(f"/channels/{cid}/pins", member)).json()
    assert [m["id"] for m in pins] == [ids[0]]
    r = await api.request("PUT", f"/channels/{cid}/pins/999999999", mod)
    assert r.status_code == 404 and r.json()["code"] == "unknown_message"


async def test_the_51st_pin_is_refused(api: Api) -> None:
    owner = await api.register("own")
    cid = (await api.create_server(owner))["channels"][0]["id"]
    ids = [(await api.send(owner, cid, f"m{i}"))["id"] for i in range(51)]
    for mid in ids[:50]:
        assert (await api.request("PUT", f"/channels/{cid}/pins/{mid}", owner)).status_code == 204
    r = await api.request("PUT", f"/channels/{cid}/pins/{ids[50]}", owner)
    assert r.status_code == 400 and r.json()["code"] == "max_pins"
    assert len((await api.get(f"/channels/{cid}/pins", owner)).json()) == 50


async def test_events_reach_the_channels_audience_only(api: Api) -> None:
    owner, mod, member, server, cid = await place(api)
    outsider = await api.register("out")
    await api.create_server(outsider)
    member_gw = await GatewayClient.identify(api.server.ws_url, member.token)
    outsider_gw = await GatewayClient.identify(api.server.ws_url, outsider.token)
    sid = server["id"]
    original = await api.send(owner, cid, "hello")
    reply = await api.send(member, cid, "hi", message_reference={"message_id": original["id"]})
    created = await member_gw.wait_for("MESSAGE_CREATE", id=reply["id"])
    assert created["referenced_message"]["id"] == original["id"] and "reactions" not in created
    mid = original["id"]
    await api.request("PUT", r_path(cid, mid, THUMB, "/@me"), mod)
    base = {"server_id": sid, "channel_id": cid, "message_id": mid}
    added = await member_gw.wait_for("MESSAGE_REACTION_ADD")
    assert added == {**base, "user_id": mod.id, "emoji": THUMB}
    await api.delete(r_path(cid, mid, THUMB, "/@me"), mod)
    removed = await member_gw.wait_for("MESSAGE_REACTION_REMOVE")
    assert removed == {**base, "user_id": mod.id, "emoji": THUMB}
    await api.request("PUT", r_path(cid, mid, PARTY, "/@me"), mod)
    await api.delete(r_path(cid, mid, PARTY), mod)
    assert await member_gw.wait_for("MESSAGE_REACTION_REMOVE_EMOJI") == {**base, "emoji": PARTY}
    await api.request("PUT", r_path(cid, mid, PARTY, "/@me"), mod)
    await api.delete(r_path(cid, mid), mod)
    assert await member_gw.wait_for("MESSAGE_REACTION_REMOVE_ALL") == base
    await api.request("PUT", f"/channels/{cid}/pins/{mid}", mod)
    updated = await member_gw.wait_for("MESSAGE_UPDATE", id=mid)
    assert updated["pinned"] is True and "reactions" not in updated
    pins = await member_gw.wait_for("CHANNEL_PINS_UPDATE")
    assert pins["channel_id"] == cid and pins["last_pin_timestamp"]
    await api.delete(f"/channels/{cid}/pins/{mid}", mod)
    pins = await member_gw.wait_for("CHANNEL_PINS_UPDATE")
    assert pins == {"server_id": sid, "channel_id": cid, "last_pin_timestamp": None}
    names = {f["t"] for f in await outsider_gw.quiet(0.5)} | set(outsider_gw.names())
    assert not names & {
        "MESSAGE_CREATE",
        "MESSAGE_UPDATE",
        "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE",
        "MESSAGE_REACTION_REMOVE_ALL",
        "MESSAGE_REACTION_REMOVE_EMOJI",
        "CHANNEL_PINS_UPDATE",
    }, names
    await member_gw.close()
    await outsider_gw.close()
