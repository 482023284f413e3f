"""Read deadlines for HTTP requests, so a slow or idle client cannot hold connections.

uvicorn has no request read timeout: `timeout_keep_alive` covers only the idle time between
requests, and a connection that never sends a byte, sends half a header (half a WebSocket
upgrade) or declares a body and sends none is held for ever. ASGI middleware cannot help: it
runs once the headers are parsed. So `concord serve` runs uvicorn with `GuardedHttpProtocol`,
its own HTTP protocol (httptools, or h11 without it) with two deadlines:

- headers: the request line and headers must be complete `header_timeout_s` after the
  connection opened (or, on a kept-alive connection, after the next request's first byte).
  That includes a WebSocket upgrade request; once upgraded, the gateway's IDENTIFY deadline
  takes over.
- body: the body must be complete `body_timeout_s` after the headers, plus one second per
  `BODY_MIN_RATE` bytes received (a large upload on a slow link keeps going; a trickle does
  not). Time the app itself is not reading (flow control paused the socket) is not counted.

A connection past a deadline is closed. Each drop is counted (`concord_slow_clients_dropped`,
by phase) and logged: the first at once, the rest as one line per `LOG_EVERY_S`.
The response phase is never limited: a slow handler is not the client's fault.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from .observability import DROPPED

log = logging.getLogger("concord.slow_clients")

BODY_MIN_RATE = 16 * 1024
"""Bytes per second a body must average, after its grace period, to keep its connection."""
LOG_EVERY_S = 10.0

DROPPED_CLIENTS = Counter(
    "concord_slow_clients_dropped",
    "Connections closed because the request headers or body did not arrive in time",
    ["phase"],
)


@dataclass(frozen=True, slots=True)
class Deadlines:
    header_timeout_s: float = 10.0
    body_timeout_s: float = 10.0


_deadlines = Deadlines()


def configure(deadlines: Deadlines) -> None:
    """Set the deadlines of this process (called where the served app is built, in each
    worker: uvicorn instantiates the protocol class itself)."""
    global _deadlines
    _deadlines = deadlines


class _DropLog:
    """One line for the first drop, then one summary per LOG_EVERY_S while drops go on."""

    def __init__(self) -> None:
        self._pending: dict[str, int] = {}
        self._flush: asyncio.TimerHandle | None = None

    def dropped(
        self, loop: asyncio.AbstractEventLoop, phase: str, client: str, after: float
    ) -> None:
        DROPPED_CLIENTS.labels(phase).inc()
        if self._flush is None:
            log.warning(
                "dropped a slow client %s: request %s not complete after %.1f s",
                client,
                phase,
                after,
            )
            self._flush = loop.call_later(LOG_EVERY_S, self._summary)
            return
        self._pending[phase] = self._pending.get(phase, 0) + 1

    def _summary(self) -> None:
        pending, self._pending = self._pending, {}
        self._flush = None
        if pending:
            counts = ", ".join(f"{n} waiting for the {p}" for p, n in sorted(pending.items()))
            log.warning(
                "dropped %d more slow client(s) in %.0f s: %s",
                sum(pending.values()),
                LOG_EVERY_S,
                counts,
            )


_drops = _DropLog()

HEADERS = "headers"
BODY = "body"


class RequestDeadlineMixin:
    """Adds the deadlines to a uvicorn HTTP protocol (HttpToolsProtocol or H11Protocol): both
    keep the current request in `self.cycle` (with `more_body` and `response_complete`), the
    flow control in `self.flow`, and hand the transport to a WebSocket protocol on upgrade."""

    # Set by uvicorn's protocols (declared for the type checker).
    transport: asyncio.Transport
    cycle: Any
    flow: Any
    client: tuple[str, int] | None
    loop: asyncio.AbstractEventLoop

    _phase: str | None = None
    _deadline_at = 0.0
    _started_at = 0.0
    _armed_cycle: Any = None
    _timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm(HEADERS, _deadlines.header_timeout_s)

    def data_received(self, data: bytes) -> None:
        if self._phase is None and (self.cycle is None or self.cycle.response_complete):
            self._arm(HEADERS, _deadlines.header_timeout_s)  # the next request on this link
        super().data_received(data)  # type: ignore[misc]
        if self._phase is None:
            return
        protocol: object = self.transport.get_protocol()
        if protocol is not self:  # upgraded to a WebSocket
            self._phase = None
            return
        cycle = self.cycle
        if cycle is None or cycle is self._armed_cycle:
            return  # the headers are not complete yet
        if not cycle.more_body or cycle.response_complete:
            self._phase = None  # the whole request is in (or answered without its body)
        elif self._phase == HEADERS:
            self._phase = BODY
            self._deadline_at = time.monotonic() + _deadlines.body_timeout_s
        else:
            self._deadline_at += len(data) / BODY_MIN_RATE

    def connection_lost(self, exc: Exception | None) -> None:
        self._phase = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm(self, phase: str, timeout: float) -> None:
        now = time.monotonic()
        self._phase = phase
        self._started_at = now
        self._deadline_at = now + timeout
        self._armed_cycle = self.cycle
        timer = self._timer
        if timer is not None and timer.when() > self.loop.time() + timeout:
            timer.cancel()  # set for a later deadline of the previous request
            timer = None
        if timer is None:  # one timer per connection, mostly rescheduled only when it fires
            self._timer = self.loop.call_later(timeout, self._check)

    def _check(self) -> None:
        self._timer = None
        if self._phase is None or self.transport.is_closing():
            return
        now = time.monotonic()
        if self._phase == BODY and self.flow is not None and self.flow.read_paused:
            self._deadline_at = now + _deadlines.body_timeout_s  # the app is not reading
        if now < self._deadline_at:
            self._timer = self.loop.call_later(self._deadline_at - now, self._check)
            return
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "unknown"
        _drops.dropped(self.loop, self._phase, client, now - self._started_at)
        if self._phase == BODY and self.cycle is not None:
            self.cycle.scope[DROPPED] = True  # its access line says 408, not 500
        self._phase = None
        self.transport.close()


def _base() -> type:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard]
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    return HttpToolsProtocol


class GuardedHttpProtocol(RequestDeadlineMixin, _base()):  # type: ignore[misc]
    """uvicorn's own HTTP protocol with the read deadlines above (`uvicorn.run(http=...)`)."""
