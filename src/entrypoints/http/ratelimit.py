"""Rate limits on REST routes: per user (all routes), per user per route key, per IP.

Routes name their rule in `opt`: {"rate": "message_per_channel", "rate_key": "channel_id"}.
With {"rate_deferred": True} the route's own rule is not spent before the handler runs but when
the use case calls the `admit` callback it is given (`spend_route_budget`): a message send
spends the per-channel budget only when it creates a message, not when it replays the answer
to a nonce already used (the per-user budget of all routes is spent either way).
A request that asks the server to check the caller's password (a body with
`current_password`, e.g. changing the email or password) spends from the same per-account
budget as a login, so a stolen token cannot be used to guess the password quickly.

Every rate-limited answer (2xx and 429) carries Discord's headers for the budget closest to
running out (on a 429, the one that ran out): X-RateLimit-Limit, -Remaining, -Reset (epoch
seconds), -Reset-After (seconds until the whole budget is back) and -Bucket (the rule's name).
A 429 also says how long to wait (body `retry_after`, header `Retry-After`), whose budget it
was (`scope`, X-RateLimit-Scope) and whether it was the per-user budget of all routes
(`global`, X-RateLimit-Global).
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from discord_core.errors import RateLimited
from discord_core.ports import RateState
from discord_core.usecases import Identity

from ..observability import RESPONSE_HEADERS
from ..services import Services
from ..settings import RateLimit

RATE = "rate"
RATE_KEY = "rate_key"
RATE_DEFERRED = "rate_deferred"
PASSWORD_FIELD = "current_password"

GLOBAL = "global"
"""The per-user budget of all routes together (Discord's global limit)."""
SCOPES = {
    "per_user": GLOBAL,
    "message_per_channel": "user",
    "typing_per_channel": "user",
    "search_per_user": "user",
    "reaction_per_user": "user",
    "dm_open_per_user": "user",
    "login_per_account": "shared",
    "register_per_ip": "ip",
    "login_per_ip": "ip",
}
"""Whose budget a rule is: one user's (`user`, `global`), everyone's who tries one account
(`shared`), or one client address's (`ip`)."""


class RateHeaders:
    """The budget to report on this response, kept in the ASGI scope until it starts."""

    __slots__ = ("bucket", "state")

    def __init__(self, bucket: str, state: RateState) -> None:
        self.bucket = bucket
        self.state = state

    def offer(self, bucket: str, state: RateState) -> None:
        """Report the budget with the fewest requests left (the refused one on a 429)."""
        if self.state.allowed and state.remaining <= self.state.remaining:
            self.bucket, self.state = bucket, state

    def __call__(self) -> list[tuple[bytes, bytes]]:
        state = self.state
        headers = [
            (b"x-ratelimit-limit", str(state.limit).encode()),
            (b"x-ratelimit-remaining", str(state.remaining).encode()),
            (b"x-ratelimit-reset", f"{time.time() + state.reset_after:.3f}".encode()),
            (b"x-ratelimit-reset-after", f"{state.reset_after:.3f}".encode()),
            (b"x-ratelimit-bucket", self.bucket.encode()),
        ]
        if not state.allowed:
            scope = SCOPES.get(self.bucket, "user")
            headers.append((b"x-ratelimit-scope", scope.encode()))
            headers.append((b"x-ratelimit-global", b"true" if scope == GLOBAL else b"false"))
        return headers


def _report(connection: ASGIConnection[Any, Any, Any, Any], bucket: str, state: RateState) -> None:
    extra: dict[str, Any] = connection.scope  # type: ignore[assignment]
    current = extra.get(RESPONSE_HEADERS)
    if isinstance(current, RateHeaders):
        current.offer(bucket, state)
    else:
        extra[RESPONSE_HEADERS] = RateHeaders(bucket, state)


async def enforce(
    container: Services,
    key: str,
    rule_name: str,
    connection: ASGIConnection[Any, Any, Any, Any] | None = None,
) -> None:
    """Count one request against the named rule for `key`; 429 when it is spent."""
    limits = container.settings.rate_limits
    if not limits.enabled:
        return
    rule: RateLimit = getattr(limits, rule_name)
    state = await container.rate_limiter.hit(key, rule.limit, rule.period)
    if connection is not None:
        _report(connection, rule_name, state)
    if not state.allowed:
        scope = SCOPES.get(rule_name, "user")
        raise RateLimited(state.retry_after, scope=scope, is_global=scope == GLOBAL)


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


async def enforce_route_limits(
    connection: ASGIConnection[Any, Any, Any, Any], container: Services, identity: Identity
) -> None:
    """The per-user budget, then the route's own rule if it names one. Called by the auth
    middleware once the caller is known (a guard would cost a copy of the route handler per
    request: measured ~4 % of a message send)."""
    if not container.settings.rate_limits.enabled:
        return
    await enforce(container, f"user:{identity.user_id}", "per_user", connection)
    handler = connection.scope.get("route_handler")
    opt = handler.opt if handler is not None else {}
    if not opt.get(RATE_DEFERRED):
        await spend_route_budget(connection, container, identity)


async def spend_route_budget(
    connection: ASGIConnection[Any, Any, Any, Any], container: Services, identity: Identity
) -> None:
    """Spend the route's own rule (`rate` in its opt), if it names one."""
    if not container.settings.rate_limits.enabled:
        return
    handler = connection.scope.get("route_handler")
    opt = handler.opt if handler is not None else {}
    rule_name = opt.get(RATE)
    if rule_name is None:
        return
    scope_key = opt.get(RATE_KEY)
    target = connection.path_params.get(scope_key, "") if scope_key else ""
    await enforce(container, f"{rule_name}:{identity.user_id}:{target}", rule_name, connection)


async def password_check_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Route guard: a body with `current_password` spends the per-account login budget."""
    container: Services = connection.app.state.services
    identity = connection.scope.get("user")
    if isinstance(identity, Identity) and await _checks_password(connection):
        key = f"password-check:{identity.user_id}"
        await enforce(container, key, "login_per_account", connection)


async def _checks_password(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the JSON body names the caller's current password (the body is cached: the
    handler reads it again for free)."""
    if not isinstance(connection, Request) or connection.method not in ("PATCH", "POST", "PUT"):
        return False
    body = await connection.body()
    if PASSWORD_FIELD.encode() not in body:
        return False
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return False  # the handler answers 400
    return isinstance(data, dict) and data.get(PASSWORD_FIELD) is not None
