"""Large servers over the real gateway, on both databases: READY leaves their presence out,
op 14 shows a part of the member list with presence, and presence then reaches only the
sessions watching that member. Here a server of 3 members is already large."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import BACKENDS
from .harness import Account, Api, GatewayClient, LiveServer, live_server, make_settings

LARGE = 3


@pytest.fixture(scope="module", params=BACKENDS)
def large_live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    data_dir: Path = tmp_path_factory.mktemp(f"large-{request.param}")
    database_url = None
    if request.param == "postgresql":
        database_url = request.getfixturevalue("fresh_postgres_database")()
    settings = make_settings(data_dir, database_url, large_server_members=LARGE)
    with live_server(settings) as server:
        yield server


@pytest.fixture
async def api(large_live: LiveServer) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=large_live.url, timeout=15) as http:
        yield Api(http, large_live)


async def crowd(api: Api, n: int) -> tuple[list[Account], dict[str, Any]]:
    """n accounts (ascending ids: the member list's order) in one server of the first."""
    people = [await api.register(f"p{i}") for i in range(n)]
    server = await api.create_server(people[0], "Big")
    for person in people[1:]:
        await api.join(person, server["id"], people[0])
    return people, server


def subscribe(server_id: str, after: str = "0", limit: int = 100) -> dict[str, Any]:
    return {"op": 14, "d": {"server_id": server_id, "after": after, "limit": limit}}


def presences(frames: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (f["d"]["user_id"], f["d"]["status"]) for f in frames if f.get("t") == "PRESENCE_UPDATE"
    ]


async def test_presence_reaches_only_the_sessions_watching_that_member(api: Api) -> None:
    (alice, bob, carol, dave), server = await crowd(api, 4)
    sid = server["id"]
    url = api.server.ws_url
    alice_gw = await GatewayClient.identify(url, alice.token)
    assert alice_gw.ready["large_servers"] == [sid]
    # READY carries no presence of a large server's members (alice shares no small one)
    assert alice_gw.ready["presences"] == [{"user_id": alice.id, "status": "online"}]

    await alice_gw.send(subscribe(sid, limit=2))
    shown = await alice_gw.wait_for("MEMBER_LIST")
    assert shown["server_id"] == sid and shown["after"] == "0" and shown["large"] is True
    assert [(m["user"]["id"], m["presence"]) for m in shown["members"]] == [
        (alice.id, "online"),
        (bob.id, "offline"),
    ]
    assert shown["members"][1]["role"] == "member"

    # bob is watched: his coming online reaches alice; carol is not: hers does not
    bob_gw = await GatewayClient.identify(url, bob.token)
    assert await alice_gw.wait_for("PRESENCE_UPDATE") == {
        "server_id": sid,
        "user_id": bob.id,
        "status": "online",
    }
    carol_gw = await GatewayClient.identify(url, carol.token)
    await bob_gw.send({"op": 3, "d": {"status": "away"}})
    assert await alice_gw.wait_for("PRESENCE_UPDATE") == {
        "server_id": sid,
        "user_id": bob.id,
        "status": "away",
    }
    assert presences(alice_gw.seen) == [(bob.id, "online"), (bob.id, "away")]

    # the next page instead: carol and dave are watched now, bob no longer
    await alice_gw.send(subscribe(sid, after=bob.id))
    shown = await alice_gw.wait_for("MEMBER_LIST")
    assert [(m["user"]["id"], m["presence"]) for m in shown["members"]] == [
        (carol.id, "online"),
        (dave.id, "offline"),
    ]
    await bob_gw.close()
    await carol_gw.send({"op": 3, "d": {"status": "dnd"}})
    assert await alice_gw.wait_for("PRESENCE_UPDATE") == {
        "server_id": sid,
        "user_id": carol.id,
        "status": "dnd",
    }
    assert presences(alice_gw.seen)[2:] == [(carol.id, "dnd")]  # nothing of bob leaving

    # messages and member events still reach everyone in the server
    msg = await api.send(dave, server["channels"][0]["id"], "hi all")
    assert (await alice_gw.wait_for("MESSAGE_CREATE"))["id"] == msg["id"]
    await carol_gw.close()
    await alice_gw.close()


async def test_member_list_of_a_server_you_are_not_in_is_empty(api: Api) -> None:
    (alice, _bob, _carol), server = await crowd(api, 3)
    outsider = await api.register("out")
    gw = await GatewayClient.identify(api.server.ws_url, outsider.token)
    for sid in (server["id"], "123456789"):
        await gw.send(subscribe(sid))
        empty = {"server_id": sid, "after": "0", "members": [], "large": False}
        assert await gw.wait_for("MEMBER_LIST") == empty
    await gw.close()
    # a member's list of a small server works as well: presence as in REST
    mine = await api.create_server(alice, "Small")
    gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    await gw.send(subscribe(mine["id"]))
    shown = await gw.wait_for("MEMBER_LIST")
    assert [(m["user"]["id"], m["presence"]) for m in shown["members"]] == [(alice.id, "online")]
    assert shown["large"] is False
    await gw.close()


@pytest.mark.parametrize(
    "data",
    [
        {"server_id": "1", "limit": 201},
        {"server_id": "1", "limit": 0},
        {"server_id": "x"},
        {"server_id": "1", "after": "-1"},
        {"server_id": "9999999999999999999"},
        {"server_id": "1", "after": "9999999999999999999"},
        {"after": "0"},
        {"server_id": "1", "ranges": [[0, 99]]},
    ],
)
async def test_bad_member_list_requests_close_with_4002(api: Api, data: dict[str, Any]) -> None:
    alice = await api.register("a")
    gw = await GatewayClient.identify(api.server.ws_url, alice.token)
    await gw.send({"op": 14, "d": data})
    assert await gw.closed() == 4002


async def test_member_list_before_identify_is_refused(api: Api) -> None:
    gw = await GatewayClient.open(api.server.ws_url)
    await gw.send(subscribe("1"))
    assert await gw.closed() == 4003
