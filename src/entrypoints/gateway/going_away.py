"""Op 7 RECONNECT when the server is going away (SIGTERM, SIGINT).

uvicorn closes every WebSocket with 1012 during its graceful shutdown, before the app's own
shutdown hook runs, so the app cannot say anything at that point. It can when the signal
arrives: the handler uvicorn installed is wrapped so that every open gateway connection (v1 and
the Discord v10 facade alike) is first sent RECONNECT ("reconnect and RESUME", as Discord's
clients expect), then uvicorn's own handler runs. Only a served app (uvicorn's handler in
place, on the main thread) is wrapped; in-process test servers are left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from .protocol import Op, control_frame
from .state import GatewayState

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGTERM, signal.SIGINT)
RECONNECT_FRAME = control_frame(Op.RECONNECT)


def announce(state: GatewayState) -> int:
    """Send RECONNECT on every open gateway connection; how many."""
    connections = list(state.connections)
    for connection in connections:
        connection.send_control(RECONNECT_FRAME)
    return len(connections)


def _is_uvicorns(handler: Any) -> bool:
    owner = getattr(handler, "__self__", None)
    return type(owner).__module__.startswith("uvicorn") and callable(handler)


@contextlib.contextmanager
def reconnect_on_exit(state: GatewayState) -> Iterator[None]:
    """While the app serves: the exit signals first send RECONNECT on this instance."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    wrapped: dict[signal.Signals, Any] = {}
    for sig in SIGNALS:
        previous = signal.getsignal(sig)
        if not _is_uvicorns(previous):
            continue

        def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(_announce_logged, state)
            previous(signum, frame)

        signal.signal(sig, handler)
        wrapped[sig] = previous
    try:
        yield
    finally:
        for sig, previous in wrapped.items():
            signal.signal(sig, previous)


def _announce_logged(state: GatewayState) -> None:
    count = announce(state)
    if count:
        log.info("going away: told %d gateway connection(s) to reconnect", count)
