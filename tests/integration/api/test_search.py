"""Message search over real HTTP on SQLite and PostgreSQL: results, access, filters, bad and
hostile input (property-based: any text is a 200 or a clear 400, never a 5xx)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .files_helpers import file, payload, png, upload
from .harness import Account, Api, LiveServer
from .test_bad_input import assert_error_shape


async def search(api: Api, who: Account, server_id: str, **params: Any) -> httpx.Response:
    return await api.get(f"/servers/{server_id}/messages/search", who, params=params)


@pytest.fixture
async def place(api: Api) -> dict[str, Any]:
    owner = await api.register("owner")
    friend = await api.register("friend")
    server = await api.create_server(owner)
    await api.join(friend, server["id"], owner)
    general = server["channels"][0]["id"]
    r = await api.post(f"/servers/{server['id']}/channels", owner, json={"name": "random"})
    random = r.json()["id"]
    return {
        "owner": owner,
        "friend": friend,
        "sid": server["id"],
        "general": general,
        "random": random,
    }


async def test_search_answers_messages_with_highlights(api: Api, place: dict[str, Any]) -> None:
    owner, friend, sid = place["owner"], place["friend"], place["sid"]
    a = await api.send(owner, place["general"], "Where is the Café? https://maps.example.com")
    b = await api.send(friend, place["random"], "the cafe is closed")
    await api.send(friend, place["random"], "nothing to see")
    r = await search(api, friend, sid, content="CAFE")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total_results"] == 2 and body["total_results_exact"] is True
    assert [m["id"] for m in body["messages"]] == [b["id"], a["id"]]
    first = body["messages"][1]
    assert first["content"] == a["content"] and first["author"]["id"] == owner.id
    assert [first["content"][s:e] for s, e in first["highlights"]] == ["Café"]
    assert set(first) == set(a) | {"highlights"}  # a Message, plus where the words are
    # The channel route searches that channel only.
    r = await api.get(
        f"/channels/{place['random']}/messages/search", friend, params={"content": "cafe"}
    )
    assert [m["id"] for m in r.json()["messages"]] == [b["id"]]
    # Filters: any of several authors / channels, has=link, ids.
    r = await search(api, friend, sid, author_id=[owner.id, friend.id], has="link")
    assert [m["id"] for m in r.json()["messages"]] == [a["id"]]
    r = await search(api, friend, sid, content="cafe", channel_id=place["general"])
    assert [m["id"] for m in r.json()["messages"]] == [a["id"]]
    r = await search(api, friend, sid, content="cafe", before=b["id"], sort="relevance")
    assert [m["id"] for m in r.json()["messages"]] == [a["id"]]


async def test_edits_and_deletes_show_at_once(api: Api, place: dict[str, Any]) -> None:
    owner, sid, cid = place["owner"], place["sid"], place["general"]
    m = await api.send(owner, cid, "first draft")
    r = await api.patch(f"/channels/{cid}/messages/{m['id']}", owner, json={"content": "final"})
    assert r.status_code == 200
    assert (await search(api, owner, sid, content="draft")).json()["messages"] == []
    assert [
        x["id"] for x in (await search(api, owner, sid, content="final")).json()["messages"]
    ] == [m["id"]]
    assert (await api.delete(f"/channels/{cid}/messages/{m['id']}", owner)).status_code == 204
    assert (await search(api, owner, sid, content="final")).json()["total_results"] == 0


async def test_files_and_images_are_found_with_has(api: Api, place: dict[str, Any]) -> None:
    owner, sid, cid = place["owner"], place["sid"], place["general"]
    plain = await api.send(owner, cid, "report attached")
    r = await upload(api, owner, cid, [payload("report attached"), file(0, "r.txt", b"notes\n")])
    assert r.status_code == 201, r.text
    text_file = r.json()
    r = await upload(api, owner, cid, [payload("report attached"), file(0, "p.png", png())])
    assert r.status_code == 201, r.text
    picture = r.json()

    async def found(**params: Any) -> list[str]:
        r = await search(api, owner, sid, **params)
        assert r.status_code == 200, r.text
        return [m["id"] for m in r.json()["messages"]]

    assert await found(content="report") == [picture["id"], text_file["id"], plain["id"]]
    assert await found(content="report", has="file") == [picture["id"], text_file["id"]]
    assert await found(has="image") == [picture["id"]]
    assert await found(has=["image", "link"]) == []  # every has must hold
    # An edit keeps what the message carries.
    mid = picture["id"]
    r = await api.patch(f"/channels/{cid}/messages/{mid}", owner, json={"content": "chart"})
    assert r.status_code == 200, r.text
    assert await found(content="chart", has="image") == [mid]
    assert await found(content="report", has="image") == []


async def test_non_members_get_404(api: Api, place: dict[str, Any]) -> None:
    stranger = await api.register("stranger")
    await api.send(place["owner"], place["general"], "private words")
    r = await search(api, stranger, place["sid"], content="private")
    assert assert_error_shape(r, 404)["code"] == "unknown_server"
    r = await api.get(f"/channels/{place['general']}/messages/search", stranger)
    assert assert_error_shape(r, 404)["code"] == "unknown_channel"
    r = await search(api, stranger, "999999999")
    assert assert_error_shape(r, 404)["code"] == "unknown_server"
    own = await api.create_server(stranger)
    r = await search(api, stranger, own["id"], channel_id=place["general"])
    assert assert_error_shape(r, 404)["code"] == "unknown_channel"


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"pinned": "maybe"}, "validation_failed", "pinned"),
        ({"mentions": "0"}, "validation_failed", "mentions"),
        ({"limit": "26"}, "validation_failed", "limit"),
        ({"limit": "0"}, "validation_failed", "limit"),
        ({"offset": "5001"}, "validation_failed", "offset"),
        ({"offset": "-1"}, "validation_failed", "offset"),
        ({"sort": "oldest"}, "validation_failed", "sort"),
        ({"has": "video"}, "validation_failed", "has"),
        ({"author_id": "abc"}, "validation_failed", "author_id"),
        ({"author_id": str(2**63)}, "validation_failed", "author_id"),
        ({"before": str(2**64)}, "validation_failed", "before"),
        ({"content": "x" * 1025}, "validation_failed", "content"),
        ({"content": "!!! ***"}, "validation_failed", "content"),
        ({"channel_id": [str(i) for i in range(1, 27)]}, "validation_failed", "channel_id"),
    ],
)
async def test_bad_input_is_a_clear_400(
    api: Api, place: dict[str, Any], params: dict[str, Any], code: str, field: str
) -> None:
    r = await search(api, place["owner"], place["sid"], **params)
    body = assert_error_shape(r, 400)
    assert (body["code"], body.get("field")) == (code, field), body


@pytest.mark.parametrize(
    "raw",
    [
        "content=%00",
        "content=a%00b",
        "content=%FF%FE",
        "content=%ED%A0%80",  # an encoded lone surrogate
        "content=%22%22%22",
        "content=NEAR(a%20b)%20*%20OR%20col:x",
        "content=" + "%28" * 500,
        "content=" + "-" * 500,
        "content=" + "a%20" * 400,
        "content=" + "x" * 60_000,
        "content=%22" + "w%20" * 300,
        "limit=1e3",
        "offset=1.5",
        "has=",
        "has=link&has=link&has=link&has=link",
        "author_id=&channel_id=",
    ],
)
async def test_hostile_raw_queries_never_fail(api: Api, place: dict[str, Any], raw: str) -> None:
    r = await api.http.get(
        f"/api/v1/servers/{place['sid']}/messages/search?{raw}", headers=place["owner"].headers
    )
    assert r.status_code < 500, (r.status_code, r.text[:300])
    if r.status_code != 200:
        assert_error_shape(r, (400, 414, 431))


QUERY_TEXT = st.lists(
    st.one_of(
        st.sampled_from(list("\"*:()-^+~{}[]<>@!?.,;'\\/|&%$#_= \t\n")),
        st.sampled_from(["NEAR", "AND", "OR", "NOT", "é", "东京", "ß", "İ", "\u0301", "\u200d"]),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=60,
).map("".join)


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(content=QUERY_TEXT, sort=st.sampled_from(["newest", "relevance"]))
def test_any_text_is_a_200_or_a_clear_400(
    live: LiveServer, hostile_place: dict[str, Any], content: str, sort: str
) -> None:
    r = httpx.get(
        f"{live.url}/api/v1/servers/{hostile_place['sid']}/messages/search",
        params={"content": content, "sort": sort},
        headers=hostile_place["headers"],
        timeout=15,
    )
    assert r.status_code in (200, 400), (content, r.status_code, r.text[:300])
    body = r.json()
    if r.status_code == 400:
        assert body["code"] == "validation_failed" and body["field"] == "content", body
    else:
        for message in body["messages"]:
            for start, end in message["highlights"]:
                assert 0 <= start < end <= len(message["content"])


@pytest.fixture(scope="module")
def hostile_place(live: LiveServer) -> dict[str, Any]:
    """A server whose messages hold every character that means something to an engine."""
    with httpx.Client(base_url=f"{live.url}/api/v1", timeout=15) as http:
        r = http.post(
            "/auth/register",
            json={"username": "hostile1", "email": "hostile1@example.com", "password": "x" * 12},
        )
        if r.status_code == 409:  # the module fixture runs once per backend
            r = http.post("/auth/login", json={"login": "hostile1", "password": "x" * 12})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        server = http.post("/servers", json={"name": "hostile"}, headers=headers).json()
        channel = server["channels"][0]["id"]
        for content in [
            'NEAR(a b) AND "quoted" OR col:value *star* ^caret',
            "東京 café ß İstanbul e\u0301 -minus (paren) 'single' \"double\"",
            "a" * 2000,
        ]:
            http.post(f"/channels/{channel}/messages", json={"content": content}, headers=headers)
    return {"sid": server["id"], "headers": headers}
