"""Concurrent writes keep the rules, on both databases.

SQLite has one writer, so check-then-write rules look right there whatever they do; on
PostgreSQL (READ COMMITTED) they race. Each race runs several rounds; every round asserts the
invariants (exactly one owner, who is a member; quotas never exceeded; channel positions
exactly 0..n-1) and that no answer was a 5xx.

The quota races lower the quota in the running app (the live server runs in this process) so
a round needs a handful of rows, not 500: the race at the edge is the same.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from discord_core import limits

from .harness import Account, Api

ROUNDS = 4


async def at_once(*requests: Awaitable[httpx.Response]) -> list[httpx.Response]:
    responses = list(await asyncio.gather(*requests))
    failed = [
        (r.status_code, r.request.url.path, r.text) for r in responses if r.status_code >= 500
    ]
    assert not failed, failed
    return responses


def statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)


async def assert_one_owner(api: Api, server_id: str, who: Account) -> str:
    """Exactly one member has the owner role, and the server names that member."""
    server = (await api.get(f"/servers/{server_id}", who)).json()
    members = (await api.get(f"/servers/{server_id}/members", who)).json()
    owners = [m["user"]["id"] for m in members if m["role"] == "owner"]
    assert owners == [server["owner_id"]], (owners, server["owner_id"])
    return str(server["owner_id"])


async def positions(api: Api, server_id: str, who: Account) -> list[int]:
    channels = (await api.get(f"/servers/{server_id}/channels", who)).json()
    return sorted(c["position"] for c in channels)


async def crew(api: Api, *names: str) -> tuple[Account, dict[str, Any], list[Account]]:
    owner = await api.register("own")
    server = await api.create_server(owner)
    others = []
    for name in names:
        account = await api.register(name)
        await api.join(account, server["id"], owner)
        others.append(account)
    return owner, server, others


async def test_concurrent_transfers_leave_exactly_one_owner(api: Api) -> None:
    for _ in range(ROUNDS):
        owner, server, (x, y) = await crew(api, "x", "y")
        sid = server["id"]
        answers = await at_once(
            api.post(f"/servers/{sid}/transfer", owner, json={"user_id": x.id}),
            api.post(f"/servers/{sid}/transfer", owner, json={"user_id": y.id}),
        )
        assert statuses(answers) == [200, 403], [r.text for r in answers]
        assert await assert_one_owner(api, sid, owner) in (x.id, y.id)


async def test_transfer_racing_the_new_owner_leaving_keeps_an_owner_who_is_a_member(
    api: Api,
) -> None:
    for _ in range(ROUNDS):
        owner, server, (x,) = await crew(api, "x")
        sid = server["id"]
        transfer, leave = await at_once(
            api.post(f"/servers/{sid}/transfer", owner, json={"user_id": x.id}),
            api.delete(f"/users/@me/servers/{sid}", x),
        )
        # Either the transfer came first (the owner cannot leave: 409) or the leave did (the
        # transfer names a non-member: 404). Never both.
        assert (transfer.status_code, leave.status_code) in ((200, 409), (404, 204))
        new_owner = await assert_one_owner(api, sid, owner)
        assert new_owner == (x.id if transfer.status_code == 200 else owner.id)


async def test_ten_concurrent_moves_keep_positions_0_to_n_minus_1(api: Api) -> None:
    rng = random.Random(11)
    owner, server, _ = await crew(api)
    sid = server["id"]
    ids = [server["channels"][0]["id"]]
    for i in range(9):
        r = await api.post(f"/servers/{sid}/channels", owner, json={"name": f"c{i}"})
        ids.append(r.json()["id"])
    for _ in range(ROUNDS):
        answers = await at_once(
            *(
                api.patch(f"/channels/{cid}", owner, json={"position": rng.randrange(10)})
                for cid in ids
            )
        )
        assert statuses(answers) == [200] * 10
        assert await positions(api, sid, owner) == list(range(10))


async def test_ten_concurrent_creates_at_position_0_keep_positions_distinct(api: Api) -> None:
    for _ in range(ROUNDS):
        owner, server, _ = await crew(api)
        sid = server["id"]
        answers = await at_once(
            *(
                api.post(f"/servers/{sid}/channels", owner, json={"name": f"c{i}", "position": 0})
                for i in range(10)
            )
        )
        assert statuses(answers) == [201] * 10
        assert await positions(api, sid, owner) == list(range(11))


async def test_channel_quota_holds_at_the_edge(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    quota = 12
    monkeypatch.setattr(limits, "CHANNELS_PER_SERVER_MAX", quota)
    for _ in range(ROUNDS):
        owner, server, _ = await crew(api)
        sid = server["id"]
        for i in range(quota - 5):  # `general` + 7 = 8: five more fit
            assert (
                await api.post(f"/servers/{sid}/channels", owner, json={"name": f"c{i}"})
            ).status_code == 201
        answers = await at_once(
            *(
                api.post(
                    f"/servers/{sid}/channels",
                    owner,
                    json={"name": f"n{i}", **({"position": 0} if i % 2 else {})},
                )
                for i in range(20)
            )
        )
        assert statuses(answers) == [201] * 4 + [409] * 16
        assert {r.json()["code"] for r in answers if r.status_code == 409} == {"too_many_channels"}
        assert await positions(api, sid, owner) == list(range(quota))


async def test_server_quota_holds_at_the_edge(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    quota = 8
    monkeypatch.setattr(limits, "SERVERS_PER_USER_MAX", quota)
    for _ in range(ROUNDS):
        user = await api.register("quota")
        for i in range(quota - 5):
            await api.create_server(user, f"mine {i}")
        host = await api.register("host")
        codes = []
        for i in range(5):
            sid = (await api.create_server(host, f"theirs {i}"))["id"]
            invite = await api.post(f"/servers/{sid}/invites", host, json={})
            codes.append(invite.json()["code"])
        answers = await at_once(
            *(api.post("/servers", user, json={"name": f"new {i}"}) for i in range(10)),
            *(api.post(f"/invites/{code}", user) for code in codes),
        )
        ok = [r for r in answers if r.status_code in (200, 201)]
        refused = [r for r in answers if r.status_code == 409]
        assert len(ok) == 5 and len(refused) == 10, statuses(answers)
        assert {r.json()["code"] for r in refused} == {"too_many_servers"}
        mine = (await api.get("/users/@me/servers", user)).json()
        assert len(mine) == quota


async def test_posts_joins_and_creates_racing_a_server_delete_are_2xx_or_404(api: Api) -> None:
    for _ in range(ROUNDS):
        owner, server, (member,) = await crew(api, "m")
        sid, cid = server["id"], server["channels"][0]["id"]
        code = (await api.post(f"/servers/{sid}/invites", owner, json={})).json()["code"]
        joiners = [await api.register("j") for _ in range(8)]
        requests: list[Awaitable[httpx.Response]] = []
        for i in range(12):
            requests.append(
                api.post(f"/channels/{cid}/messages", member, json={"content": f"m{i}"})
            )
            if i < 8:
                requests.append(api.post(f"/invites/{code}", joiners[i]))
                requests.append(api.post(f"/servers/{sid}/channels", owner, json={"name": f"c{i}"}))
            if i == 6:
                requests.append(api.delete(f"/servers/{sid}", owner))
        answers = await at_once(*requests)
        assert set(statuses(answers)) <= {200, 201, 204, 404}, [
            (r.status_code, r.text) for r in answers if r.status_code not in (200, 201, 204, 404)
        ]
        assert (await api.get(f"/servers/{sid}", owner)).status_code == 404
        assert (await api.get(f"/channels/{cid}/messages", member)).status_code == 404


async def test_posts_and_moves_racing_a_channel_delete_renumber_the_rest(api: Api) -> None:
    for _ in range(ROUNDS):
        owner, server, (member,) = await crew(api, "m")
        sid = server["id"]
        ids = [server["channels"][0]["id"]]
        for i in range(5):
            ids.append(
                (await api.post(f"/servers/{sid}/channels", owner, json={"name": f"c{i}"})).json()[
                    "id"
                ]
            )
        doomed = ids[2]
        requests: list[Awaitable[httpx.Response]] = []
        for i in range(10):
            requests.append(
                api.post(f"/channels/{doomed}/messages", member, json={"content": f"m{i}"})
            )
            if i == 4:
                requests.append(api.delete(f"/channels/{doomed}", owner))
            if i < 5:
                requests.append(
                    api.patch(
                        f"/channels/{ids[i + 1 if i >= 2 else i]}", owner, json={"position": 4 - i}
                    )
                )
        answers = await at_once(*requests)
        assert set(statuses(answers)) <= {200, 201, 204, 404}
        assert await positions(api, sid, owner) == list(range(5))


async def test_concurrent_reactions_count_exactly_and_never_pass_20_emoji(api: Api) -> None:
    """Many people reacting at once: every count is exact, at most 20 distinct emoji, no 5xx.
    (The message's row lock serialises the distinct-emoji rule; counts are counted.)"""
    owner, server, people = await crew(api, *(f"r{i}" for i in range(7)))
    cid = server["channels"][0]["id"]
    everyone = [owner, *people]
    emoji = [chr(0x1F600 + i) for i in range(30)]
    for _ in range(ROUNDS):
        mid = (await api.send(owner, cid, "react"))["id"]
        base = f"/channels/{cid}/messages/{mid}/reactions"
        # Everyone reacts with the same emoji twice (idempotent) ...
        same = await at_once(
            *(api.request("PUT", f"{base}/%F0%9F%91%8D/@me", who) for who in everyone * 2)
        )
        assert statuses(same) == [204] * 2 * len(everyone)
        # ... and 29 different new ones race for the 19 places left.
        rush = await at_once(
            *(
                api.request("PUT", f"{base}/{quote(e)}/@me", everyone[i % len(everyone)])
                for i, e in enumerate(emoji[1:])
            )
        )
        assert statuses(rush) == [204] * 19 + [400] * 10, [r.text for r in rush]
        seen = (await api.get(f"/channels/{cid}/messages/{mid}", owner)).json()["reactions"]
        assert len(seen) == 20
        assert seen[0] == {"emoji": "👍", "count": len(everyone), "me": True}
        # Adds and removes of one emoji racing: the count is what the rows say.
        churn = await at_once(
            *(
                api.request("DELETE" if i % 2 else "PUT", f"{base}/%F0%9F%91%8D/@me", everyone[i])
                for i in range(len(everyone))
            )
        )
        assert statuses(churn) == [204] * len(everyone)
        seen = (await api.get(f"/channels/{cid}/messages/{mid}", owner)).json()["reactions"]
        users = (await api.get(f"{base}/%F0%9F%91%8D", owner, params={"limit": 100})).json()
        assert seen[0]["count"] == len(users) == len(everyone) - len(everyone) // 2


async def test_concurrent_pins_never_pass_50(api: Api) -> None:
    owner, server, (mod,) = await crew(api, "m")
    sid, cid = server["id"], server["channels"][0]["id"]
    await api.set_role(owner, sid, mod, "moderator")
    ids = [(await api.send(owner, cid, f"p{i}"))["id"] for i in range(60)]
    for mid in ids[:44]:
        assert (await api.request("PUT", f"/channels/{cid}/pins/{mid}", owner)).status_code == 204
    for round_ in range(ROUNDS):
        answers = await at_once(
            *(
                api.request("PUT", f"/channels/{cid}/pins/{mid}", (owner, mod)[i % 2])
                for i, mid in enumerate(ids[44:])
            )
        )
        if round_ == 0:
            assert statuses(answers) == [204] * 6 + [400] * 10, [r.text for r in answers]
        else:  # some of the six unpinned ones were pinned again, the rest are already in
            assert statuses(answers).count(204) >= 6
            assert all(r.status_code in (204, 400) for r in answers)
        pins = (await api.get(f"/channels/{cid}/pins", owner)).json()
        assert len(pins) == 50
        # Unpin six at once and race again.
        await at_once(*(api.delete(f"/channels/{cid}/pins/{m['id']}", owner) for m in pins[:6]))
        assert len((await api.get(f"/channels/{cid}/pins", owner)).json()) == 44
