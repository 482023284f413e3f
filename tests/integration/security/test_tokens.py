"""Tokens and credentials: forged tokens are refused on REST (401) and the gateway (4004);
logout and password changes revoke tokens and close their sockets; an unknown account and a
wrong password look the same."""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from ..api.harness import TEST_SECRET, Account, Api, GatewayClient
from .conftest import ServerFactory, client_for, close_of

OTHER_KEY = "another-secret-" + "y" * 40


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})  # type: ignore[no-any-return]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any], alg: str = "none") -> str:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _tampered(token: str, **changes: Any) -> str:
    header, _, signature = token.split(".")
    claims = {**_claims(token), **changes}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _without(claims: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k != name}


Forge = Callable[[str, Account], str]
FORGERIES: list[tuple[str, Forge]] = [
    ("alg none", lambda t, _: _unsigned(_claims(t))),
    ("alg NONE", lambda t, _: _unsigned(_claims(t), "NONE")),
    ("wrong key", lambda t, _: jwt.encode(_claims(t), OTHER_KEY, algorithm="HS256")),
    ("HS512 with our key", lambda t, _: jwt.encode(_claims(t), TEST_SECRET, algorithm="HS512")),
    ("tampered sub", lambda t, other: _tampered(t, sub=other.id)),
    ("tampered exp", lambda t, _: _tampered(t, exp=_claims(t)["exp"] + 3600)),
    ("signature stripped", lambda t, _: t.rsplit(".", 1)[0] + "."),
    (
        "expired",
        lambda t, _: jwt.encode(
            {**_claims(t), "exp": int(time.time()) - 10}, TEST_SECRET, algorithm="HS256"
        ),
    ),
    (
        "missing exp",
        lambda t, _: jwt.encode(_without(_claims(t), "exp"), TEST_SECRET, algorithm="HS256"),
    ),
    (
        "missing sid",
        lambda t, _: jwt.encode(_without(_claims(t), "sid"), TEST_SECRET, algorithm="HS256"),
    ),
    (
        "another user's id with our session",
        lambda t, other: jwt.encode(
            {**_claims(t), "sub": other.id}, TEST_SECRET, algorithm="HS256"
        ),
    ),
    (
        "an unknown session",
        lambda t, _: jwt.encode(
            {**_claims(t), "sid": "no-such-session"}, TEST_SECRET, algorithm="HS256"
        ),
    ),
    (
        "wrong issuer",
        lambda t, _: jwt.encode({**_claims(t), "iss": "evil"}, TEST_SECRET, algorithm="HS256"),
    ),
    ("not a JWT", lambda t, _: "x" * 40),
    ("NUL inside", lambda t, _: t[:10] + "\x00" + t[10:]),
]


@pytest.mark.parametrize(("case", "forge"), FORGERIES, ids=[f[0] for f in FORGERIES])
async def test_forged_tokens_are_401_on_rest_and_4004_on_the_gateway(
    api: Api, case: str, forge: Forge
) -> None:
    alice = await api.register("alice")
    bob = await api.register("bob")
    token = forge(alice.token, bob)
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in (("GET", "/users/@me"), ("POST", "/auth/refresh")):
        if "\x00" in token:
            break  # not even sendable as an HTTP header: the gateway only
        r = await api.request(method, path, headers=headers)
        assert r.status_code == 401, (case, r.text)
        assert r.json()["code"] in ("invalid_token", "unauthorized"), r.text
        assert set(r.json()) == {"code", "message"}
    gw = await GatewayClient.open(api.server.ws_url)
    await gw.send({"op": 2, "d": {"token": token}})
    code, reason = await close_of(gw)
    assert (code, reason) == (4004, "authentication failed"), case
    # the real token still works
    assert (await api.get("/users/@me", alice)).status_code == 200


async def _login(api: Api, who: Account, password: str | None = None) -> str:
    r = await api.post(
        "/auth/login", json={"login": who.email, "password": password or who.password}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_logout_revokes_the_token_and_closes_its_sockets_only(api: Api) -> None:
    alice = await api.register("alice")
    other_token = await _login(api, alice)
    doomed = await GatewayClient.identify(api.server.ws_url, alice.token)
    survivor = await GatewayClient.identify(api.server.ws_url, other_token)
    assert (await api.post("/auth/logout", alice)).status_code == 204
    assert await close_of(doomed) == (4004, "token revoked")
    for path in ("/users/@me", "/users/@me/servers"):
        assert (await api.get(path, alice)).status_code == 401
    assert (await api.post("/auth/refresh", alice)).status_code == 401
    # a revoked token cannot come back on the gateway either, not even by RESUME
    again = await GatewayClient.open(api.server.ws_url)
    await again.send(
        {
            "op": 6,
            "d": {"token": alice.token, "session_id": doomed.ready["session_id"], "seq": 1},
        }
    )
    assert (await close_of(again))[0] == 4004
    # the other token and its socket are untouched
    assert (await api.get("/users/@me", headers=_bearer(other_token))).status_code == 200
    server = await api.post("/servers", headers=_bearer(other_token), json={"name": "still"})
    assert (await survivor.wait_for("SERVER_CREATE"))["id"] == server.json()["id"]
    await survivor.close()


async def test_logout_everywhere_closes_every_socket(api: Api) -> None:
    alice = await api.register("alice")
    tokens = [alice.token, await _login(api, alice), await _login(api, alice)]
    sockets = [await GatewayClient.identify(api.server.ws_url, t) for t in tokens]
    r = await api.post("/auth/logout", alice, json={"everywhere": True})
    assert r.status_code == 204
    for gw in sockets:
        assert (await close_of(gw))[0] == 4004
    for token in tokens:
        assert (await api.get("/users/@me", headers=_bearer(token))).status_code == 401


async def test_password_change_revokes_other_tokens_and_closes_their_sockets(api: Api) -> None:
    alice = await api.register("alice")
    stolen = await _login(api, alice)
    thief = await GatewayClient.identify(api.server.ws_url, stolen)
    mine = await GatewayClient.identify(api.server.ws_url, alice.token)
    r = await api.patch(
        "/users/@me",
        alice,
        json={"password": "a-brand-new-one", "current_password": alice.password},
    )
    assert r.status_code == 200
    assert await close_of(thief) == (4004, "token revoked")
    assert (await api.get("/users/@me", headers=_bearer(stolen))).status_code == 401
    # the session that changed the password stays signed in, socket included
    assert (await api.get("/users/@me", alice)).status_code == 200
    assert (await mine.wait_for("USER_UPDATE"))["id"] == alice.id
    await mine.close()
    bad = await api.post("/auth/login", json={"login": alice.email, "password": alice.password})
    assert bad.status_code == 401
    await _login(api, alice, "a-brand-new-one")


# --- unknown account vs wrong password -----------------------------------------------------

TRIES = 20
VARYING_HEADERS = {"date", "x-request-id"}


async def _attempt(api: Api, login: str, password: str) -> tuple[float, int, bytes, dict[str, str]]:
    started = time.perf_counter()
    r = await api.post("/auth/login", json={"login": login, "password": password})
    elapsed = time.perf_counter() - started
    headers = {k: v for k, v in r.headers.items() if k.lower() not in VARYING_HEADERS}
    return elapsed, r.status_code, r.content, headers


@pytest.mark.parametrize("by", ["username", "email"])
async def test_unknown_account_and_wrong_password_are_indistinguishable(api: Api, by: str) -> None:
    alice = await api.register("alice")
    known = alice.username if by == "username" else alice.email
    unknown = "nobody_" + alice.username if by == "username" else "nobody-" + alice.email
    wrong, missing = [], []
    for i in range(TRIES):  # interleaved, so drift in the machine's load hits both alike
        wrong.append(await _attempt(api, known, f"wrong-password-{i}"))
        missing.append(await _attempt(api, unknown, f"wrong-password-{i}"))
    answers = {(status, body, tuple(sorted(h.items()))) for _, status, body, h in wrong + missing}
    assert len(answers) == 1, answers
    status, body, _ = answers.pop()
    assert status == 401
    assert json.loads(body) == {
        "code": "invalid_credentials",
        "message": "Login or password is incorrect.",
    }
    wrong_median = statistics.median(t for t, *_ in wrong)
    missing_median = statistics.median(t for t, *_ in missing)
    ratio = max(wrong_median, missing_median) / min(wrong_median, missing_median)
    assert ratio < 3, (wrong_median, missing_median)


TTL_S = 7.2  # CHAT_TOKEN_TTL_HOURS=0.002; tokens carry whole seconds


async def test_a_gateway_socket_closes_4004_when_its_token_expires(
    start_server: ServerFactory,
) -> None:
    with start_server(token_ttl_hours=TTL_S / 3600) as server:
        async with client_for(server) as api:
            alice = await api.register("short")
            expires = _claims(alice.token)["exp"]
            gw = await GatewayClient.identify(server.ws_url, alice.token)
            gw.keep_alive()
            # A second socket refreshes its token and RESUMEs with it: it outlives the first.
            await asyncio.sleep(3)
            r = await api.post("/auth/refresh", alice)
            assert r.status_code == 200
            fresh = r.json()["token"]
            renewed = await GatewayClient.identify(server.ws_url, alice.token)
            renewed.keep_alive()
            await renewed.close(4000)  # dropped: its session waits for a RESUME
            again = await GatewayClient.open(server.ws_url)
            again.keep_alive()
            session_id = renewed.ready["session_id"]
            await again.send(
                {"op": 6, "d": {"token": fresh, "session_id": session_id, "seq": renewed.seq}}
            )
            again.seq = renewed.seq
            await again.wait_for("RESUMED")
            code, reason = await close_of(gw, timeout=TTL_S + 3)
            closed_at = time.time()
            assert code == 4004 and "expired" in reason, (code, reason)
            assert expires - 0.1 <= closed_at <= expires + 2, (expires, closed_at)
            # REST refuses the old token too; the refreshed socket is still open
            assert (await api.get("/users/@me", headers=_bearer(alice.token))).status_code == 401
            await again.send({"op": 1, "d": again.seq})
            assert (await again.recv())["op"] == 11
            await again.close()
