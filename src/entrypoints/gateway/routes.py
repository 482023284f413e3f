"""The gateway route, its connection caps, and the reaper that enforces heartbeats and resume
windows.

Caps (docs/security.md):
- per IP: at most `ws_max_per_ip` open sockets from one client address on this instance; the
  next one is accepted and closed at once with 4008 and a reason saying so;
- per user: at most `ws_max_per_user` identified sockets of one user on this instance; an
  IDENTIFY or RESUME beyond that closes the socket with 4008 before READY.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

from litestar import WebSocket, websocket

from ..http.auth import PUBLIC
from .connection import Connection
from .protocol import Close
from .state import GatewayState

log = logging.getLogger(__name__)


class HideFrames(logging.Filter):
    """uvicorn hands its WebSocket library the "uvicorn.error" logger, which at debug level
    logs every frame both ways: IDENTIFY and RESUME carry tokens, READY the user's email."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno <= logging.DEBUG and record.msg in ("< %s", "> %s"))


logging.getLogger("uvicorn.error").addFilter(HideFrames())
REAPER_PERIOD_S = 0.5
FORBIDDEN_ORIGIN = 4003
TOO_MANY_CONNECTIONS = Close.RATE_LIMITED


def origin_allowed(socket: WebSocket[Any, Any, Any], allowed: tuple[str, ...]) -> bool:
    """Browsers send Origin; native clients (Godot) usually do not. Only a listed origin, or
    none at all, may connect once origins are configured."""
    if not allowed:
        return True
    origin = socket.headers.get("origin")
    return origin is None or origin in allowed


class SocketsPerIp:
    """Open gateway sockets per client address on this instance."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()

    def try_open(self, host: str, cap: int) -> bool:
        if self._open[host] >= cap:
            return False
        self._open[host] += 1
        return True

    def close(self, host: str) -> None:
        self._open[host] -= 1
        if self._open[host] <= 0:
            del self._open[host]


def _sockets_per_ip(socket: WebSocket[Any, Any, Any]) -> SocketsPerIp:
    state = socket.app.state
    counter = state.get("gateway_sockets_per_ip")
    if counter is None:
        counter = state["gateway_sockets_per_ip"] = SocketsPerIp()
    return counter


@websocket("/gateway", opt={PUBLIC: True})
async def gateway(socket: WebSocket[Any, Any, Any]) -> None:
    """The live gateway: see docs/gateway.md."""
    state: GatewayState = socket.app.state.gateway
    settings = state.services.settings
    if not origin_allowed(socket, settings.ws_origins):
        await socket.close(code=FORBIDDEN_ORIGIN, reason="origin not allowed")
        return
    host = socket.client.host if socket.client else "unknown"
    per_ip = _sockets_per_ip(socket)
    if not per_ip.try_open(host, settings.ws_max_per_ip):
        await socket.accept()
        await socket.close(
            code=TOO_MANY_CONNECTIONS,
            reason=f"too many gateway connections from your address (at most "
            f"{settings.ws_max_per_ip}); close one first",
        )
        return
    try:
        await socket.accept()
        await Connection(socket, state).run()
    finally:
        per_ip.close(host)


async def reap_forever(state: GatewayState) -> None:
    """Expire unresumed sessions and old rate-limit entries (each connection closes itself
    when it misses IDENTIFY or a heartbeat: Connection._arm)."""
    while True:
        await asyncio.sleep(REAPER_PERIOD_S)
        try:
            state.hub.expire_detached()
            state.limits.sweep()
        except Exception:
            log.exception("gateway reaper failed")


@contextlib.asynccontextmanager
async def reaper(state: GatewayState) -> Any:
    task = asyncio.create_task(reap_forever(state))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
