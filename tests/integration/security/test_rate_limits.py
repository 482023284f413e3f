"""Rate limits with small budgets: 429 in the one error shape with Retry-After and a body
saying how long, and the same request succeeds once that time has passed. In process and
over Redis (shared by every instance). The gateway's frame limit is in test_gateway_limits."""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from entrypoints.settings import RateLimit, RateLimits

from ..api.harness import Api, unique
from .conftest import ServerFactory, client_for

PERIOD = 1.5
LIMITS = RateLimits(
    enabled=True,
    register_per_ip=RateLimit(3, PERIOD),
    login_per_ip=RateLimit(6, PERIOD),
    login_per_account=RateLimit(3, PERIOD),
    message_per_channel=RateLimit(3, PERIOD),
    typing_per_channel=RateLimit(2, PERIOD),
    search_per_user=RateLimit(2, PERIOD),
    reaction_per_user=RateLimit(3, PERIOD),
    per_user=RateLimit(20, 10),
)


@pytest.fixture(params=["memory", "redis"])
async def rapi(request: pytest.FixtureRequest, start_server: ServerFactory) -> AsyncIterator[Api]:
    """A fresh server per test (budgets start full), limits in process or in Redis."""
    extra: dict[str, Any] = {}
    if request.param == "redis":
        prefix = f"{request.getfixturevalue('redis_prefix')}{unique('rl')}:"
        extra = {"redis_url": request.getfixturevalue("redis_url"), "redis_prefix": prefix}
    with start_server(rate_limits=LIMITS, **extra) as server:
        async with client_for(server) as api:
            yield api


def assert_budget_headers(r: httpx.Response, bucket: str, limit: int) -> int:
    """Discord's X-RateLimit-* headers, consistent with each other; returns Remaining."""
    h = r.headers
    assert h["X-RateLimit-Bucket"] == bucket, dict(h)
    assert int(h["X-RateLimit-Limit"]) == limit
    remaining = int(h["X-RateLimit-Remaining"])
    assert 0 <= remaining < limit
    reset_after = float(h["X-RateLimit-Reset-After"])
    assert 0 < reset_after <= PERIOD * 10
    assert abs(float(h["X-RateLimit-Reset"]) - (time.time() + reset_after)) < 2
    return remaining


def assert_limited(r: httpx.Response, scope: str = "user") -> float:
    """A proper 429: the one error shape, retry_after in the body, Retry-After rounded up,
    whose budget it was (Discord's `global` and `scope`, also as headers)."""
    assert r.status_code == 429, r.text
    body = r.json()
    assert set(body) == {"code", "message", "retry_after", "global", "scope"}, body
    assert body["code"] == "rate_limited"
    assert body["scope"] == scope and body["global"] is (scope == "global"), body
    retry_after = float(body["retry_after"])
    assert 0 < retry_after <= PERIOD
    assert r.headers["Retry-After"] == str(max(1, math.ceil(retry_after)))
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert r.headers["X-RateLimit-Scope"] == scope
    assert r.headers["X-RateLimit-Global"] == ("true" if scope == "global" else "false")
    assert "retry after" in body["message"]
    return retry_after


async def spend(send: Callable[[], Any], ok: int) -> httpx.Response:
    """Send `ok` requests that must pass, then return the answer to one more."""
    for i in range(ok):
        r = await send()
        assert r.status_code < 400, (i, r.text)
    return await send()  # type: ignore[no-any-return]


async def spend_slow(send: Callable[[], Any], ok: int, refill_s: float) -> httpx.Response:
    """`spend` for requests that hash a password (slow on a loaded machine): the budget
    refills one request per `refill_s` while they run, so a few more may pass than `ok`, but
    never more than that time refilled; returns the first refusal."""
    started = time.monotonic()
    r = await spend(send, ok)
    extra = 0
    while r.status_code != 429:
        assert r.status_code < 400, r.text
        extra += 1
        assert extra <= (time.monotonic() - started) / refill_s + 1, "the budget did not hold"
        r = await send()
    return r  # type: ignore[no-any-return]


async def test_register_per_ip(rapi: Api) -> None:
    def register() -> Any:
        name = unique("r")
        body = {"username": name, "email": f"{name}@example.com", "password": "uncommon-pw"}
        return rapi.post("/auth/register", json=body)

    wait = assert_limited(await spend_slow(register, 3, PERIOD / 3), scope="ip")
    await asyncio.sleep(wait + 0.05)
    assert (await register()).status_code == 201


async def test_login_per_account_whatever_the_spelling(rapi: Api) -> None:
    alice = await rapi.register("alice")
    bob = await rapi.register("bob")
    spellings = iter(
        [alice.username, alice.username.upper(), f"  {alice.username} ", alice.username]
    )

    def login_alice() -> Any:
        return rapi.post("/auth/login", json={"login": next(spellings), "password": "nope-nope"})

    for _ in range(3):
        assert (await login_alice()).status_code == 401
    wait = assert_limited(await login_alice(), scope="shared")
    # another account from the same address is not affected
    r = await rapi.post("/auth/login", json={"login": bob.username, "password": bob.password})
    assert r.status_code == 200
    await asyncio.sleep(wait + 0.05)
    r = await rapi.post("/auth/login", json={"login": alice.username, "password": alice.password})
    assert r.status_code == 200


async def test_login_per_ip_across_accounts(rapi: Api) -> None:
    accounts = [await rapi.register(f"a{i}") for i in range(3)]
    attempts = itertools.cycle(accounts)  # every account in turn: the budget is the address's

    def login() -> Any:
        who = next(attempts)
        return rapi.post("/auth/login", json={"login": who.username, "password": who.password})

    wait = assert_limited(await spend_slow(login, 6, PERIOD / 6), scope="ip")
    await asyncio.sleep(wait + 0.05)
    assert (await login()).status_code == 200


async def test_password_checks_share_the_login_budget(rapi: Api) -> None:
    """A stolen token cannot be used to guess the password through PATCH /users/@me."""
    alice = await rapi.register("alice")
    guess = {"email": "new@example.com", "current_password": "guess-1234"}
    for _ in range(3):
        assert (await rapi.patch("/users/@me", alice, json=guess)).status_code == 401
    right = {"email": f"{unique('new')}@example.com", "current_password": alice.password}
    wait = assert_limited(await rapi.patch("/users/@me", alice, json=right), scope="shared")
    # changes that need no password are not throttled by it
    assert (await rapi.patch("/users/@me", alice, json={"status": "dnd"})).status_code == 200
    await asyncio.sleep(wait + 0.05)
    assert (await rapi.patch("/users/@me", alice, json=right)).status_code == 200


async def test_message_sends_per_user_per_channel(rapi: Api) -> None:
    alice = await rapi.register("alice")
    bob = await rapi.register("bob")
    server = await rapi.create_server(alice)
    await rapi.join(bob, server["id"], alice)
    general = server["channels"][0]["id"]
    other = (await rapi.post(f"/servers/{server['id']}/channels", alice, json={"name": "b"})).json()

    def send() -> Any:
        return rapi.post(f"/channels/{general}/messages", alice, json={"content": "hi"})

    wait = assert_limited(await spend(send, ok=3))
    # the same user in another channel, and another user in this one, still may post
    r = await rapi.post(f"/channels/{other['id']}/messages", alice, json={"content": "hi"})
    assert r.status_code == 201
    r = await rapi.post(f"/channels/{general}/messages", bob, json={"content": "hi"})
    assert r.status_code == 201
    await asyncio.sleep(wait + 0.05)
    assert (await send()).status_code == 201
    history = (await rapi.get(f"/channels/{general}/messages", alice)).json()
    assert len(history) == 5  # the refused send wrote nothing


async def test_nonce_replays_do_not_spend_the_channel_budget(rapi: Api) -> None:
    """Retries of a sent message (a client that lost the answer) are answered with the first
    message, however many come at once; only new messages spend the per-channel budget."""
    alice = await rapi.register("alice")
    channel = (await rapi.create_server(alice))["channels"][0]["id"]
    path = f"/channels/{channel}/messages"
    first = await rapi.post(path, alice, json={"content": "once", "nonce": "n-1"})
    assert first.status_code == 201
    retries = await asyncio.gather(
        *(
            rapi.post(path, alice, json={"content": "once", "nonce": " n-1 " if i % 2 else "n-1"})
            for i in range(12)
        )
    )
    assert [r.status_code for r in retries] == [200] * 12
    assert {r.json()["id"] for r in retries} == {first.json()["id"]}
    new = [(await rapi.post(path, alice, json={"content": "new"})).status_code for _ in range(3)]
    assert new == [201, 201, 429]  # the first send spent one of 3; no replay spent any


async def test_typing_per_channel(rapi: Api) -> None:
    alice = await rapi.register("alice")
    channel = (await rapi.create_server(alice))["channels"][0]["id"]

    def typing() -> Any:
        return rapi.post(f"/channels/{channel}/typing", alice)

    wait = assert_limited(await spend(typing, ok=2))
    await asyncio.sleep(wait + 0.05)
    assert (await typing()).status_code == 204


async def test_search_per_user(rapi: Api) -> None:
    """Server and channel searches spend one budget per user."""
    alice = await rapi.register("alice")
    server = await rapi.create_server(alice)
    channel = server["channels"][0]["id"]
    paths = [f"/servers/{server['id']}/messages/search", f"/channels/{channel}/messages/search"]
    calls = iter(paths * 4)

    def search() -> Any:
        return rapi.get(next(calls), alice, params={"content": "x"})

    wait = assert_limited(await spend(search, ok=2))
    await asyncio.sleep(wait + 0.05)
    r = await search()
    assert r.status_code == 200
    assert r.headers["X-RateLimit-Bucket"] == "search_per_user"


async def test_reactions_per_user(rapi: Api) -> None:
    """Adding and removing one's own reactions spend one budget per user, on any message."""
    alice = await rapi.register("alice")
    channel = (await rapi.create_server(alice))["channels"][0]["id"]
    first = await rapi.send(alice, channel, "one")
    second = await rapi.send(alice, channel, "two")
    calls = iter(
        [
            ("PUT", first["id"]),
            ("DELETE", first["id"]),
            ("PUT", second["id"]),
            ("PUT", second["id"]),
            ("PUT", first["id"]),
        ]
    )

    def react() -> Any:
        method, message = next(calls)
        return rapi.request(
            method, f"/channels/{channel}/messages/{message}/reactions/%F0%9F%91%8D/@me", alice
        )

    wait = assert_limited(await spend(react, ok=3))
    await asyncio.sleep(wait + 0.05)
    r = await react()
    assert r.status_code == 204
    assert r.headers["X-RateLimit-Bucket"] == "reaction_per_user"


async def test_per_user_budget_over_all_routes(rapi: Api) -> None:
    alice = await rapi.register("alice")
    bob = await rapi.register("bob")
    answers = [await rapi.get("/users/@me", alice) for _ in range(25)]
    limited = [r for r in answers if r.status_code == 429]
    assert limited, "no 429 after 25 requests with a budget of 20"
    wait = assert_limited(limited[0], scope="global")
    assert (await rapi.get("/users/@me", bob)).status_code == 200  # per user, not global
    await asyncio.sleep(wait + 0.05)
    assert (await rapi.get("/users/@me", alice)).status_code == 200


async def test_every_rate_limited_answer_carries_the_budget_headers(rapi: Api) -> None:
    """2xx answers too: Remaining counts down, the route's own rule is the one reported."""
    alice = await rapi.register("alice")
    channel = (await rapi.create_server(alice))["channels"][0]["id"]
    seen = []
    for _ in range(3):
        r = await rapi.post(f"/channels/{channel}/messages", alice, json={"content": "hi"})
        assert r.status_code == 201
        seen.append(assert_budget_headers(r, "message_per_channel", 3))
    assert seen == [2, 1, 0]
    r = await rapi.post(f"/channels/{channel}/messages", alice, json={"content": "hi"})
    assert_limited(r)
    assert r.headers["X-RateLimit-Bucket"] == "message_per_channel"
    # a route without its own rule reports the per-user budget of all routes
    r = await rapi.get("/users/@me", alice)
    assert r.status_code == 200
    assert_budget_headers(r, "per_user", 20)
    # public routes: the budget closest to running out
    r = await rapi.post("/auth/login", json={"login": alice.username, "password": alice.password})
    assert r.status_code == 200
    assert assert_budget_headers(r, "login_per_account", 3) == 2
