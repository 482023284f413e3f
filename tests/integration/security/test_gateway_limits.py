"""WebSocket gateway limits: Origin, frame size and content, frame rate, connection caps."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from entrypoints.gateway.limits import IDENTIFIES_PER_WINDOW, IDENTIFY_WINDOW_S

from ..api.harness import Account, Api, GatewayClient, LiveServer
from .conftest import ServerFactory, client_for, close_of

ALLOWED_ORIGIN = "https://chat.example.com"
PER_IP = 4
PER_USER = 2


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Origins configured, small connection caps, and uvicorn's frame cap as `concord serve`
    sets it (1 MiB)."""
    from ..api.harness import make_settings
    from .conftest import tuned_server

    settings = make_settings(
        tmp_path_factory.mktemp("capped"),
        ws_origins=(ALLOWED_ORIGIN,),
        ws_max_per_ip=PER_IP,
        ws_max_per_user=PER_USER,
    )
    with tuned_server(settings, ws_max_size=1024 * 1024) as server:
        yield server


@pytest.fixture
async def capi(capped: LiveServer) -> AsyncIterator[Api]:
    """Each test starts with no socket of an earlier one still counted against the caps."""
    await no_sockets_left(capped)
    async with client_for(capped) as api:
        yield api


async def no_sockets_left(server: LiveServer) -> None:
    """Wait until the server has let go of every socket of earlier tests."""
    for _ in range(100):
        if not server.container.connections:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("sockets of an earlier test are still open")


# --- Origin ---------------------------------------------------------------------------------


async def test_foreign_origin_is_refused_before_the_handshake(capi: Api) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(capi.server.ws_url, origin="https://evil.example.net")
    assert refused.value.response.status_code == 403
    assert not capi.server.container.connections


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, None], ids=["listed", "native-client"])
async def test_listed_origin_and_no_origin_connect(capi: Api, origin: str | None) -> None:
    kwargs = {"origin": origin} if origin else {}
    gw = await GatewayClient.open(capi.server.ws_url, **kwargs)
    assert gw.hello["d"]["heartbeat_interval"] > 0
    await gw.close()


async def test_without_configured_origins_any_origin_connects(start_server: ServerFactory) -> None:
    with start_server() as server:
        gw = await GatewayClient.open(server.ws_url, origin="https://anywhere.example.org")
        await gw.close()


# --- frames ---------------------------------------------------------------------------------

BAD_FRAMES = [
    ("over 4096 bytes", json.dumps({"op": 1, "d": None, "t": "x" * 4100}), 4002),
    ("4096 characters but 12 KiB of UTF-8", '{"op":1,"d":null,"t":"' + "€" * 4000 + '"}', 4002),
    ("nested 2000 deep", '{"op":1,"d":' + "[" * 2000 + "]" * 2000 + "}", 4002),
    (
        "payload nested 2000 deep",
        '{"op":2,"d":{"token":"t","properties":' + "[" * 2000 + "]" * 2000 + "}}",
        4002,
    ),
    ("invalid UTF-8", b'{"op":1,"d":"\xff\xfe"}', 4002),
    ("a binary frame of valid JSON", b'{"op":1,"d":null}', 4002),
    ("NUL in the token", json.dumps({"op": 2, "d": {"token": "a\u0000b"}}), 4004),
    ("a huge token", json.dumps({"op": 2, "d": {"token": "x" * 3000}}), 4002),
]


@pytest.mark.parametrize(("case", "frame", "code"), BAD_FRAMES, ids=[f[0] for f in BAD_FRAMES])
async def test_bad_frames_close_with_a_clear_code(
    capi: Api, case: str, frame: str | bytes, code: int
) -> None:
    gw = await GatewayClient.open(capi.server.ws_url)
    await gw.send(frame)
    closed_code, reason = await close_of(gw)
    assert closed_code == code, (case, closed_code, reason)
    assert reason


async def test_a_frame_over_uvicorns_cap_is_1009_and_nothing_else_suffers(capi: Api) -> None:
    owner = await capi.register("big")
    bystander = await GatewayClient.identify(capi.server.ws_url, owner.token)
    gw = await GatewayClient.open(capi.server.ws_url)
    with contextlib.suppress(ConnectionClosed):  # the server may close before we finish
        await gw.send("x" * (2 * 1024 * 1024))
    code, _ = await close_of(gw)
    assert code == 1009
    server = await capi.create_server(owner)
    assert (await bystander.wait_for("SERVER_CREATE"))["id"] == server["id"]
    await bystander.close()


def retry_after_in(reason: str) -> float:
    match = re.search(r"retry after ([0-9.]+) s", reason)
    assert match, reason
    return float(match.group(1))


async def test_frame_flood_is_4008_per_user_across_reconnects_then_resume_works(
    capi: Api,
) -> None:
    owner = await capi.register("flood")
    gw = await GatewayClient.identify(capi.server.ws_url, owner.token)
    for _ in range(125):
        await gw.send({"op": 1, "d": None})
    code, reason = await close_of(gw)
    assert code == 4008
    assert "per user" in reason, reason
    resume = {
        "op": 6,
        "d": {"token": owner.token, "session_id": gw.ready["session_id"], "seq": gw.seq},
    }
    # Reconnecting at once gets no fresh budget: the RESUME itself is refused, and so is
    # an IDENTIFY, each saying when to come back.
    for frame in (resume, {"op": 2, "d": {"token": owner.token}}):
        again = await GatewayClient.open(capi.server.ws_url)
        await again.send(frame)
        code, reason = await close_of(again)
        assert code == 4008 and "too many frames" in reason, reason
    await asyncio.sleep(retry_after_in(reason) + 0.1)
    again = await GatewayClient.open(capi.server.ws_url)
    again.seq = gw.seq
    await again.send(resume)
    await again.wait_for("RESUMED")
    await again.close()


async def test_identify_is_limited_per_user_per_minute(capi: Api) -> None:
    alice = await capi.register("ident")
    for _ in range(IDENTIFIES_PER_WINDOW):
        gw = await GatewayClient.identify(capi.server.ws_url, alice.token)
        await gw.close()
    code, reason = await identify_refused(capi.server.ws_url, alice)
    assert code == 4008 and "too many IDENTIFY" in reason, reason
    assert 0 < retry_after_in(reason) <= IDENTIFY_WINDOW_S / IDENTIFIES_PER_WINDOW + 0.1
    bob = await capi.register("other")  # per user: someone else may still identify
    await (await GatewayClient.identify(capi.server.ws_url, bob.token)).close()


@pytest.mark.parametrize(("seq", "code"), [(10**30, 4007), (-1, 4002), (2**64, 4007)])
async def test_resume_with_an_absurd_seq(capi: Api, seq: int, code: int) -> None:
    owner = await capi.register("seq")
    gw = await GatewayClient.identify(capi.server.ws_url, owner.token)
    gw.ws.transport.abort()
    again = await GatewayClient.open(capi.server.ws_url)
    session_id = gw.ready["session_id"]
    await again.send(
        json.dumps({"op": 6, "d": {"token": owner.token, "session_id": session_id, "seq": seq}})
    )
    closed, reason = await close_of(again)
    assert closed == code, reason


async def test_a_heartbeat_naming_an_unsent_seq_is_4007_and_drops_nothing(capi: Api) -> None:
    owner = await capi.register("beat")
    gw = await GatewayClient.identify(capi.server.ws_url, owner.token)
    created = await capi.create_server(owner)
    await gw.wait_for("SERVER_CREATE")
    await gw.send({"op": 1, "d": gw.seq + 1000})
    code, reason = await close_of(gw)
    assert code == 4007, (code, reason)
    # nothing was acknowledged away: a RESUME from READY replays everything after it
    again = await GatewayClient.open(capi.server.ws_url)
    session_id = gw.ready["session_id"]
    await again.send({"op": 6, "d": {"token": owner.token, "session_id": session_id, "seq": 1}})
    again.seq = 1
    assert (await again.wait_for("SERVER_CREATE"))["id"] == created["id"]
    await again.wait_for("RESUMED")
    await again.close()


# --- connection caps ------------------------------------------------------------------------


async def test_per_ip_cap(capi: Api) -> None:
    await no_sockets_left(capi.server)
    sockets = [await GatewayClient.open(capi.server.ws_url) for _ in range(PER_IP)]
    over = await connect(capi.server.ws_url, compression=None)
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(over.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
    assert "too many gateway connections from your address" in closed.value.rcvd.reason
    # the refused socket never counted; closing one makes room again
    await sockets.pop().close()
    await no_room_to_spare(capi.server, PER_IP - 1)
    sockets.append(await GatewayClient.open(capi.server.ws_url))
    for gw in sockets:
        await gw.close()


async def no_room_to_spare(server: LiveServer, expected: int) -> None:
    for _ in range(100):
        if len(server.container.connections) == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(server.container.connections)} sockets open, not {expected}")


async def identify_refused(url: str, account: Account) -> tuple[int | None, str]:
    gw = await GatewayClient.open(url)
    await gw.send({"op": 2, "d": {"token": account.token}})
    return await close_of(gw)


async def test_per_user_cap_counts_identified_sockets(capi: Api) -> None:
    await no_sockets_left(capi.server)
    alice = await capi.register("alice")
    bob = await capi.register("bob")
    url = capi.server.ws_url
    first = await GatewayClient.identify(url, alice.token)
    second = await GatewayClient.identify(url, alice.token)
    code, reason = await identify_refused(url, alice)
    assert code == 4008 and "too many gateway sessions for this user" in reason, reason
    # another user is not affected
    other = await GatewayClient.identify(url, bob.token)
    # a RESUME that replaces a live socket of the same session is no extra session
    replacement = await GatewayClient.open(url)
    replacement.seq = second.seq
    await replacement.send(
        {
            "op": 6,
            "d": {
                "token": alice.token,
                "session_id": second.ready["session_id"],
                "seq": second.seq,
            },
        }
    )
    await replacement.wait_for("RESUMED")
    # closing one makes room again
    await first.close()
    await no_room_to_spare(capi.server, 2)  # bob's and the replacement
    third = await GatewayClient.identify(url, alice.token)
    for gw in (second, other, replacement, third):
        await gw.close()


async def test_the_identify_budget_is_shared_across_instances_over_redis(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    """Two instances on one database and one Redis: a reconnect loop that alternates between
    them still meets the one budget."""
    from ..api.harness import make_settings
    from .conftest import tuned_server

    settings = make_settings(
        tmp_path, redis_url=redis_url, redis_prefix=f"{redis_prefix}{tmp_path.name}:"
    )
    with tuned_server(settings) as a, tuned_server(settings) as b:
        async with client_for(a) as api:
            alice = await api.register("spread")
        for i in range(IDENTIFIES_PER_WINDOW):
            gw = await GatewayClient.identify((a, b)[i % 2].ws_url, alice.token)
            await gw.close()
        for server in (a, b):
            code, reason = await identify_refused(server.ws_url, alice)
            assert code == 4008 and "too many IDENTIFY" in reason, reason
