"""Rate limits on REST routes: per user (all routes), per user per route key, per IP.

Routes name their rule in `opt`: {"rate": "message_per_channel", "rate_key": "channel_id"}.
A request that asks the server to check the caller's password (a body with
`current_password`, e.g. changing the email or password) spends from the same per-account
budget as a login, so a stolen token cannot be used to guess the password quickly.
A 429 says how long to wait (body `retry_after`, header `Retry-After`).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from discord_core.errors import RateLimited
from discord_core.usecases import Identity

from ..container import Container
from ..settings import RateLimit

RATE = "rate"
RATE_KEY = "rate_key"
PASSWORD_FIELD = "current_password"


async def enforce(container: Container, key: str, rule: RateLimit) -> None:
    if not container.settings.rate_limits.enabled:
        return
    retry_after = await container.rate_limiter.hit(key, rule.limit, rule.period)
    if retry_after > 0:
        raise RateLimited(retry_after)


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


async def enforce_route_limits(
    connection: ASGIConnection[Any, Any, Any, Any], container: Container, identity: Identity
) -> None:
    """The per-user budget, then the route's own rule if it names one. Called by the auth
    middleware once the caller is known (a guard would cost a copy of the route handler per
    request: measured ~4 % of a message send)."""
    limits = container.settings.rate_limits
    if not limits.enabled:
        return
    await enforce(container, f"user:{identity.user_id}", limits.per_user)
    handler = connection.scope.get("route_handler")
    opt = handler.opt if handler is not None else {}
    rule_name = opt.get(RATE)
    if rule_name is None:
        return
    rule: RateLimit = getattr(limits, rule_name)
    scope_key = opt.get(RATE_KEY)
    target = connection.path_params.get(scope_key, "") if scope_key else ""
    await enforce(container, f"{rule_name}:{identity.user_id}:{target}", rule)


async def password_check_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Route guard: a body with `current_password` spends the per-account login budget."""
    container: Container = connection.app.state.container
    identity = connection.scope.get("user")
    if isinstance(identity, Identity) and await _checks_password(connection):
        limits = container.settings.rate_limits
        await enforce(container, f"password-check:{identity.user_id}", limits.login_per_account)


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
