"""The gateway route and the reaper that enforces heartbeats and resume windows."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from litestar import WebSocket, websocket

from ..container import Container
from ..http.auth import PUBLIC
from .connection import Connection

log = logging.getLogger(__name__)
REAPER_PERIOD_S = 0.5
FORBIDDEN_ORIGIN = 4003


def origin_allowed(socket: WebSocket[Any, Any, Any], allowed: tuple[str, ...]) -> bool:
    """Browsers send Origin; native clients (Godot) usually do not. Only a listed origin, or
    none at all, may connect once origins are configured."""
    if not allowed:
        return True
    origin = socket.headers.get("origin")
    return origin is None or origin in allowed


@websocket("/gateway", opt={PUBLIC: True})
async def gateway(socket: WebSocket[Any, Any, Any]) -> None:
    """The live gateway: see docs/gateway.md."""
    container: Container = socket.app.state.container
    if not origin_allowed(socket, container.settings.ws_origins):
        await socket.close(code=FORBIDDEN_ORIGIN, reason="origin not allowed")
        return
    await socket.accept()
    await Connection(socket, container).run()


async def reap_forever(container: Container) -> None:
    """Close connections that missed IDENTIFY or heartbeats; expire unresumed sessions."""
    while True:
        await asyncio.sleep(REAPER_PERIOD_S)
        try:
            now = time.monotonic()
            for connection in list(container.connections):
                connection.check_deadline(now)
            container.hub.expire_detached()
        except Exception:
            log.exception("gateway reaper failed")


@contextlib.asynccontextmanager
async def reaper(container: Container) -> Any:
    task = asyncio.create_task(reap_forever(container))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
