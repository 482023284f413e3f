"""Hostile input, on SQLite and PostgreSQL alike: oversized bodies (413, with and without a
Content-Length), deeply nested JSON, invalid UTF-8, NUL and other control characters in every
text field, ids beyond 64 bits. Always a 4xx in the one error shape, never a 5xx, and nothing
written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from ..api.harness import Account, Api, LiveServer

TABLES = ("users", "auth_sessions", "servers", "members", "channels", "messages", "invites")
CAP = 64 * 1024
JSON = {"Content-Type": "application/json"}


async def row_counts(server: LiveServer) -> dict[str, int]:
    engine = create_async_engine(server.settings.effective_database_url)
    try:
        async with engine.connect() as conn:
            return {
                t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                for t in TABLES
            }
    finally:
        await engine.dispose()


def error_of(r: Any, *statuses: int) -> dict[str, Any]:
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert {"code", "message"} <= set(body) <= {"code", "message", "field", "retry_after"}
    return body


class World:
    def __init__(self, owner: Account, server: dict[str, Any], message: dict[str, Any]) -> None:
        self.owner = owner
        self.server_id = server["id"]
        self.channel_id = server["channels"][0]["id"]
        self.message_id = message["id"]


@pytest.fixture
async def world(api: Api) -> World:
    owner = await api.register("owner")
    server = await api.create_server(owner)
    message = await api.send(owner, server["channels"][0]["id"], "hello")
    return World(owner, server, message)


def _message(size: int) -> bytes:
    return b'{"content":"' + b"x" * size + b'"}'


async def test_body_over_the_cap_is_413(api: Api, world: World) -> None:
    before = await row_counts(api.server)
    path = f"/channels/{world.channel_id}/messages"
    # with a Content-Length
    r = await api.post(path, world.owner, content=_message(CAP), headers=JSON)
    assert error_of(r, 413)["code"] == "payload_too_large"

    # chunked, no Content-Length: the cap holds while reading
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"content":"'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    r = await api.post(path, world.owner, content=chunks(), headers=JSON)
    assert error_of(r, 413)["code"] == "payload_too_large"
    # on a public route too, before any token is looked at
    body = b'{"username":"' + b"u" * CAP + b'","email":"a@b.co","password":"password1"}'
    r = await api.post("/auth/register", content=body, headers=JSON)
    assert error_of(r, 413)["code"] == "payload_too_large"
    assert await row_counts(api.server) == before
    # just under the cap is read and answered on its merits (2000 characters at most)
    r = await api.post(path, world.owner, content=_message(CAP - 100), headers=JSON)
    assert error_of(r, 400)["field"] == "content"


@pytest.mark.parametrize("depth", [200, 5_000, 30_000])
async def test_deeply_nested_json(api: Api, world: World, depth: int) -> None:
    before = await row_counts(api.server)
    nested = b"[" * depth + b"]" * depth
    for path, body in (
        (f"/channels/{world.channel_id}/messages", b'{"content":"a","nonce":' + nested + b"}"),
        ("/servers", nested),
        ("/auth/login", b'{"login":' + nested + b',"password":"x"}'),
    ):
        r = await api.post(path, world.owner, content=body, headers=JSON)
        error_of(r, 400)
    assert await row_counts(api.server) == before


INVALID_UTF8 = [
    b'{"content":"\xff"}',
    b'{"content":"a\xc3"}',  # a truncated sequence
    b'{"content":"\xed\xa0\x80"}',  # an encoded surrogate
    b'{"content":"\xc0\xaf"}',  # an overlong encoding
    b'{"content":"\\ud800"}',  # an escaped lone surrogate
    b'\xef\xbb\xbf{"content":"a"}',  # a byte order mark
]


@pytest.mark.parametrize("body", INVALID_UTF8)
async def test_invalid_utf8(api: Api, world: World, body: bytes) -> None:
    before = await row_counts(api.server)
    r = await api.post(
        f"/channels/{world.channel_id}/messages", world.owner, content=body, headers=JSON
    )
    error_of(r, 400)
    r = await api.post("/auth/login", content=body.replace(b"content", b"login"), headers=JSON)
    error_of(r, 400)
    assert await row_counts(api.server) == before


CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\u0085"]


def _text_fields(world: World, bad: str) -> list[tuple[str, str, dict[str, Any]]]:
    sid, cid, mid = world.server_id, world.channel_id, world.message_id
    return [
        (
            "POST",
            "/auth/register",
            {"username": f"a{bad}b", "email": "x@y.co", "password": "p" * 9},
        ),
        (
            "POST",
            "/auth/register",
            {"username": "nulmail", "email": f"x{bad}@y.co", "password": "p" * 9},
        ),
        ("POST", "/auth/login", {"login": f"owner{bad}", "password": "uncommon-pw"}),
        ("POST", "/servers", {"name": f"a{bad}b"}),
        ("POST", "/servers", {"name": "ok", "description": f"a{bad}b"}),
        ("PATCH", f"/servers/{sid}", {"name": f"a{bad}b"}),
        ("POST", f"/servers/{sid}/channels", {"name": f"a{bad}b"}),
        ("POST", f"/servers/{sid}/channels", {"name": "ok", "topic": f"a{bad}b"}),
        ("PATCH", f"/channels/{cid}", {"topic": f"a{bad}b"}),
        ("POST", f"/channels/{cid}/messages", {"content": f"a{bad}b"}),
        ("POST", f"/channels/{cid}/messages", {"content": "ok", "nonce": f"n{bad}"}),
        ("PATCH", f"/channels/{cid}/messages/{mid}", {"content": f"a{bad}b"}),
        ("PATCH", "/users/@me", {"username": f"a{bad}b"}),
        ("PATCH", "/users/@me", {"email": f"x{bad}@y.co", "current_password": "uncommon-pw"}),
    ]


@pytest.mark.parametrize("bad", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
async def test_control_characters_in_every_text_field(api: Api, world: World, bad: str) -> None:
    before = await row_counts(api.server)
    for method, path, body in _text_fields(world, bad):
        r = await api.request(method, path, world.owner, json=body)
        error = error_of(r, 400, 401)
        assert error["code"] in ("validation_failed", "invalid_credentials"), (path, error)
    assert await row_counts(api.server) == before
    # the user's password may hold anything but NUL, and a wrong one is just wrong
    r = await api.post("/auth/login", json={"login": world.owner.username, "password": f"p{bad}"})
    assert error_of(r, 401)["code"] == "invalid_credentials"


TOO_BIG = [str(2**63), str(2**64), "9" * 40, "-1", "0", "0x10", "abc"]


@pytest.mark.parametrize("bad_id", TOO_BIG)
async def test_ids_beyond_64_bits(api: Api, world: World, bad_id: str) -> None:
    owner, sid, cid = world.owner, world.server_id, world.channel_id
    before = await row_counts(api.server)
    for method, path in (
        ("GET", f"/servers/{bad_id}"),
        ("GET", f"/channels/{bad_id}"),
        ("GET", f"/users/{bad_id}"),
        ("GET", f"/channels/{cid}/messages/{bad_id}"),
        ("DELETE", f"/servers/{sid}/members/{bad_id}"),
        ("DELETE", f"/users/@me/servers/{bad_id}"),
    ):
        error_of(await api.request(method, path, owner), 400, 404)
    for query in ("before", "after", "around"):
        r = await api.get(f"/channels/{cid}/messages", owner, params={query: bad_id})
        assert error_of(r, 400)["field"] == query
    if bad_id != "0":  # a members page may start after 0
        r = await api.get(f"/servers/{sid}/members", owner, params={"after": bad_id})
        assert error_of(r, 400)["field"] == "after"
    r = await api.post(f"/servers/{sid}/transfer", owner, json={"user_id": bad_id})
    assert error_of(r, 400)["field"] == "user_id"
    if bad_id.lstrip("-").isdigit():  # the same as a JSON number: ids are strings
        r = await api.post(f"/servers/{sid}/transfer", owner, json={"user_id": int(bad_id)})
        assert error_of(r, 400)["field"] == "user_id"
    assert await row_counts(api.server) == before


async def test_the_largest_64_bit_id_is_a_plain_404(api: Api, world: World) -> None:
    largest = str(2**63 - 1)
    for path in (f"/servers/{largest}", f"/channels/{largest}", f"/users/{largest}"):
        error_of(await api.get(path, world.owner), 404)
    r = await api.get(
        f"/channels/{world.channel_id}/messages", world.owner, params={"after": largest}
    )
    assert r.status_code == 200 and r.json() == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_other_content_types_never_break_anything(
    api: Api, world: World, content_type: str
) -> None:
    r = await api.post(
        f"/channels/{world.channel_id}/messages",
        world.owner,
        content=b'{"content":"\x00"}',
        headers={"Content-Type": content_type},
    )
    error_of(r, 400, 415)


DUPLICATES = [
    b'{"name": "one", "name": "two"}',
    b'{"name": "one", "n\\u0061me": "two"}',  # the same key, spelled with an escape
    b'{"name": "name", "name": "two"}',
    b'{"description": {"a": 1, "a": 2}, "name": "x"}',  # nested
]


@pytest.mark.parametrize("body", DUPLICATES)
async def test_duplicate_keys_are_refused(api: Api, world: World, body: bytes) -> None:
    before = await row_counts(api.server)
    r = await api.post("/servers", world.owner, content=body, headers=JSON)
    error = error_of(r, 400)
    assert error["code"] == "invalid_body", error
    assert error["field"] in ("name", "a"), error
    r = await api.patch(f"/servers/{world.server_id}", world.owner, content=body, headers=JSON)
    assert error_of(r, 400)["code"] == "invalid_body"
    assert await row_counts(api.server) == before
    # the same keys once each are fine
    r = await api.post("/servers", world.owner, json={"name": "one", "description": "a"})
    assert r.status_code == 201, r.text


async def test_a_huge_unknown_key_is_not_echoed_whole(api: Api, world: World) -> None:
    key = "k" * 60_000
    r = await api.post("/servers", world.owner, json={"name": "x", key: 1})
    error = error_of(r, 400)
    assert len(r.content) < 1000, len(r.content)
    assert error["field"].startswith("kkkk") and len(error["field"]) <= 64
    r = await api.post(f"/channels/{world.channel_id}/messages", world.owner, json={key: "x"})
    assert len(error_of(r, 400)["message"]) <= 300 and len(r.content) < 1000
    r = await api.get(f"/channels/{world.channel_id}/messages", world.owner, params={"limit": key})
    assert len(r.content) < 1000, r.text[:200]


async def test_an_empty_body_says_the_body_is_missing(api: Api, world: World) -> None:
    for path in ("/servers", f"/channels/{world.channel_id}/messages", "/auth/login"):
        r = await api.post(path, world.owner, headers=JSON)
        error = error_of(r, 400)
        assert "body is missing" in error["message"], error
        assert "data" not in error["message"] and error.get("field") is None, error
