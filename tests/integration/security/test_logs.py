"""No token, password or secret ever reaches a log line: uvicorn's access and error logs,
Litestar's, ours (the access log included), at the level the service runs at and at debug."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from entrypoints.logs import configure_logging

from ..api.harness import TEST_SECRET, GatewayClient, LiveServer
from .conftest import ServerFactory, client_for

# Loggers of the test's own clients, which run in this process too: not the server's lines.
CLIENT_LOGGERS = ("httpx", "httpcore", "websockets.client", "asyncio", "hpack")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(CLIENT_LOGGERS):
            return
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name} {record.levelname} {text} {record.__dict__}")


@pytest.fixture
def capture() -> Iterator[Capture]:
    handler = Capture()
    names = ("", "uvicorn", "uvicorn.access", "uvicorn.error", "litestar", "concord")
    loggers = [logging.getLogger(name) for name in names]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        yield handler
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)


async def _exercise(server: LiveServer, *, query_token: bool) -> list[str]:
    """Everything that carries a secret: register, login (right and wrong), tokens in headers
    of good and failing requests, gateway IDENTIFY and RESUME, a password change, logout."""
    secrets: list[str] = []
    async with client_for(server) as api:
        alice = await api.register("alice", password="first-Secret-pw-1")
        secrets += [alice.password, alice.token]
        server_obj = await api.create_server(alice)
        await api.send(alice, server_obj["channels"][0]["id"], "hello")
        r = await api.post("/auth/login", json={"login": alice.email, "password": "wrong-pw-42x"})
        assert r.status_code == 401
        secrets.append("wrong-pw-42x")
        r = await api.post(
            "/auth/login", json={"login": alice.username, "password": alice.password}
        )
        second = r.json()["token"]
        secrets.append(second)
        gw = await GatewayClient.identify(server.ws_url, second)
        r = await api.get("/users/@me", headers={"Authorization": f"Bearer {second}x"})
        assert r.status_code == 401
        if query_token:  # a careless client puts a token in a query string
            r = await api.get("/users/@me?token=" + second, alice)
            assert r.status_code == 200
        bad = await api.post(
            "/channels/1/messages",
            alice,
            content=b'{"content":"\xff"}',
            headers={"Content-Type": "application/json"},
        )
        assert bad.status_code == 400
        r = await api.patch(
            "/users/@me",
            alice,
            json={"password": "second-Secret-pw-2", "current_password": alice.password},
        )
        assert r.status_code == 200
        secrets.append("second-Secret-pw-2")
        await gw.closed()
        r = await api.post("/auth/refresh", alice)
        secrets.append(r.json()["token"])
        assert (await api.post("/auth/logout", alice)).status_code == 204
    return secrets


RUNS = [
    # as `concord serve` runs it (its logging, uvicorn's access log off: it would print query
    # strings; ours is on), at the default level and at debug
    ("serve", "info", {"log_config": None, "access_log": False}, True),
    ("serve-debug", "debug", {"log_config": None, "access_log": False}, True),
    # uvicorn's own access and error logs on, as in a hand-rolled deployment
    ("uvicorn-access-log", "info", {"log_level": "info", "access_log": True}, False),
]


@pytest.mark.parametrize(
    ("case", "level", "options", "query_token"), RUNS, ids=[r[0] for r in RUNS]
)
async def test_no_secret_in_any_log_line(
    start_server: ServerFactory,
    capture: Capture,
    case: str,
    level: str,
    options: dict[str, Any],
    query_token: bool,
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    if options.get("log_config", True) is None:
        configure_logging(level)  # what create_served_app does in every worker
    try:
        with start_server(uvicorn_options=options) as server:
            root.setLevel(level.upper())  # after uvicorn applied its own log config
            root.addHandler(capture)
            for name in ("uvicorn", "uvicorn.access", "uvicorn.error"):
                logging.getLogger(name).addHandler(capture)
            secrets = await _exercise(server, query_token=query_token)
    finally:
        root.handlers[:], root.level = saved
    access = [line for line in capture.lines if "/api/v1/auth/login" in line]
    assert access, "no access log line seen"
    for secret in [*secrets, TEST_SECRET]:
        leaks = [line for line in capture.lines if secret in line]
        assert not leaks, (secret, leaks[:3])


def test_bot_tokens_are_redacted() -> None:
    from discord_core import bots
    from entrypoints.logs import redact

    token = bots.make_token(253484387415359488, "sdqFdD5_098sv-tg", "g" * 43)
    for line in (f"Authorization: Bot {token}", f"token={token}!", token):
        assert token not in redact(line)
        assert "[token hidden]" in redact(line)
    assert redact("GET /api/v10/users/@me 200") == "GET /api/v10/users/@me 200"
