"""Rate limits on REST routes: per user (all routes), per user per route key, per IP.

Routes name their rule in `opt`: {"rate": "message_per_channel", "rate_key": "channel_id"}.
A 429 says how long to wait (body `retry_after`, header `Retry-After`).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from discord_core.errors import RateLimited
from discord_core.usecases import Identity

from ..container import Container
from ..settings import RateLimit

RATE = "rate"
RATE_KEY = "rate_key"


async def enforce(container: Container, key: str, rule: RateLimit) -> None:
    if not container.settings.rate_limits.enabled:
        return
    retry_after = await container.rate_limiter.hit(key, rule.limit, rule.period)
    if retry_after > 0:
        raise RateLimited(retry_after)


def client_ip(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else "unknown"


async def rate_limit_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """App-wide guard: the per-user budget, then the route's own rule if it names one."""
    container: Container = connection.app.state.container
    limits = container.settings.rate_limits
    identity = connection.scope.get("user")
    if not isinstance(identity, Identity):
        return
    await enforce(container, f"user:{identity.user_id}", limits.per_user)
    rule_name = handler.opt.get(RATE)
    if rule_name is None:
        return
    rule: RateLimit = getattr(limits, rule_name)
    scope_key = handler.opt.get(RATE_KEY)
    target = connection.path_params.get(scope_key, "") if scope_key else ""
    await enforce(container, f"{rule_name}:{identity.user_id}:{target}", rule)
