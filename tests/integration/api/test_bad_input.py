"""Bad input: a clear 4xx in the one error shape, and nothing written, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .harness import Api, LiveServer

TABLES = ("users", "auth_sessions", "servers", "members", "channels", "messages", "invites")
TOO_BIG = str(2**64)
NOT_64_BIT = str(2**63)


async def row_counts(live: LiveServer) -> dict[str, int]:
    """Count rows straight from the database, through a connection of our own."""
    engine = create_async_engine(live.settings.effective_database_url)
    try:
        async with engine.connect() as conn:
            return {
                t: (await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                for t in TABLES
            }
    finally:
        await engine.dispose()


def assert_error_shape(r: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text)
    body: dict[str, Any] = r.json()
    assert set(body) >= {"code", "message"} and set(body) <= {
        "code",
        "message",
        "field",
        "retry_after",
    }
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
async def world(api: Api) -> dict[str, Any]:
    owner = await api.register("owner")
    outsider = await api.register("outsider")
    server = await api.create_server(owner)
    other = await api.create_server(outsider)
    cid = server["channels"][0]["id"]
    msg = await api.send(owner, cid, "hello")
    foreign_msg = await api.send(outsider, other["channels"][0]["id"], "elsewhere")
    return {
        "owner": owner,
        "outsider": outsider,
        "server": server,
        "cid": cid,
        "msg": msg,
        "other": other,
        "foreign_msg": foreign_msg,
    }


BAD_BODIES = [
    (
        "POST",
        "/auth/register",
        {"username": "", "email": "a@b.co", "password": "password1"},
        "username",
    ),
    (
        "POST",
        "/auth/register",
        {"username": "x" * 33, "email": "a@b.co", "password": "password1"},
        "username",
    ),
    (
        "POST",
        "/auth/register",
        {"username": "bad name", "email": "a@b.co", "password": "password1"},
        "username",
    ),
    (
        "POST",
        "/auth/register",
        {"username": "nul\x00l", "email": "a@b.co", "password": "password1"},
        "username",
    ),
    (
        "POST",
        "/auth/register",
        {"username": "okname", "email": "not-an-email", "password": "password1"},
        "email",
    ),
    (
        "POST",
        "/auth/register",
        {"username": "okname", "email": "a@b.co", "password": "short"},
        "password",
    ),
    (
        "POST",
        "/auth/register",
        {"username": "okname", "email": "a@b.co", "password": "p" * 129},
        "password",
    ),
    ("POST", "/auth/register", {"username": "okname", "email": "a@b.co"}, "password"),
    (
        "POST",
        "/auth/register",
        {"username": "okname", "email": "a@b.co", "password": "password1", "admin": True},
        "admin",
    ),
    (
        "POST",
        "/auth/register",
        {"username": 12, "email": "a@b.co", "password": "password1"},
        "username",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_BODIES)
async def test_bad_registrations_write_nothing(
    api: Api, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    before = await row_counts(api.server)
    r = await api.request(method, path, json=body)
    error = assert_error_shape(r, 400)
    assert error["field"] == field, error
    assert await row_counts(api.server) == before


async def test_bad_bodies_on_authenticated_routes(api: Api, world: dict[str, Any]) -> None:
    owner, sid, cid, mid = world["owner"], world["server"]["id"], world["cid"], world["msg"]["id"]
    cases = [
        ("POST", "/servers", {"name": ""}, "name"),
        ("POST", "/servers", {"name": "x" * 101}, "name"),
        ("POST", "/servers", {"name": "ok", "extra": 1}, "extra"),
        ("POST", "/servers", {"name": None}, "name"),
        ("PATCH", f"/servers/{sid}", {"name": " \t "}, "name"),
        ("PATCH", f"/servers/{sid}", {"description": "d" * 1001}, "description"),
        ("POST", f"/servers/{sid}/channels", {"name": "c" * 101}, "name"),
        ("POST", f"/servers/{sid}/channels", {"name": "c", "position": -1}, "position"),
        ("POST", f"/servers/{sid}/channels", {"name": "c", "position": 501}, "position"),
        ("PATCH", f"/channels/{cid}", {"topic": "t" * 1025}, "topic"),
        ("POST", f"/channels/{cid}/messages", {"content": "x" * 2001}, "content"),
        ("POST", f"/channels/{cid}/messages", {"content": ""}, "content"),
        ("POST", f"/channels/{cid}/messages", {"content": "a\x00b"}, "content"),
        ("POST", f"/channels/{cid}/messages", {"content": "a", "nonce": ""}, "nonce"),
        ("POST", f"/channels/{cid}/messages", {"content": "a", "nonce": "n" * 26}, "nonce"),
        ("POST", f"/channels/{cid}/messages", {"content": ["a"]}, "content"),
        ("POST", f"/channels/{cid}/messages", {"text": "a"}, "text"),
        ("PATCH", f"/channels/{cid}/messages/{mid}", {"content": "x" * 2001}, "content"),
        ("POST", f"/servers/{sid}/invites", {"max_age": -1}, "max_age"),
        ("POST", f"/servers/{sid}/invites", {"max_age": 604801}, "max_age"),
        ("POST", f"/servers/{sid}/invites", {"max_uses": 101}, "max_uses"),
        ("POST", f"/servers/{sid}/transfer", {"user_id": "abc"}, "user_id"),
        ("POST", f"/servers/{sid}/transfer", {"user_id": TOO_BIG}, "user_id"),
        ("PATCH", "/users/@me", {"status": "busy"}, "status"),
        ("PATCH", "/users/@me", {"username": "a"}, "username"),
    ]
    before = await row_counts(api.server)
    for method, path, body, field in cases:
        r = await api.request(method, path, owner, json=body)
        error = assert_error_shape(r, 400)
        assert error.get("field") == field, (method, path, body, error)
    assert await row_counts(api.server) == before
    history = (await api.get(f"/channels/{cid}/messages", owner)).json()
    assert [m["content"] for m in history] == ["hello"]


@pytest.mark.parametrize("value", ["0", "-1", "101", "abc", "1.5", ""])
async def test_bad_page_limits(api: Api, world: dict[str, Any], value: str) -> None:
    r = await api.get(f"/channels/{world['cid']}/messages", world["owner"], params={"limit": value})
    error = assert_error_shape(r, 400)
    assert error.get("field") == "limit"


@pytest.mark.parametrize("cursor", ["before", "after", "around"])
@pytest.mark.parametrize("value", ["abc", "-5", "0", TOO_BIG, NOT_64_BIT])
async def test_bad_cursors(api: Api, world: dict[str, Any], cursor: str, value: str) -> None:
    r = await api.get(f"/channels/{world['cid']}/messages", world["owner"], params={cursor: value})
    error = assert_error_shape(r, 400)
    assert error.get("field") == cursor


async def test_two_cursors_at_once(api: Api, world: dict[str, Any]) -> None:
    mid = world["msg"]["id"]
    r = await api.get(
        f"/channels/{world['cid']}/messages", world["owner"], params={"before": mid, "after": mid}
    )
    assert_error_shape(r, 400)


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", TOO_BIG, NOT_64_BIT, "1e3"])
async def test_bad_ids_in_paths(api: Api, world: dict[str, Any], bad_id: str) -> None:
    owner = world["owner"]
    for path in (
        f"/servers/{bad_id}",
        f"/channels/{bad_id}",
        f"/users/{bad_id}",
        f"/channels/{world['cid']}/messages/{bad_id}",
    ):
        r = await api.get(path, owner)
        assert_error_shape(r, (400, 404))


async def test_malformed_json_and_wrong_types(api: Api, world: dict[str, Any]) -> None:
    owner, cid = world["owner"], world["cid"]
    before = await row_counts(api.server)
    for raw in (
        b"{",
        b"not json",
        b"[]",
        b'"a string"',
        b"\xff\xfe",
        b'{"content": "a"',
        b'{"content": "\\ud800"}',
    ):
        r = await api.post(
            f"/channels/{cid}/messages",
            owner,
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert_error_shape(r, 400)
    assert await row_counts(api.server) == before


async def test_member_acting_on_another_servers_objects(api: Api, world: dict[str, Any]) -> None:
    owner, outsider = world["owner"], world["outsider"]
    cid, mid = world["cid"], world["msg"]["id"]
    foreign = world["foreign_msg"]
    before = await row_counts(api.server)
    cases = [
        ("POST", f"/channels/{cid}/messages", outsider, {"content": "hi"}),
        ("PATCH", f"/channels/{cid}", outsider, {"name": "mine"}),
        ("DELETE", f"/channels/{cid}", outsider, None),
        ("DELETE", f"/channels/{cid}/messages/{mid}", outsider, None),
        ("POST", f"/channels/{cid}/typing", outsider, None),
        ("GET", f"/channels/{cid}/messages/{foreign['id']}", owner, None),
        ("DELETE", f"/channels/{cid}/messages/{foreign['id']}", owner, None),
        ("PATCH", f"/servers/{world['server']['id']}", outsider, {"name": "x"}),
        ("DELETE", f"/servers/{world['server']['id']}/members/{owner.id}", outsider, None),
        ("POST", f"/servers/{world['server']['id']}/invites", outsider, {}),
    ]
    for method, path, who, body in cases:
        r = await api.request(method, path, who, json=body)
        assert_error_shape(r, 404)
    assert await row_counts(api.server) == before


async def test_unknown_route_and_method(api: Api, world: dict[str, Any]) -> None:
    assert_error_shape(await api.get("/nope", world["owner"]), 404)
    assert_error_shape(await api.request("PUT", "/servers", world["owner"], json={}), 405)
