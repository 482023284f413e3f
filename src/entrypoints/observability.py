"""Access log and metrics: one line per request with its request id; Prometheus metrics for
HTTP routes and the gateway. Nothing here ever logs headers, bodies or query strings, so
tokens and passwords cannot reach a log line. The log format itself is `logs.py`."""

from __future__ import annotations

import logging
import re
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .logs import request_id

access_log = logging.getLogger("concord.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


RAW_SEND = "concord.raw_send"
"""Scope key of the ASGI server's own `send` for WebSocket connections."""
DROPPED = "concord.dropped"
"""Scope key set when the server closed the connection because the client was too slow to
send its request (entrypoints/slow_clients.py): logged as 408."""
RESPONSE_HEADERS = "concord.response_headers"
"""Scope key of a callable giving more response headers (the rate limits), set while the
request is handled and added when the response starts."""


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request and socket a request id (X-Request-ID, ours or the caller's) and
    log one access line when it ends: method, path without the query string, status, time."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        if scope["type"] == ScopeType.WEBSOCKET:
            # The gateway's writer sends its frames straight to the server (RAW_SEND): a
            # frame needs nothing from the layers in between, and it is the hot path.
            extra: dict[str, Any] = scope  # type: ignore[assignment]
            extra[RAW_SEND] = send
        rid = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "websocket.send":  # the gateway's hot path: nothing to record
                await send(message)
                return
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                more = scope.get(RESPONSE_HEADERS)
                if callable(more):
                    headers += more()
                message["headers"] = headers
            elif message["type"] == "websocket.accept":
                status.append(101)
            elif message["type"] == "websocket.close" and not status:
                status.append(403)
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            # A request dropped for sending too slowly gets Litestar's "client disconnected"
            # 500, sent to nobody: it is the client's timeout, so it is logged as a 408.
            code = 408 if scope.get(DROPPED) else status[0] if status else 500
            elapsed = time.perf_counter() - started
            _log_access(scope, code, elapsed)
            _observe(scope, code, elapsed)
            request_id.reset(token)

    return middleware


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _VALID_REQUEST_ID.match(text) else None
    return None


def _log_access(scope: Scope, status: int, elapsed: float) -> None:
    method = scope.get("method", "WS")
    path = scope.get("path", "")
    client = scope.get("client")
    duration_ms = round(elapsed * 1000, 2)
    access_log.info(
        "%s %s %d %.2fms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "client": client[0] if client else None,
        },
    )


# --- metrics --------------------------------------------------------------------------------

# HTTP metrics are recorded here, from what this middleware already knows, rather than by
# Litestar's Prometheus middleware: that one builds a Request and label dicts per request and
# cost ~7 % of a message send in profiles. Exposition stays Litestar's PrometheusController.
REQUESTS = Counter(
    "concord_requests", "HTTP requests by route template and status", ["method", "path", "status"]
)
REQUEST_SECONDS = Histogram(
    "concord_request_duration_seconds",
    "HTTP request duration by route template",
    ["method", "path"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
_UNMETERED = frozenset({"/metrics", "/health", "/ready"})


def _observe(scope: Scope, status: int, elapsed: float) -> None:
    if scope["type"] != ScopeType.HTTP:
        return  # the gateway's sockets have their own metrics
    path = scope.get("path_template") or "unmatched"
    if path in _UNMETERED:
        return
    method = scope.get("method", "")
    REQUESTS.labels(method, path, str(status)).inc()
    REQUEST_SECONDS.labels(method, path).observe(elapsed)


@dataclass(frozen=True, slots=True)
class GatewayCounters:
    instance: str
    sessions: int
    connections: int
    published: int
    delivered: int
    dropped_slow: int
    gaps: int


class Observed(Protocol):
    """An instance whose gateway and bus counters /metrics reports (the composition root)."""

    def counters(self) -> GatewayCounters: ...


_observed: weakref.WeakSet[Any] = weakref.WeakSet()
_registered = False


class GatewayCollector(Collector):
    """Reads the gateway's counters at scrape time: nothing is added to the hot path."""

    def collect(self) -> Iterator[Any]:
        sessions = GaugeMetricFamily(
            "concord_gateway_sessions",
            "Gateway sessions (including resumable ones)",
            labels=["instance"],
        )
        sockets = GaugeMetricFamily(
            "concord_gateway_connections", "Open gateway WebSockets", labels=["instance"]
        )
        published = CounterMetricFamily(
            "concord_events_published", "Events published to the bus", labels=["instance"]
        )
        delivered = CounterMetricFamily(
            "concord_event_deliveries",
            "Dispatches queued to local sessions",
            labels=["instance"],
        )
        dropped = CounterMetricFamily(
            "concord_gateway_dropped_slow",
            "Sockets closed because they fell behind",
            labels=["instance"],
        )
        gaps = CounterMetricFamily(
            "concord_event_bus_gaps",
            "Times the bus lost events and sessions resynced",
            labels=["instance"],
        )
        for observed in list(_observed):
            counts: GatewayCounters = observed.counters()
            label = [counts.instance]
            sessions.add_metric(label, counts.sessions)
            sockets.add_metric(label, counts.connections)
            published.add_metric(label, counts.published)
            delivered.add_metric(label, counts.delivered)
            dropped.add_metric(label, counts.dropped_slow)
            gaps.add_metric(label, counts.gaps)
        yield from (sessions, sockets, published, delivered, dropped, gaps)


def track(observed: Observed) -> None:
    global _registered
    _observed.add(observed)
    if not _registered:
        REGISTRY.register(GatewayCollector())
        _registered = True
